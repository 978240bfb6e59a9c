"""Mistyped commands and options, answered in one line with the closest right one.

argparse answers ``opgrad trian`` with its usage and a list of every
command, and ``opgrad train --stpes 5`` with "unrecognized arguments"; these
say what was probably meant instead.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from opgrad.cli.common import names_option, subcommands
from opgrad.suggest import closest


def unknown_command(parser: argparse.ArgumentParser, words: Sequence[str]) -> str:
    """Why the first word is neither a command nor an option of ``opgrad`` itself, or ""."""
    first = words[0].strip() if words else "--"  # a leading space marks a word read as data
    commands = subcommands(parser)
    options = [option for action in parser._actions for option in action.option_strings]
    if first in commands or first == "--" or names_option(first, options):
        return ""
    if first.startswith("-"):
        meant = closest(first, options)
        return f"unknown option {first}; " + (f"did you mean {meant}?" if meant else
                                              "`opgrad --help` lists the options")
    meant = closest(first, commands)
    return f"unknown command {first!r}; " + (f"did you mean {meant!r}?" if meant else
                                             f"the commands are {', '.join(commands)}")


def unknown_arguments(parser: argparse.ArgumentParser, command: str,
                      extras: Sequence[str]) -> str:
    """One line about the first word ``opgrad COMMAND`` did not take, with a guess."""
    word = extras[0].strip()
    listed = f"`opgrad {command} --help` lists them"
    if not word.startswith("-") or word == "-":
        return f"opgrad {command} does not take {word!r} here; {listed}"
    name = word.split("=", 1)[0]
    options = [option for action in subcommands(parser)[command]._actions
               for option in action.option_strings if option.startswith("--")]
    meant = closest(name, options)
    return f"opgrad {command} has no option {name}; " + (f"did you mean {meant}?" if meant
                                                         else listed)


