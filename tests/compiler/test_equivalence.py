"""Compiled = dynamic, float for float, on random graphs over every registered op."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opgrad
from opgrad import Value
from opgrad.compiler import program as program_module
from opgrad.compiler import regions as graph_module
from opgrad.compiler.step import same_float
from tests.compiler.plugin_ops import extended_registry
from tests.reference import (
    Tree,
    points,
    repeated_trees,
    tree_loss,
    trees,
)

EXTENDED = extended_registry()
FAST = settings(max_examples=150, deadline=None, derandomize=True)


def dynamic_and_compiled(loss: Any, leaves: list[Value]) -> tuple[list[float], list[float]]:
    """(loss, grads) from backward(), then from the compiled step, grads zeroed before each."""
    for x in leaves:
        x.grad = 0.0
    root = loss()
    root.backward()
    dynamic = [root.data, *(x.grad for x in leaves)]
    for x in leaves:
        x.grad = 0.0
    step = opgrad.compile(loss)
    compiled = [step(), *(x.grad for x in leaves)]
    return dynamic, compiled


def assert_same(dynamic: list[float], compiled: list[float]) -> None:
    assert all(same_float(c, d) for c, d in zip(compiled, dynamic, strict=True)), (
        compiled, dynamic)


def test_the_extended_registry_has_ops_of_every_kind() -> None:
    assert {"softplus", "clipped", "double", "fma", "kinked"} <= set(EXTENDED)
    assert {op.arity for op in EXTENDED.values()} == {1, 2, 3}


@FAST
@given(tree=trees(EXTENDED), point=points())
def test_random_trees_over_every_op(tree: Tree, point: list[float]) -> None:
    with opgrad.use_registry(EXTENDED):
        assert_same(*dynamic_and_compiled(*tree_loss(tree, point, EXTENDED)))


@FAST
@given(tree=trees(EXTENDED, max_leaves=8), point=points(),
       constants=st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=6))
def test_random_batches_written_as_loops(tree: Tree, point: list[float],
                                         constants: list[float]) -> None:
    # One copy of the tree per constant: repeated regions, shared leaves.
    with opgrad.use_registry(EXTENDED), pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_module, "MIN_REGION", 1)
        patch.setattr(program_module, "GROUPS_FROM", 1)
        assert_same(*dynamic_and_compiled(*repeated_trees([tree], point, constants, EXTENDED)))


def test_moons_step_uses_one_loop_and_matches_backward() -> None:
    from opgrad.nn import MLP, make_moons, outputs_and_loss

    data = make_moons(n=30, seed=4)
    model = MLP(2, [8, 8, 1], seed=4)
    params = model.parameters()
    loss = lambda: outputs_and_loss(model, data, "hinge", 1e-4)  # noqa: E731
    dynamic, compiled = dynamic_and_compiled(lambda: loss()[0], params)
    assert_same(dynamic, compiled)
    step = opgrad.compile(loss)
    assert step.source.count("def block") == 1
    assert "30 regions of" in step.source
    step()
    assert step.outputs == [o.data for o in loss()[1]]


def test_a_pow_that_turns_complex_fails_like_the_dynamic_engine() -> None:
    x = Value(2.0)
    step = opgrad.compile(lambda: x ** 0.5)
    x.data = -4.0
    with pytest.raises(ValueError, match="complex"):
        x ** 0.5  # the dynamic engine refuses it too
    with pytest.raises(ValueError, match=r"compiled step failed in op 'pow'.*complex"):
        step()


def test_a_rule_returning_a_complex_partial_fails_clearly(registry: object) -> None:
    opgrad.register(lambda x: x * 1.0, name="odd", formula="d/dx odd = sqrt(x)",
                    local_grads=lambda x, out: (x ** 0.5,))
    x = Value(-1.0)
    step = opgrad.compile(lambda: opgrad.ops.odd(x))
    with pytest.raises(opgrad.BackwardError, match="op 'odd': local_grads returned complex"):
        step()
    with pytest.raises(opgrad.BackwardError, match=r"op 'odd'.*: local_grads returned complex"):
        opgrad.ops.odd(x).backward()  # the same error as the dynamic engine's


def test_gradients_of_inf_and_nan_match() -> None:
    x = Value(0.0)
    dynamic, compiled = dynamic_and_compiled(lambda: (x * math.inf).tanh() + x.exp(), [x])
    assert_same(dynamic, compiled)


def test_an_error_inside_a_loop_names_the_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_module, "MIN_REGION", 1)
    monkeypatch.setattr(program_module, "GROUPS_FROM", 1)
    w = Value(2.0)
    step = opgrad.compile(lambda: sum(((w - c).log() * w for c in (0.5, 1.0, 1.5)), 0.0 * w))
    assert "def block0" in step.source
    step()
    w.data = 1.2  # log(1.2 - 1.5) is undefined
    with pytest.raises(ValueError, match=r"compiled step failed in op 'log' at line \d+"):
        step()


@FAST
@given(first=trees(EXTENDED, max_leaves=6), second=trees(EXTENDED, max_leaves=6),
       point=points(), constants=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=6))
def test_random_batches_of_two_interleaved_kinds(first: Tree, second: Tree, point: list[float],
                                                 constants: list[float]) -> None:
    # Copies alternate between two trees over the same leaves: one loop, two branches.
    kinds = [first, second]
    with opgrad.use_registry(EXTENDED), pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_module, "MIN_REGION", 1)
        patch.setattr(program_module, "GROUPS_FROM", 1)
        assert_same(*dynamic_and_compiled(*repeated_trees(kinds, point, constants, EXTENDED)))


def test_cross_entropy_batches_run_as_one_loop_with_a_branch_per_class() -> None:
    from opgrad.nn import DATASETS, MLP, outputs_and_loss

    data = DATASETS["spiral"](n=30, noise=0.1, seed=0)
    model = MLP(2, [6, data.classes], seed=0)
    loss = lambda: outputs_and_loss(model, data, "cross-entropy", 1e-4)  # noqa: E731
    step = opgrad.compile(loss)
    assert step.source.count("def block") == 1 and "kind == 2" in step.source
    assert_same(*dynamic_and_compiled(lambda: loss()[0], model.parameters()))


@pytest.mark.parametrize(("rule", "found"), [
    (lambda x, out: (2.0, 1.0), r"2 partial\(s\)"),
    (lambda x, out: (), r"0 partial\(s\)"),
    (lambda x, out: 2.0, "float"),
])
def test_a_wrong_number_of_partials_is_one_error_on_every_path(
        registry: object, rule: object, found: str) -> None:
    opgrad.register(lambda x: 2.0 * x, name="double_bad", formula="d/dx 2x = 2",
                    local_grads=rule)  # type: ignore[arg-type]  # the mistake under test
    x = Value(1.5)
    message = (rf"op 'double_bad'.*: local_grads returned the wrong number of partials: "
               rf"{found} for 1 input\(s\)")
    with pytest.raises(opgrad.BackwardError, match=message):
        opgrad.ops.double_bad(x).backward()
    with pytest.raises(opgrad.BackwardError, match=message):
        opgrad.ops.double_bad(x).backward(create_graph=True)
    with pytest.raises(opgrad.BackwardError, match=message):
        opgrad.jvp(opgrad.ops.double_bad, [1.5], [1.0])
    step = opgrad.compile(lambda: opgrad.ops.double_bad(x))
    with pytest.raises(opgrad.BackwardError, match=message):
        step()

