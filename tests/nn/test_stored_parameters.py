"""Stored parameters (``MLP(..., stored=True)``) behave as plain Values do, exactly."""

from __future__ import annotations

import copy
import math
import pickle
from pathlib import Path
from types import ModuleType

import pytest

import opgrad
from opgrad import Value
from opgrad.compat.micrograd.engine import Value as CompatValue
from opgrad.nn import (
    MLP,
    SGD,
    Adam,
    Layer,
    Neuron,
    ParameterStore,
    StoredParameter,
    load_model,
    make_moons,
    outputs_and_loss,
    save_model,
)
from tests.core.test_threads import run_together

DATA = make_moons(n=30, noise=0.1, seed=3)


def twins(sizes: list[int] = [4, 4, 1], seed: int = 3) -> tuple[MLP, MLP]:  # noqa: B006
    """The same model twice: plain Values, and stored parameters."""
    return MLP(2, sizes, seed=seed), MLP(2, sizes, seed=seed, stored=True)


def the_store(model: MLP) -> ParameterStore:
    stores = {id(p.store): p.store for p in model.parameters() if isinstance(p, StoredParameter)}
    assert len(stores) == 1
    return next(iter(stores.values()))


def test_one_store_per_model_layer_by_layer() -> None:
    plain, stored = twins()
    params = stored.parameters()
    assert all(type(p) is StoredParameter for p in params)
    store = the_store(stored)
    assert len(store) == len(params) == len(plain.parameters())
    assert stored.state_dict() == plain.state_dict()  # the same numbers, the same names
    assert [p.label for p in params] == [name for name, _ in stored.named_parameters()]
    first = stored.layers[0]
    weights = [w for n in first.neurons for w in n.w]
    biases = [n.b for n in first.neurons]
    assert all(a is b for a, b in zip([*weights, *biases], store, strict=False))
    assert len(weights) + len(biases) == 3 * 4
    assert all(type(p) is Value for p in plain.parameters())
    assert all(type(p) is StoredParameter for p in Neuron(3, stored=True).parameters())
    assert len({id(p.store) for p in Layer(3, 2, stored=True).parameters()
                if isinstance(p, StoredParameter)}) == 1


@pytest.mark.parametrize("loss", ["hinge", "cross-entropy"])
def test_gradients_equal_plain_values_exactly(loss: str) -> None:
    plain, stored = twins([5, 5, 2]) if loss == "cross-entropy" else twins()
    results = []
    for model in (plain, stored):
        total, outputs = outputs_and_loss(model, DATA, loss)
        total.backward()
        total.backward()  # leaves accumulate: exactly twice
        results.append((total.data, [o.data for o in outputs],
                        [p.grad for p in model.parameters()]))
    assert results[0] == results[1]
    assert any(g != 0.0 for g in results[1][2])


def test_results_are_plain_values() -> None:
    store = ParameterStore([0.5, -2.0])
    p, q = store
    x = Value(3.0)
    for result in (p * x, x * p, p * q, p * p, p.relu(), p + 1, 2 ** p, -p, opgrad.ops.tanh(p),
                   opgrad.ops.where(p, q, x), sum([p, q], Value(0.0))):
        assert type(result) is Value
    assert type(CompatValue(2.0) * p) is CompatValue
    assert type(p * CompatValue(2.0)) is CompatValue
    assert type(p * 2.0 + p) is Value


def test_second_derivatives_with_create_graph() -> None:
    found = []
    for w in (Value(0.7), ParameterStore([0.7])[0]):
        y = (w ** 3 * 2.0).tanh()
        y.backward(create_graph=True)
        first = w.grad
        assert isinstance(first, Value)
        w.grad = 0.0
        first.backward()
        found.append((first.data, w.grad))
    assert found[0] == found[1]


def test_a_grad_that_is_not_a_float_is_kept_and_noted() -> None:
    store = ParameterStore([1.0, 2.0])
    p = store[0]
    p.grad = Value(4.0)
    assert isinstance(p.grad, Value) and p.grad.data == 4.0 and not store.all_float
    p.grad += 1.0  # a Value still
    assert isinstance(p.grad, Value) and p.grad.data == 5.0
    p.grad = None
    assert p.grad is None and not store.all_float
    p.grad = 2  # a number: kept in the array, as a float
    assert p.grad == 2.0 and type(p.grad) is float and store.all_float
    p.grad = math.nan  # a nan gradient is a float like any other
    assert math.isnan(p.grad) and store.all_float
    store[1].grad = Value(1.0)
    store.zero_grad()
    assert store.all_float and [q.grad for q in store] == [0.0, 0.0]


