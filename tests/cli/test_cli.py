"""The ``opgrad`` command: ``opgrad ops`` and the help text."""

from __future__ import annotations

import json
import re

import pytest

import opgrad
from opgrad.cli import main
from tests.cli.runner import command


def test_ops_table_lists_every_registered_op(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ops"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "arity", "operator", "plugin", "formula"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == set(opgrad.default_registry())
    assert rows["tanh"].split()[1:3] == ["1", "opgrad.functions"]
    assert "d/dx tanh(x) = 1 - tanh(x)^2" in rows["tanh"]
    assert rows["pow"].split()[1:3] == ["2", "**"]


def test_ops_json_has_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ops", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    registry = opgrad.default_registry()
    assert [r["name"] for r in records] == list(registry)
    for record in records:
        op = registry[record["name"]]
        assert (record["arity"], record["operator"], record["formula"], record["plugin"]) == (
            op.arity, op.operator, op.formula, op.plugin)
    log = next(r for r in records if r["name"] == "log")
    assert log["domain"] == [[0.0, None]]
    assert (log["torch"], log["jax"]) == ("log", "numpy.log")


def test_no_command_says_what_is_missing_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == ("opgrad: error: the following arguments are required: "
                                       "COMMAND (see opgrad --help)\n")


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^    (\w+) +\S", out, re.M)
    assert listed == ["ops", "check", "graph", "explain", "plot", "train", "eval", "kit"]


def test_check_all_ops_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--points", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(opgrad.default_registry()) + 1
    assert all(line.startswith("PASS ") for line in lines[:-1])
    assert lines[-1] == f"{len(opgrad.default_registry())} passed, 0 failed"


def test_check_named_ops_with_torch(torch: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "tanh", "pow", "--torch"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines[:2]] == ["tanh:", "pow:"]
    assert all("torch: ok" in line for line in lines[:2])
    assert all("bridge: ok" in line and "gradcheck passed" in line for line in lines[:2])


def test_check_torch_reports_an_op_that_cannot_be_bridged(
        torch: object, registry: object, capsys: pytest.CaptureFixture[str]) -> None:
    opgrad.register(lambda x: x * x if x > 0.0 else 0.0, name="halfsquare", torch=None,
                    local_grads=lambda x, out: (2.0 * x if opgrad.value_of(x) > 0.0 else 0.0,),
                    formula="d/dx halfsquare(x) = 2x for x > 0, else 0")
    assert main(["check", "halfsquare", "--torch"]) == 1
    out = capsys.readouterr().out
    assert "bridge: FAIL, op 'halfsquare' cannot run on torch tensors: its forward" in out


def test_check_a_wrong_op_exits_1(registry: object, capsys: pytest.CaptureFixture[str]) -> None:
    opgrad.register(lambda x: x * x, name="square", local_grads=lambda x, out: (x,),
                    formula="d/dx square(x) = x (wrong: it is 2x)")
    assert main(["check", "square", "tanh"]) == 1
    out = capsys.readouterr().out
    assert "FAIL square" in out and "PASS tanh" in out
    assert out.splitlines()[-1] == "1 passed, 1 failed"


def test_check_needs_at_least_one_point(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "tanh", "--points", "0"])
    assert exit_info.value.code == 2
    assert "--points: must be at least 1, got 0" in capsys.readouterr().err


def test_check_unknown_op_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "nosuch"]) == 2
    err = capsys.readouterr().err
    assert err == ("opgrad: error: unknown op(s): nosuch; `opgrad ops` lists the registered "
                   "ones\n")


@pytest.mark.parametrize(("args", "message"), [
    (["train", "--steps", "abc"], "opgrad train: error: argument --steps: expected a whole "
                                  "number, got 'abc' (see opgrad train --help)"),
    (["train", "--hidden", "0"], "opgrad train: error: argument --hidden: layer widths must "
                                 "be positive"),
    (["eval"], "opgrad eval: error: the following arguments are required: MODEL"),
    (["train", "--no-compile", "--backend", "numpy"], "--backend numpy picks how the step is "
                                                      "compiled: leave it out with --no-compile"),
])
def test_a_bad_argument_is_one_line_and_exit_status_2(args: list[str], message: str) -> None:
    done = command(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr
