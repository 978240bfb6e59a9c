"""micrograd 0.1.0's surface on opgrad's engine: change only the imports.

``from micrograd.engine import Value`` becomes
``from opgrad.compat.micrograd.engine import Value``, and the same for ``nn``.
docs/micrograd.md lists every remaining difference.
"""
