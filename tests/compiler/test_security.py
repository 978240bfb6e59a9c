"""Nothing from a label, an op name or a number reaches the generated source as code."""

from __future__ import annotations

import ast
import dataclasses
import math

import pytest

import opgrad
from opgrad import StructureChanged, Value
from opgrad.compiler.inline import GENERATED_NAMES
from opgrad.core import make_node
from opgrad.nn import MLP, make_moons, make_spiral
from opgrad.nn.training import outputs_and_loss

HOSTILE = [
    "w\n    print('INJECTED')\n",
    "w\r    print('INJECTED')",
    "w\nprint('INJECTED')",
    "\x00print('INJECTED')",
    "w\u2028print('INJECTED')",
    "w\u2029\u0085\x0b\x0cprint('INJECTED')",
    "'''\nprint('INJECTED')\n'''",
    '"""\nprint("INJECTED")\n"""',
    "\\\nprint('INJECTED')",
    "{0}{out}{{}}%s",
    "a\n",
]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_never_run(label: str, capsys: pytest.CaptureFixture[str]) -> None:
    w = Value(1.5, label=label)
    b = Value(0.5, label=label + "b")
    step = opgrad.compile(lambda: (w * b + w).tanh())
    step()
    step()
    assert "INJECTED" not in capsys.readouterr().out
    assert w.grad == pytest.approx(2 * (1 - math.tanh(2.25) ** 2) * 1.5)
    for line in step.source.splitlines():
        assert line.isascii() and line.isprintable()


@pytest.mark.parametrize("name", [*HOSTILE, "ok_name", "c0", "v1", "step", "leaves"])
def test_hostile_op_names_never_run(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    # A registered name is an identifier; an Op built by hand need not be.
    op = dataclasses.replace(opgrad.default_registry()["mul"], name=name)
    x, y = Value(2.0, label=name), Value(3.0)
    step = opgrad.compile(lambda: make_node(x.data * y.data, op, x, y).tanh())
    assert step() == math.tanh(6.0)
    assert "INJECTED" not in capsys.readouterr().out
    assert all(line.isascii() and line.isprintable() for line in step.source.splitlines())


@pytest.mark.parametrize("number", [math.inf, -math.inf, 10**400, -(10**400), 1e308, 0])
def test_guards_compare_with_any_number(number: float) -> None:
    w = Value(1.0)

    def loss() -> Value:
        z = w * 2.0
        return z * 3.0 if z < number else z

    step = opgrad.compile(loss)
    assert step() == loss().data
    w.data = 1e300
    if (number > 2e300) == (number > 2.0):  # the same branch: the same numbers
        assert step() == loss().data
    else:
        with pytest.raises(StructureChanged, match=r"compared v\d+ < "):
            step()


def test_a_nan_guard_is_kept() -> None:
    w = Value(1.0)

    def loss() -> Value:
        z = w * 2.0
        return z * 3.0 if z > math.nan else z  # always False, also for nan data

    step = opgrad.compile(loss)
    assert step() == 2.0
    w.data = math.nan
    assert math.isnan(step())


def test_string_constants_in_a_forward_stay_data(registry: object,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    opgrad.register(lambda x: x if "\nprint('INJECTED')" else 0.0, name="passthrough",
                    formula="d/dx passthrough(x) = 1", local_grads=lambda x, out: (1.0,))
    x = Value(2.0)
    step = opgrad.compile(lambda: opgrad.ops.passthrough(x) * x)
    assert step() == 4.0
    assert "INJECTED" not in capsys.readouterr().out


def bound_names(source: str) -> set[str]:
    """Every name the generated code binds itself: locals, parameters, its functions."""
    tree = ast.parse(source)
    return ({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Store)}
            | {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
            | {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)})


def values(x: float) -> float:  # a module helper named like a generated local (N5)
    return 1.0 - math.tanh(x) ** 2


def kind(x: float) -> float:
    return 1.0 - math.tanh(x) ** 2


@pytest.mark.parametrize("helper", [values, kind])
def test_a_rule_calling_a_helper_named_like_a_generated_local_compiles(
        registry: object, helper: object) -> None:
    # Generated locals (kind, row, values, s3, gs3, ...) once shadowed such helpers in the
    # loop of a repeated region: 'tuple' object is not callable.
    rule = (lambda x, out: (values(x),)) if helper is values else (lambda x, out: (kind(x),))
    opgrad.register(math.tanh, name="tanh2", formula="d/dx tanh(x) = 1 - tanh(x)^2",
                    local_grads=rule)
    data = make_moons(n=40, noise=0.1, seed=0)
    model = MLP(2, [4, 1], activation="tanh2", seed=0)
    step = opgrad.compile(lambda: outputs_and_loss(model, data, "hinge"))
    assert "block0" in step.source  # the regions became a loop: the locals are in play
    assert not bound_names(step.source) & set(step._program.namespace)
    loss = step()
    expected, _ = outputs_and_loss(model, data, "hinge")
    assert loss == expected.data


def test_every_name_the_generated_code_binds_is_reserved_for_it() -> None:
    # If the writer starts using a new local name, this fails until the name is listed in
    # GENERATED_NAMES (otherwise an op's global of that name could be shadowed).
    data = make_spiral(n=30, seed=0)
    model = MLP(2, [4, 3], seed=0)
    step = opgrad.compile(lambda: outputs_and_loss(model, data, "cross-entropy"))
    assert "block0" in step.source and "kind ==" in step.source
    unreserved = {n for n in bound_names(step.source) if not GENERATED_NAMES.fullmatch(n)}
    assert not unreserved
    assert not any(GENERATED_NAMES.fullmatch(n) for n in step._program.namespace
                   if not n.startswith("c") or not n[1:].isdigit())