def test_data_holds_numbers_only() -> None:
    p = ParameterStore([1.0])[0]
    p.data = 3
    assert p.data == 3.0 and type(p.data) is float
    p.data -= 0.5 * p.grad  # the SGD update by hand
    assert p.data == 3.0
    for bad in ("3", None, Value(1.0), 1j):
        with pytest.raises(TypeError, match="stored parameter's data is a real number"):
            p.data = bad
    assert p.data == 3.0
    with pytest.raises(TypeError, match="ParameterStore"):
        StoredParameter(1.0)
    with pytest.raises(TypeError, match="real number, got str"):
        ParameterStore(["1.0"])


def test_deepcopy_and_pickle_round_trip() -> None:
    _, model = twins()
    total, _ = outputs_and_loss(model, DATA, "hinge")
    total.backward()
    for again in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert the_store(again) is not the_store(model)
        assert again.state_dict() == model.state_dict()
        assert [p.grad for p in again.parameters()] == [p.grad for p in model.parameters()]
        assert [p.label for p in again.parameters()] == [p.label for p in model.parameters()]
        again.layers[0].neurons[0].w[0].data = 9.0  # its own numbers
        assert model.layers[0].neurons[0].w[0].data != 9.0
        assert again.outputs([0.5, 0.5])[0].data != model.outputs([0.5, 0.5])[0].data


def test_deepcopy_keeps_a_value_grad_pointing_at_the_copy() -> None:
    store = ParameterStore([0.7, 0.1])
    w = store[0]
    (w * w * w).backward(create_graph=True)  # w.grad = 3 w^2, a Value of w
    again = copy.deepcopy(store)
    grad = again[0].grad
    assert isinstance(grad, Value) and grad.data == w.grad.data and not again.all_float
    leaves = [n for n in opgrad.topological_order(grad) if not n.parents]
    assert any(n is again[0] for n in leaves) and not any(n is w for n in leaves)


def test_save_and_load(tmp_path: Path) -> None:
    _, model = twins()
    path = tmp_path / "model.json"
    save_model(model, path)
    stored, plain = load_model(path, stored=True), load_model(path)
    assert stored.state_dict() == plain.state_dict() == model.state_dict()
    assert type(stored.parameters()[0]) is StoredParameter
    assert type(plain.parameters()[0]) is Value
    plain.load_state_dict(stored.state_dict())
    stored.load_state_dict({k: 0.25 for k in stored.state_dict()})
    assert set(the_store(stored).data) == {0.25}


def test_zero_grad_zeroes_a_whole_store_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _, model = twins()
    for p in model.parameters():
        p.grad = 1.5
    calls: list[ParameterStore] = []
    original = ParameterStore.zero_grad

    def counted(store: ParameterStore) -> None:
        calls.append(store)
        original(store)

    monkeypatch.setattr(ParameterStore, "zero_grad", counted)
    model.layers[1].zero_grad()  # a part of the store: its own parameters only
    assert calls == []
    assert {p.grad for p in model.layers[1].parameters()} == {0.0}
    assert {p.grad for p in model.layers[0].parameters()} == {1.5}
    model.zero_grad()
    assert calls == [the_store(model)]
    assert {p.grad for p in model.parameters()} == {0.0}


@pytest.mark.parametrize("optimizer", [SGD, Adam])
def test_optimizers_update_stored_parameters_as_plain_ones(optimizer: type[SGD]) -> None:
    results = []
    for model in twins():
        params = model.parameters()
        opt = optimizer(params[::-1], lr=0.05)  # any order
        for _ in range(3):
            opt.zero_grad()
            outputs_and_loss(model, DATA, "hinge")[0].backward()
            opt.step()
        results.append(model.state_dict())
    assert results[0] == results[1]


def test_an_optimizer_refuses_a_value_grad() -> None:
    store = ParameterStore([0.5, 0.5])
    (store[0] * store[1]).backward(create_graph=True)
    with pytest.raises(TypeError, match="optimizer step needs float grads"):
        SGD(store, lr=0.1).step()
    assert list(store.data) == [0.5, 0.5]


