"""The ``opgrad`` command: one sub-command per module beside this file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from opgrad import __version__
from opgrad._optional import MissingExtraError
from opgrad.cli import eval_command, expr_commands, kit_command, ops_commands, train_command
from opgrad.cli.common import (
    CommandError,
    Parser,
    dashed_data_as_positional,
    fail,
    option_strings,
)
from opgrad.cli.typos import unknown_arguments, unknown_command

COMMAND_MODULES = (ops_commands, expr_commands, train_command, eval_command, kit_command)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = Parser(
        prog="opgrad",
        description="A scalar autograd engine in which every operation is a plugin.",
        epilog="Run `opgrad COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    words = dashed_data_as_positional(sys.argv[1:] if argv is None else argv,
                                      option_strings(parser))
    mistyped = unknown_command(parser, words)
    if mistyped:
        return fail(mistyped)
    args, extras = parser.parse_known_args(words)
    if extras:
        return fail(unknown_arguments(parser, args.command, extras))
    try:
        status: int = args.run(args)
    except CommandError as exc:
        return fail(str(exc), exc.status)
    except MissingExtraError as exc:
        return fail(str(exc))
    except OSError as exc:  # a file that cannot be written or read
        return fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    return status

