"""The offline teaching kit: ``opgrad kit DIR`` builds a static folder that runs opgrad in
a browser (Pyodide), with nothing to install and nothing fetched from anywhere but the folder.

Building it needs npm (the Pyodide runtime) and pip (pinned wheels), and for the
notebook site the ``kit`` extra; opgrad itself needs nothing more.
:mod:`opgrad.kit.playground` is the part that runs inside the page.
"""

from opgrad.kit.build import Kit, build_kit
from opgrad.kit.errors import KitError

__all__ = ["Kit", "KitError", "build_kit"]
