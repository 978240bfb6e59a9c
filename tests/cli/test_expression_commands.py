"""``opgrad explain``, ``graph`` and ``plot`` on input that starts with ``-`` or is hostile."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from types import ModuleType

import pytest

from tests.cli.runner import run


def gradients(explained: str) -> dict[str, float]:
    return {name: float(value) for name, value in
            re.findall(r"^  d\w+/d(\w+) = (\S+)$", explained, re.M)}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["explain", "-a*2", "--set", "a=3"], {"a": -2.0}),
        (["explain", "--set", "a=3", "-a*2"], {"a": -2.0}),
        (["explain", "-a", "--set", "a=3"], {"a": -1.0}),
        (["explain", "-tanh(a) * b", "--set", "a=0", "--set", "b=5"], {"a": -5.0, "b": -0.0}),
        (["explain", "--set", "a=3", "--", "-a"], {"a": -1.0}),
    ],
)
def test_an_expression_may_start_with_a_minus(capsys: pytest.CaptureFixture[str],
                                              args: list[str], expected: dict[str, float]) -> None:
    status, out, err = run(capsys, *args)
    assert (status, err) == (0, "")
    assert gradients(out) == expected


def test_options_still_win_over_expressions(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "-h")
    assert status == 0 and out.startswith("usage: opgrad explain")
    status, out, _ = run(capsys, "graph", "a", "--se", "a=1")  # an abbreviation of --set
    assert status == 0 and out.startswith("digraph opgrad {")


def test_a_range_may_start_with_a_minus(tmp_path: Path, matplotlib: ModuleType,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.png"
    status, _, err = run(capsys, "plot", "x * x", "--range", "-1e-3", "1", "-o", str(path))
    assert (status, err) == (0, f"wrote {path}\n")
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plot", "x*x", "-o", "p.txt"], "cannot write p.txt: use a file name ending in .png, "
         ".svg or .pdf"),
        (["plot", "x*x", "-o", "."], "cannot write .: it is a folder; give a file name"),
        (["plot", "x", "--range", "0", "inf"], "argument --range: must be a finite number, "
         "got inf"),
        (["plot", "x", "--range", "-1e308", "1e308"], "the range [-1e+308, 1e+308] must be "
         "finite, with lo < hi"),
        (["plot", "log(x)", "--range", "-2", "-1", "-o", "p.png"], "log(x) is undefined or not "
         "finite everywhere on [-2, -1] (with its slope): choose another range"),
        (["explain", "nan * 2", "--set", "nan=1"], "'nan' reads as a number, so it cannot name "
         "a variable: rename it (column 1)"),
        (["explain", "inf + a", "--set", "inf=1", "--set", "a=1"], "'inf' reads as a number"),
        (["explain", "n1 * a", "--set", "n1=1", "--set", "a=2"], "'n1' cannot name a variable"),
        (["graph", "a", "--set", "a=1", "-o", "g.txt"], "use a file name ending in .dot, .gv, "
         ".svg or .png"),
        (["graph", "a", "--set", "a=1", "-o", "g\x00.dot"], "cannot write 'g\\x00.dot': a file "
         "name cannot hold a NUL byte"),
    ],
)
def test_refused_with_one_line_and_nothing_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, matplotlib: ModuleType,
        capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, *args)
    assert (status, out) == (2, "")
    assert message in err.splitlines()[-1] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_python_warnings_do_not_leak(capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, _, err = run(capsys, "explain", "0x1for")
    assert [str(w.message) for w in caught] == []
    assert (status, err) == (2, "opgrad: error: not a valid expression: invalid hexadecimal "
                                "literal (column 4)\n")


def test_a_flat_sum_of_many_terms_is_not_too_deep(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "+".join(["a"] * 300), "--set", "a=2")
    assert status == 0
    assert gradients(out) == {"a": 300.0}
