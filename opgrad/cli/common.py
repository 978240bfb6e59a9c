"""Helpers shared by the sub-commands: errors, tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


class CommandError(Exception):
    """A user error on the command line: printed as one line, exit status 2."""


def fail(message: str, status: int = 2) -> int:
    """Print one clear line on stderr and return the exit status."""
    print(f"opgrad: error: {message}", file=sys.stderr)
    return status


def check_folder(path: Path) -> None:
    """Fail before any work, not after, if ``path``'s folder does not exist."""
    if not path.parent.resolve().is_dir():
        raise CommandError(f"cannot write {path}: the folder {path.parent} does not exist")


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as aligned text columns (the first row is the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)
