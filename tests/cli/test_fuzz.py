"""Fuzzing the expression commands: random bytes and token soup never give a traceback.

Every case must end with exit status 0 (done), 1 (failed) or 2 (bad input),
and print no traceback or Python warning. Seeded, so a failure reproduces.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from opgrad.cli import main

SEED = 11
PLAIN = ["a", "b", "x", "1", "0", "2.5", "-1e-3", "1e308", "+", "-", "*", "/", "**", "(",
         ")", " ", "tanh(", "exp(", "log(", "relu(", "sigmoid(", "neg(", "pow(", ","]
HOSTILE = [
    "n1", "nan", "inf", "Infinity", "_x", "é", "1e999", "1" * 400, "0x1for", "0b2", "1_0", "//",
    "%", "@", "\t", "\n", "\x00", "'", '"', "add(", "lambda", "__import__", ".", "[", "]", "{",
    "}", ":", "=", "if", "else", "not", "and", "True", "None", "j", "\\", "#",
]
OPTIONS = [["--set", "a=2"], ["--set", "b=-3"], ["--set", "x=0.5"], ["--set", "a=nan"],
           ["--set", "b=1e999"], ["--set", "n1=1"], ["--set", "=1"], ["--set"], ["--"],
           ["-h"], ["--sett", "a=1"], ["-"], ["-o", "g\x00.dot"], ["-o", "."], ["-o", "g.txt"]]


def random_text(rng: random.Random) -> str:
    """Bytes as a command line delivers them: undecodable ones become surrogates."""
    return os.fsdecode(bytes(rng.randrange(1, 256) for _ in range(rng.randrange(0, 30))))


def token_soup(rng: random.Random) -> str:
    """Mostly the language's own tokens (so some parse), one in eight hostile."""
    return "".join(rng.choice(HOSTILE if rng.random() < 0.125 else PLAIN)
                   for _ in range(rng.randrange(1, 16)))


def expression(rng: random.Random, depth: int = 0) -> str:
    """A well-formed expression over a, b, x (so that most of these run to the end)."""
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(["a", "b", "x", "1", "2.5", "-1e-3", "1e308", "0"])
    if rng.random() < 0.4:
        return f"{rng.choice(['tanh', 'exp', 'log', 'relu', 'sigmoid', 'neg'])}" \
               f"({expression(rng, depth + 1)})"
    operator = rng.choice(["+", "-", "*", "/", "**"])
    return f"{rng.choice(['', '-'])}({expression(rng, depth + 1)} {operator} " \
           f"{expression(rng, depth + 1)})"


def command_lines(rng: random.Random, command: str, count: int) -> Iterator[list[str]]:
    """Random bytes, token soup and well-formed expressions, with options mixed in."""
    makers = [random_text, token_soup, expression]
    for i in range(count):
        words = [command, makers[i % 3](rng)]
        if rng.random() < 0.6:
            words += ["--set", "a=2", "--set", "b=-3", "--set", "x=0.5"]
        for _ in range(rng.randrange(0, 3)):
            words[rng.randrange(1, len(words) + 1):0] = rng.choice(
                [*OPTIONS, [token_soup(rng)], [random_text(rng)]])
        yield words


def run_in_process(argv: list[str]) -> tuple[int | str | None, str]:
    """Exit status and stderr of ``main(argv)``; an escaping exception fails the case."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status: int | str | None = main(argv)
        except SystemExit as exit_info:  # argparse: usage errors and --help
            status = exit_info.code
    leaked = "".join(f"{w.category.__name__}: {w.message}\n" for w in caught)
    return status, err.getvalue() + leaked


def problems(cases: list[list[str]]) -> list[str]:
    found = []
    for argv in cases:
        status, err = run_in_process(argv)
        if status not in (0, 1, 2) or "Traceback" in err or "Warning" in err:
            found.append(f"{argv!r}: exit {status!r}, stderr {err[-300:]!r}")
    return found


@pytest.mark.parametrize("command", ["explain", "graph"])
def test_random_command_lines_never_crash(command: str) -> None:
    cases = list(command_lines(random.Random(f"{SEED}-{command}"), command, 200))
    assert problems(cases) == []


def test_random_plots_never_crash(tmp_path: Path, matplotlib: ModuleType,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"{SEED}-plot")
    ranges = [["--range", "-1e-3", "1"], ["--range", "0", "inf"], ["--range", "1", "-1"],
              ["--range", "-1e308", "1e308"], ["--range", "nan", "1"], []]
    outputs = [["-o", "p.png"], ["-o", "p.txt"], ["-o", "."], ["-o", "missing/p.png"]]
    cases = [["plot", token_soup(rng), *rng.choice(ranges), *rng.choice(outputs),
              "--set", "a=2", "--set", "b=0.5"] for _ in range(25)]
    cases += [["plot", text, "-o", "p.png"] for text in ["x * x", "log(x)", "log(-x*x)",
                                                          "1/x", "exp(1000*x)", "x ** 0.5",
                                                          "1e308", "x * 1e307"]]
    assert problems(cases) == []


def test_the_installed_command_never_crashes_either() -> None:
    rng = random.Random(f"{SEED}-subprocess")
    cases = [[rng.choice(["explain", "graph"]), token_soup(rng)] for _ in range(3)]
    cases += [["explain", os.fsencode(random_text(rng)).decode("utf-8", "surrogateescape")]
              for _ in range(2)]
    cases.append(["explain", "0x1for"])
    for argv in cases:
        result = subprocess.run([sys.executable, "-m", "opgrad", *argv], capture_output=True,
                                timeout=60, env={**os.environ, "PYTHONWARNINGS": "default"})
        err = result.stderr.decode("utf-8", "replace")
        assert result.returncode in (0, 1, 2), (argv, err)
        assert "Traceback" not in err and "Warning" not in err, (argv, err)