def test_relabelling_and_explain_see_stored_parameters() -> None:
    _, model = twins([3, 1])
    model.head = model.layers[1]  # another name for a sub-module relabels its parameters
    assert model.layers[1].neurons[0].b.label == "head.neurons.0.b"
    (out,) = model.outputs([0.5, -1.0])
    out.backward()
    gradients = str(opgrad.viz.explain(out)).split("gradients:")[1]
    assert "/dhead.neurons.0.w.0 = " in gradients  # a variable: its gradient is listed


def test_the_torch_bridge_reads_stored_parameters(torch: ModuleType) -> None:
    plain, stored = twins()
    point = torch.tensor([[0.5, -1.0]], dtype=torch.float64)
    assert stored.to_torch()(point).item() == plain.to_torch()(point).item()
    assert stored.to_torch()(point).item() == pytest.approx(stored.outputs([0.5, -1.0])[0].data,
                                                           rel=1e-12)


def test_copy_of_a_parameter_is_a_new_independent_leaf() -> None:
    store = ParameterStore([1.0, 2.0])
    p = store[0]
    p.grad, p.label = 0.5, "w"
    q = copy.copy(p)
    assert q is not p and q.store is not store
    assert (q.data, q.grad, q.label) == (1.0, 0.5, "w")
    q.data = 5.0
    assert p.data == 1.0


def test_an_optimizer_over_part_of_a_store_ignores_the_rest() -> None:
    for model in twins([3, 1]):
        for p in model.parameters():
            p.grad = 1.0
        model.layers[0].neurons[0].b.grad = None  # frozen, the PyTorch way; not optimized
        before = model.layers[1].parameters()[0].data
        SGD(model.layers[1].parameters(), lr=0.1).step()
        assert model.layers[1].parameters()[0].data == before - 0.1


def test_a_step_stopped_by_a_bad_grad_moves_no_stored_parameter() -> None:
    _, model = twins([3, 1])
    for p in model.parameters():
        p.grad = 1.0
    extra = Value(0.0)
    extra.grad = None
    opt = SGD([*model.parameters(), extra], lr=0.1, momentum=0.9)
    before = model.state_dict()
    with pytest.raises(TypeError, match="optimizer step needs float grads"):
        opt.step()
    assert model.state_dict() == before
    model.parameters()[0].grad = None  # now a stored one is bad
    extra.grad = 1.0
    with pytest.raises(TypeError, match="optimizer step needs float grads"):
        opt.step()
    assert model.state_dict() == before


def test_optimizers_over_parts_of_one_store_in_threads_lose_no_update(
        frequent_switches: None) -> None:
    _, model = twins([64, 1])
    first, second = model.layers[0].parameters(), model.layers[1].parameters()
    for p in model.parameters():
        p.grad = 1.0
    before = model.parameters()

    def steps(params: list[Value]) -> None:
        opt = SGD(params, lr=0.5)
        for _ in range(200):
            opt.step()

    starts = [p.data for p in before]
    run_together(lambda: steps(first), lambda: steps(second))
    moved = [round((start - p.data) / 0.5) for start, p in zip(starts, before, strict=True)]
    assert moved == [200] * len(before)


def test_parameters_added_to_an_optimizer_later_are_stepped_and_zeroed() -> None:
    for kind in ("plain", "stored"):
        a = Value(1.0) if kind == "plain" else ParameterStore([1.0])[0]
        b = Value(1.0) if kind == "plain" else ParameterStore([1.0])[0]
        a.grad = b.grad = 1.0
        opt = SGD([a], lr=0.5)
        opt.parameters.append(b)
        opt.step()
        assert (a.data, b.data) == (0.5, 0.5), kind
        opt.zero_grad()
        assert (a.grad, b.grad) == (0.0, 0.0), kind


def test_a_stored_model_is_freed_without_the_cyclic_collector() -> None:
    import gc
    import weakref

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        model = MLP(2, [4, 1], seed=0, stored=True)
        store = weakref.ref(the_store(model))
        del model
        assert store() is None  # reference counting alone freed it
    finally:
        if was_enabled:
            gc.enable()


def test_stored_must_be_a_bool_and_tuples_of_parameters_move_too() -> None:
    with pytest.raises(TypeError, match="stored must be True or False, got str"):
        MLP(2, [1], stored="no")  # type: ignore[arg-type]

    class Pair(opgrad.nn.Module):
        def __init__(self) -> None:
            self.pair = (Value(1.0), Value(2.0))
            self._move_to_store(list(self.pair))

    pair = Pair()
    assert all(type(p) is StoredParameter for p in pair.pair)
    assert pair.parameters() == list(pair.pair)
