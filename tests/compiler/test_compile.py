"""opgrad.compile: the generated step gives the dynamic engine's numbers, float for float."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings

import opgrad
from opgrad import StructureChanged, Value
from opgrad.nn import MLP, SGD, fit, make_moons, outputs_and_loss
from opgrad.plugins.declaration import Op
from opgrad.testing import sample_points
from tests.reference import Tree, build, evaluate, opgrad_call, points, trees

REGISTRY = opgrad.default_registry()


@settings(max_examples=200, deadline=None)
@given(tree=trees(REGISTRY), point=points())
def test_random_trees_compile_to_the_same_numbers(tree: Tree, point: list[float]) -> None:
    build(tree, point, REGISTRY)  # rejects ill-conditioned draws
    leaves = [Value(v) for v in point]
    out = evaluate(tree, leaves, opgrad_call)
    out.backward()
    expected = [x.grad for x in leaves]
    for x in leaves:
        x.grad = 0.0
    step = opgrad.compile(lambda: evaluate(tree, leaves, opgrad_call) + 0.0 * leaves[0])
    assert step() == out.data
    assert [x.grad for x in leaves] == expected


def test_mlp_step_equals_backward_and_follows_new_data() -> None:
    data = make_moons(n=20, seed=3)
    model = MLP(2, [6, 6, 1], seed=3)
    params = model.parameters()
    step = opgrad.compile(lambda: outputs_and_loss(model, data, "hinge", 1e-4))
    for _ in range(3):
        model.zero_grad()
        total, _ = outputs_and_loss(model, data, "hinge", 1e-4)
        total.backward()
        expected = [p.grad for p in params]
        model.zero_grad()
        assert step() == total.data
        assert [p.grad for p in params] == expected
        for p in params:  # an SGD update: the compiled step must read the new data
            p.data -= 0.1 * p.grad


def test_gradients_accumulate_like_backward() -> None:
    x = Value(0.7)
    step = opgrad.compile(lambda: (x * x).tanh())
    step()
    once = x.grad
    step()
    assert x.grad == 2 * once


def test_outputs_are_reported() -> None:
    a, b = Value(2.0), Value(3.0)

    def loss() -> tuple[Value, list[Value]]:
        product = a * b
        return product.tanh(), [product]

    step = opgrad.compile(loss)
    assert step() == math.tanh(6.0)
    assert step.outputs == [6.0]
    a.data = 1.0
    step()
    assert step.outputs == [3.0]


@pytest.mark.parametrize("op", list(REGISTRY.values()), ids=lambda op: op.name)
def test_each_op_compiles_to_its_own_numbers(op: Op) -> None:
    for point in sample_points(op, 10):
        xs = [Value(v) for v in point]
        out = getattr(opgrad.ops, op.name)(*xs)
        out.backward()
        expected = [x.grad for x in xs]
        for x in xs:
            x.grad = 0.0
        step = opgrad.compile(lambda: getattr(opgrad.ops, op.name)(*xs))  # noqa: B023
        assert step() == out.data
        assert [x.grad for x in xs] == expected


def test_a_one_expression_plugin_op_is_inlined(registry: Any) -> None:
    opgrad.register(lambda x: x * x * x, name="cube", formula="d/dx cube(x) = 3 x^2",
                    local_grads=lambda x, out: (3.0 * x * x,))
    x = Value(1.5)
    step = opgrad.compile(lambda: opgrad.ops.cube(x).tanh())
    assert "(v0 * v0) * v0" in step.source and "(3.0 * v0) * v0" in step.source
    assert step() == math.tanh(1.5**3)
    assert x.grad == pytest.approx((1 - math.tanh(3.375) ** 2) * 3 * 1.5**2, rel=1e-15)


def test_source_is_readable_python() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    step = opgrad.compile(lambda: (a * b + b).tanh())
    lines = step.source.splitlines()
    assert lines[0] == "def step(leaves):"
    assert "    v0 = leaves[0].data  # a" in lines or "    v0 = leaves[0].data  # b" in lines
    assert any("= tanh(" in line and "# tanh" in line for line in lines)
    assert any(line.strip().startswith("leaves[0].grad += ") for line in lines)
    compile(step.source, "check", "exec")  # the builtin: valid Python


def test_a_branch_on_the_data_is_guarded() -> None:
    w = Value(1.0)

    def loss() -> Value:
        z = w * 2.0
        return (z if z > 0 else -z) * 3.0

    step = opgrad.compile(loss)
    assert step() == 6.0
    w.data = -1.0
    with pytest.raises(StructureChanged, match=r"compared v\d+ > 0 and got True"):
        step()


def test_verify_catches_a_changed_structure() -> None:
    a = Value(1.0)
    shape = {"deep": False}

    def loss() -> Value:
        return (a * a).tanh() if shape["deep"] else a * a

    step = opgrad.compile(loss)
    step.verify()
    shape["deep"] = True
    with pytest.raises(StructureChanged, match="different graph"):
        step.verify()


def test_runtime_domain_error_names_the_op() -> None:
    x = Value(2.0)
    step = opgrad.compile(lambda: (x - 1.0).log() * 2.0)
    x.data = 0.5
    with pytest.raises(ValueError, match=r"compiled step failed in op 'log' at line \d+"):
        step()


def test_bad_functions_are_refused() -> None:
    with pytest.raises(TypeError, match="needs a function"):
        opgrad.compile(3.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"fn must return a Value, or \(loss, \[Values\]\)"):
        opgrad.compile(lambda: 3.0)
    a = Value(1.0)
    with pytest.raises(ValueError, match="not in the loss's graph"):
        opgrad.compile(lambda: (a * 2.0, [Value(5.0)]))


@pytest.mark.parametrize(("loss", "traces"), [("hinge", 1), ("bce", 4)])
def test_compiled_training_matches_dynamic_training(loss: str, traces: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import opgrad.nn.training

    traced: list[object] = []
    monkeypatch.setattr(opgrad.nn.training, "compile_step",
                        lambda fn, **options: traced.append(fn) or opgrad.compile(fn, **options))

    def train(compiled: bool) -> list[float]:
        data = make_moons(n=16, seed=2)
        model = MLP(2, [4, 4, 1], seed=2)
        history = fit(model, data, SGD(model.parameters(), lr=0.5), 8, loss=loss,
                      compiled=compiled)
        return [r.loss for r in history] + [p.data for p in model.parameters()]

    # bce branches on the sign of each score: sign flips force new traces
    assert train(compiled=True) == train(compiled=False)
    assert len(traced) == traces


def test_a_dropped_compiled_step_leaves_nothing_behind() -> None:
    # No global state: the generated code is not registered anywhere (linecache,
    # module tables), so dropping the step frees everything it made.
    import gc
    import linecache
    import tracemalloc

    data = make_moons(n=20, seed=1)
    model = MLP(2, [8, 8, 1], seed=1)
    # One compile first: what is made once per process (modules imported on first
    # use, the per-op lookups) is not what this test is about.
    opgrad.compile(lambda: outputs_and_loss(MLP(2, [2, 1], seed=2), data, "hinge", 1e-4))
    cached = len(linecache.cache)
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        step = opgrad.compile(lambda: outputs_and_loss(model, data, "hinge", 1e-4))
        step()
        held, _ = tracemalloc.get_traced_memory()
        del step
        gc.collect()
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(linecache.cache) == cached
    assert held - before > 200_000
    assert after - before < 0.05 * (held - before)


@pytest.mark.parametrize(("backend", "nudge"), [
    ("scalar", lambda g: math.nextafter(g, math.inf)),  # one unit in the last place
    ("numpy", lambda g: g * (1 + 1e-9)),
])
def test_verify_catches_a_gradient_off_by_a_little(backend: str, nudge: Any,
                                                   request: pytest.FixtureRequest) -> None:
    # The scalar step must give backward()'s floats exactly; the numpy one within 1e-12 of
    # the size of what each number sums: a small wrong gradient is not hidden by a big one.
    if backend == "numpy":
        request.getfixturevalue("numpy")
    big, small = Value(1e5), Value(1e-3)
    step = opgrad.compile(lambda: big * big + small * 2.0, backend=backend)
    step.verify()
    run = step._step

    def off(leaves: Any) -> Any:
        result = run(leaves)
        small.grad = nudge(small.grad)
        return result

    step._step = off  # type: ignore[method-assign]  # a wrong step, for the check to see
    with pytest.raises(StructureChanged, match="differs from dynamic"):
        step.verify()
