"""Helpers shared by the sub-commands: errors, argument types, output paths, tables."""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import NoReturn, TypeVar

from opgrad.expr import ExpressionError, parse
from opgrad.files import SpecialFileError, writable_target

Number = TypeVar("Number", int, float)
PLOT_SUFFIXES = (".png", ".svg", ".pdf")  # what plots are written as
A_FOLDER = "it is a folder; give a file name"


class CommandError(Exception):
    """A user error on the command line: printed as one line, exit status 2."""

    status = 2


class CommandFailure(CommandError):
    """Valid input, but the work failed (e.g. training diverged): one line, exit status 1."""

    status = 1


def fail(message: str, status: int = 2) -> int:
    """Print one clear line on stderr and return the exit status."""
    print(f"opgrad: error: {message}", file=sys.stderr)
    return status


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit status 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def file_path(text: str) -> Path:
    """An argparse type: a file to write, never a name ending in a slash (a folder)."""
    if text.endswith(("/", os.sep)):
        raise argparse.ArgumentTypeError(f"{text} names a folder: give a file name")
    return Path(text)


def number(kind: Callable[[str], Number], *, minimum: float | None = None,
           above: float | None = None, maximum: float | None = None,
           below: float | None = None) -> Callable[[str], Number]:
    """An argparse type: a finite ``kind`` (int or float) within the given bounds.

    ``minimum``/``maximum`` are inclusive, ``above``/``below`` exclusive. NaN,
    infinities and overflowing literals such as ``1e999`` are always refused.
    """
    def convert(text: str) -> Number:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        problem = _out_of_bounds(value, minimum, above, maximum, below)
        if problem:
            raise argparse.ArgumentTypeError(f"{problem}, got {text.strip()}")
        return value

    return convert


def _out_of_bounds(value: float, minimum: float | None, above: float | None,
                   maximum: float | None, below: float | None) -> str:
    checks = [
        (not math.isfinite(value), "must be a finite number"),
        (minimum is not None and value < minimum, f"must be at least {minimum}"),
        (above is not None and value <= above, f"must be greater than {above}"),
        (maximum is not None and value > maximum, f"must be at most {maximum}"),
        (below is not None and value >= below, f"must be less than {below}"),
    ]
    return next((message for failed, message in checks if failed), "")


def check_output(path: Path, suffixes: Sequence[str] = ()) -> None:
    """Fail before any work, not after, if ``path`` cannot be the file to write.

    The folder must exist, ``path`` must name a regular file or a new one (not
    ``.``, a folder, a device, FIFO or socket, nor a name too long for the file
    system), and end with one of ``suffixes`` when given.
    """
    if "\x00" in str(path):
        raise CommandError(f"cannot write {str(path)!r}: a file name cannot hold a NUL byte")
    if not path.name or path.name == "..":
        raise CommandError(f"cannot write {path}: {A_FOLDER}")
    _check_writable(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise CommandError(f"cannot write {path}: use a file name ending in "
                           f"{', '.join(suffixes[:-1])} or {suffixes[-1]}")
    if not path.parent.resolve().is_dir():
        raise CommandError(f"cannot write {path}: the folder {path.parent} does not exist")


def _check_writable(path: Path) -> None:
    """What opgrad's file writer would refuse, refused now, as one line."""
    try:
        writable_target(path)
    except SpecialFileError as exc:  # a device, FIFO or socket
        raise CommandError(str(exc)) from None
    except IsADirectoryError:
        raise CommandError(f"cannot write {path}: {A_FOLDER}") from None
    except OSError as exc:  # a name too long, a symlink loop, a folder we may not enter
        raise CommandError(f"cannot write {path}: {exc.strerror}") from None


def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option string of ``parser`` and of its sub-commands (``-o``, ``--set``, ...)."""
    found = {option for action in parser._actions for option in action.option_strings}
    for command in subcommands(parser).values():
        found |= option_strings(command)
    return found


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The sub-command parsers of ``parser`` by name (none for a parser without them)."""
    for action in parser._actions:  # argparse has no public list of a parser's options
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def dashed_data_as_positional(argv: Sequence[str], options: set[str]) -> list[str]:
    """Let numbers and expressions start with ``-`` (``-1e-3``, ``-a*2``, ``-a``).

    argparse takes any such word for an unknown option. A word that is not one
    of ``options`` (nor an abbreviation of one, nor a short option with its
    value attached) but reads as a number or an expression gets a leading
    space, which argparse leaves alone and numbers and expressions ignore.
    Words after ``--`` are already positional.
    """
    end = argv.index("--") if "--" in argv else len(argv)
    return [f" {word}" if i < end and _dashed_data(word, options) else word
            for i, word in enumerate(argv)]


def _dashed_data(word: str, options: set[str]) -> bool:
    if not word.startswith("-") or word == "-" or names_option(word, options):
        return False
    if word.startswith("--") and word[2:3].isalpha():  # --stpes: a mistyped option, not -(-x)
        return False
    try:
        parse(word)
    except ExpressionError:
        return False
    return True


def names_option(word: str, options: Collection[str]) -> bool:
    """``word`` names one of ``options``: itself, with ``=value`` or a short option's value
    attached (``-ofile.png``), or a prefix of a long one (argparse expands those)."""
    name = word.split("=", 1)[0]
    if name.startswith("--"):  # an option, or an abbreviation argparse would expand
        return any(option.startswith(name) for option in options)
    return word[:2] in options  # a short option, maybe with its value attached: -ofile.png


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows of cells as aligned text columns (the first row is the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)
