"""Running the ``opgrad`` command in-process, as the CLI tests of every room do."""

from __future__ import annotations

import pytest

from opgrad.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``opgrad ARGS`` (argparse's exits included)."""
    try:
        status = main(list(args))
    except SystemExit as exit_info:
        status = int(exit_info.code or 0)
    captured = capsys.readouterr()
    return status, captured.out, captured.err
