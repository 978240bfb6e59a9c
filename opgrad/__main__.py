"""``python -m opgrad``: the same as the ``opgrad`` command."""

import sys

from opgrad.cli import main

sys.exit(main())
