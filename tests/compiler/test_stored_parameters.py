"""The compiled step on stored parameters: the numpy backend reads them and adds their
gradients as arrays, with backward()'s numbers; the scalar backend as any leaves."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad import Value
from opgrad.nn import MLP, SGD, ParameterStore, fit, make_moons, outputs_and_loss
from tests.compiler.test_numpy_backend import assert_close, dynamic_and_numpy

DATA = make_moons(n=30, noise=0.1, seed=5)


def hinge(model: MLP) -> Value:
    return outputs_and_loss(model, DATA, "hinge", 1e-4)[0]


def test_the_step_reads_the_store_as_one_view_and_matches_backward(numpy: ModuleType) -> None:
    model = MLP(2, [6, 6, 1], seed=5, stored=True)
    params = model.parameters()
    assert_close(*dynamic_and_numpy(lambda: hinge(model), params))
    step = opgrad.compile(lambda: hinge(model), backend="numpy")
    assert "fromiter" not in step.source  # no Python loop reads them
    reads = [line for line in step.source.splitlines() if line.lstrip().startswith("x = ")]
    assert len(reads) == 1 and "stored parameters' data" in reads[0]
    assert "leaf.grad +=" in step.source.split("else:")[-1]  # only in the fallback
    view: Any = step._program.namespace[reads[0].split()[2]]
    assert view.base is not None  # a view of the store's array, not a copy


def test_stored_and_plain_models_give_the_same_numbers(numpy: ModuleType) -> None:
    found = []
    for stored in (False, True):
        model = MLP(2, [5, 5, 1], seed=2, stored=stored)
        step = opgrad.compile(lambda model=model: hinge(model), backend="numpy")  # type: ignore[misc]
        model.zero_grad()
        found.append((step(), [p.grad for p in model.parameters()]))
    loss, grads = found[1]
    assert math.isclose(loss, found[0][0], rel_tol=1e-12)
    scale = max(map(abs, grads))
    assert all(abs(a - b) <= 1e-12 * max(abs(b), scale)
               for a, b in zip(grads, found[0][1], strict=True))


def test_gradients_accumulate(numpy: ModuleType) -> None:
    model = MLP(2, [4, 4, 1], seed=1, stored=True)
    step = opgrad.compile(lambda: hinge(model), backend="numpy")
    model.zero_grad()
    step()
    once = [p.grad for p in model.parameters()]
    step()
    assert [p.grad for p in model.parameters()] == [2 * g for g in once]
    assert any(g != 0.0 for g in once)


def test_stored_and_plain_live_leaves_together(numpy: ModuleType) -> None:
    model = MLP(2, [4, 1], seed=3, stored=True)
    scale, shift = Value(0.7), Value(-0.2)  # the caller keeps them: live, plain
    rows = [[Value(a), Value(b)] for a, b in DATA.x]  # live inputs too

    def loss() -> Value:
        outputs = [model.outputs(row)[0] for row in rows]
        return sum(((o * scale + shift).tanh() for o in outputs), Value(0.0))

    leaves = [*model.parameters(), scale, shift, *(x for row in rows for x in row)]
    assert_close(*dynamic_and_numpy(loss, leaves))
    step = opgrad.compile(loss, backend="numpy")
    assert "x = numpy.empty(" in step.source and "fromiter" in step.source


def test_a_store_the_step_uses_in_part(numpy: ModuleType) -> None:
    model = MLP(2, [4, 3, 1], seed=4, stored=True)
    first = model.layers[0]

    def loss() -> Value:  # the first layer only: the rest of the store is not read
        return sum((h for x in DATA.x for h in first([Value(v) for v in x])), Value(0.0))

    unused = model.layers[1].parameters() + model.layers[2].parameters()
    for p in unused:
        p.grad = 5.0
    assert_close(*dynamic_and_numpy(loss, first.parameters()))
    step = opgrad.compile(loss, backend="numpy")
    assert len(step.leaves) == len(first.parameters())
    step()
    assert {p.grad for p in unused} == {5.0}


def test_a_store_in_another_order_than_the_layout(numpy: ModuleType) -> None:
    model = MLP(2, [5, 5, 1], seed=4)
    model._move_to_store(model.parameters()[::-1])  # each weight matrix backwards
    assert_close(*dynamic_and_numpy(lambda: hinge(model), model.parameters()))
    step = opgrad.compile(lambda: hinge(model), backend="numpy")
    read = next(line for line in step.source.splitlines() if line.lstrip().startswith("x = "))
    assert read.split("#")[0].strip().endswith("]")  # gathered with an index array


def test_the_layout_follows_the_store(numpy: ModuleType) -> None:
    model = MLP(2, [5, 5, 1], seed=4)
    model._move_to_store([p for layer in model.layers[::-1] for p in layer._in_store_order()])
    step = opgrad.compile(lambda: hinge(model), backend="numpy")  # the last layer first
    read = next(line for line in step.source.splitlines() if line.lstrip().startswith("x = "))
    target, equals, view = read.split("#")[0].split()
    assert (target, equals) == ("x", "=") and view.isidentifier()  # the whole view, no index
    assert_close(*dynamic_and_numpy(lambda: hinge(model), model.parameters()))


def test_a_value_grad_in_the_store_is_added_one_by_one(numpy: ModuleType) -> None:
    found = []
    for stored in (False, True):
        model = MLP(2, [3, 1], seed=6, stored=stored)
        step = opgrad.compile(lambda model=model: hinge(model), backend="numpy")  # type: ignore[misc]
        model.zero_grad()
        odd = model.layers[0].neurons[0].w[0]
        odd.grad = Value(1.0)  # as backward(create_graph=True) leaves it
        step()
        assert isinstance(odd.grad, Value)
        found.append([opgrad.value_of(p.grad) for p in model.parameters()])
    scale = max(map(abs, found[0]))
    assert all(abs(a - b) <= 1e-12 * scale for a, b in zip(*found, strict=True))


def test_nan_hands_back_to_the_dynamic_engine_and_adds_nothing(numpy: ModuleType) -> None:
    store = ParameterStore([0.5, 2.0])
    w, b = store
    step = opgrad.compile(lambda: (w * 3.0 + b).log(), backend="numpy")
    step()
    before = [w.grad, b.grad]
    b.data = -4.0  # log of a negative number: nan in NumPy, an error in backward()
    with pytest.raises(ValueError, match="log"):
        step()
    assert [w.grad, b.grad] == before


def test_the_scalar_backend_gives_backwards_floats_exactly() -> None:
    model = MLP(2, [4, 4, 1], seed=7, stored=True)
    step = opgrad.compile(lambda: hinge(model))
    model.zero_grad()
    loss = step()
    compiled = [p.grad for p in model.parameters()]
    model.zero_grad()
    root = hinge(model)
    root.backward()
    assert (loss, compiled) == (root.data, [p.grad for p in model.parameters()])


def test_fit_with_the_numpy_backend_on_a_stored_model(numpy: ModuleType) -> None:
    histories = []
    for stored, compiled in ((False, False), (True, "numpy")):
        model = MLP(2, [6, 6, 1], seed=1, stored=stored)
        histories.append(fit(model, DATA, SGD(model.parameters(), lr=0.5), 5,
                             compiled=compiled))
    for dynamic, arrays in zip(*histories, strict=True):
        assert math.isclose(arrays.loss, dynamic.loss, rel_tol=1e-9)
        assert arrays.accuracy == dynamic.accuracy


def test_opgrad_train_stores_the_parameters_for_the_numpy_backend(
        numpy: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    from opgrad.cli import main, train_command
    from opgrad.nn import StoredParameter

    kinds = []
    real_fit = train_command.fit  # type: ignore[attr-defined]  # imported there

    def spying_fit(model: MLP, *args: object, **options: object) -> object:
        kinds.append({type(p) for p in model.parameters()})
        return real_fit(model, *args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr("opgrad.cli.train_command.fit", spying_fit)
    small = ["train", "--samples", "20", "--steps", "2", "--hidden", "4,4", "--quiet"]
    for backend in ("numpy", "scalar"):
        assert main([*small, "--backend", backend]) == 0
    assert main([*small, "--no-compile"]) == 0
    assert kinds == [{StoredParameter}, {Value}, {Value}]
