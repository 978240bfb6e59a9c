"""Running the ``opgrad`` command: in-process (quick), or as the installed command."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


def command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``opgrad ARGS`` run as a user runs it: the installed command, in a new process.

    Its stderr is a pipe, not a terminal, as in a log file or CI. Where opgrad
    is importable but its command is not on PATH, ``python -m opgrad`` runs
    the same ``main``.
    """
    installed = shutil.which("opgrad")
    program = [installed] if installed else [sys.executable, "-m", "opgrad"]
    return subprocess.run([*program, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False)
