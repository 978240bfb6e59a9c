"""``opgrad kit DIR``: build the offline teaching kit (see :mod:`opgrad.kit`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from opgrad.cli.common import CommandError

DESCRIPTION = """\
Build a folder that runs opgrad in the browser, offline: DIR/index.html, a
playground (an editor with the tutorial's examples, the output, the explorer,
plots and live training), and DIR/lite/, JupyterLite with the tutorial
notebook and opgrad preinstalled. Nothing in it is fetched from anywhere but
DIR: serve it with any static web server (python -m http.server -d DIR) or
copy it to a web host or a USB stick. Building fetches the Pyodide runtime
with npm and pinned wheels with pip (kept in a cache folder, so a rebuild
works offline); DIR/lite needs the kit extra: pip install 'opgrad[kit]'."""


def add_commands(commands: Any) -> None:
    """Add ``kit`` to the sub-command parsers."""
    kit = commands.add_parser("kit", help="build the offline browser kit (playground, notebook)",
                              description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    kit.add_argument("folder", type=Path, metavar="DIR", help="the folder to build (new or empty)")
    kit.add_argument("--force", action="store_true",
                     help="build into a non-empty DIR: the kit's files are replaced, others kept")
    kit.add_argument("--no-lite", dest="lite", action="store_false",
                     help="the playground only, without DIR/lite (no kit extra needed)")
    kit.add_argument("--cache", type=Path, metavar="FOLDER",
                     help="where downloads are kept (default: ~/.cache/opgrad/kit)")
    kit.set_defaults(run=cmd_kit)


def cmd_kit(args: argparse.Namespace) -> int:
    from opgrad.kit import KitError, build_kit

    def say(message: str) -> None:
        print(f"opgrad kit: {message}", file=sys.stderr)

    try:
        kit = build_kit(args.folder, force=args.force, lite=args.lite, cache=args.cache, say=say)
    except KitError as exc:
        raise CommandError(str(exc)) from None
    print(f"built {kit.folder}: {kit.files} files, {kit.size / 1e6:.1f} MB, "
          f"in {kit.seconds:.1f} s. Serve it: python -m http.server -d {kit.folder} "
          "then open http://127.0.0.1:8000/")
    return 0
