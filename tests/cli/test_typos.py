"""Typos get one line naming what was probably meant, and exit status 2 (the real command)."""

from __future__ import annotations

import pytest

from tests.cli.runner import command


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--stpes", "5"], "opgrad train has no option --stpes; did you mean --steps?"),
        (["train", "--stpes=5"], "opgrad train has no option --stpes; did you mean --steps?"),
        (["graph", "a", "--sett", "a=1"], "opgrad graph has no option --sett; did you mean --set?"),
        (["graph", "a", "b"], "opgrad graph does not take 'b' here; `opgrad graph --help` lists "
         "them"),
        (["trian"], "unknown command 'trian'; did you mean 'train'?"),
        (["xyzzy"], "unknown command 'xyzzy'; the commands are ops, check, graph, explain, plot, "
         "train, eval, kit"),
        (["--verison"], "unknown option --verison; did you mean --version?"),
        (["explain", "tahn(a)", "--set", "a=1"], "tahn() is not a registered op; did you mean "
         "tanh()? (column 1)"),
        (["explain", "foo(a)", "--set", "a=1"], "foo() is not a registered op; `opgrad ops` "
         "lists them (column 1)"),
        (["explain", "a^2", "--set", "a=1"], "^ is not a power in Python: write a ** 2 "
         "(column 1)"),
        (["graph", "tanh((a + 1)^b)", "--set", "a=1", "--set", "b=2"], "^ is not a power in "
         "Python: write (a + 1) ** b (column 6)"),
        (["check", "tahn", "sigmod"], "unknown op(s): tahn, sigmod; did you mean tanh, sigmoid? "
         "`opgrad ops` lists the registered ones"),
    ],
)
def test_a_typo_gets_one_line_with_a_guess(args: list[str], message: str) -> None:
    result = command(*args)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"opgrad: error: {message}\n"


def test_right_spellings_and_abbreviations_still_work() -> None:
    trained = command("train", "--ste", "1", "--samples", "10", "--hidden", "2", "--quiet")
    assert trained.returncode == 0 and trained.stdout.startswith("trained MLP 2-2-1")
    assert command("explain", "-a", "--set", "a=3").returncode == 0  # an expression, not an option
