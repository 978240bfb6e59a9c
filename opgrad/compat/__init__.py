"""Other engines' public surfaces on opgrad's engine (``opgrad.compat.micrograd``)."""
