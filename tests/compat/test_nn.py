"""opgrad.compat.micrograd.nn against micrograd 0.1.0's nn, and the demo notebook side by side."""

from __future__ import annotations

import random
from types import ModuleType

import pytest

from opgrad.compat.micrograd import engine, nn
from tests.compat.micrograd_demo import Demo

DEMO_STEPS = 10  # of the notebook's 100 (micrograd: ~1 s a step); all 100 in the benchmark


def test_demo_matches_micrograd_at_every_step(micrograd: ModuleType) -> None:
    theirs, ours = Demo(micrograd.engine, micrograd.nn), Demo(engine, nn)
    for k in range(DEMO_STEPS):
        (loss, accuracy), (compat_loss, compat_accuracy) = theirs.step(k), ours.step(k)
        assert compat_loss == pytest.approx(loss, rel=0, abs=1e-12), f"step {k}"
        assert compat_accuracy == accuracy, f"step {k}"


def test_weights_are_drawn_as_micrograd_draws_them(micrograd: ModuleType) -> None:
    random.seed(1337)
    theirs = micrograd.nn.MLP(3, [4, 4, 1])
    random.seed(1337)
    ours = nn.MLP(3, [4, 4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


def test_reprs_are_micrograd_s(micrograd: ModuleType) -> None:
    assert repr(nn.MLP(2, [3, 1])) == repr(micrograd.nn.MLP(2, [3, 1]))
    assert repr(nn.Layer(2, 2, nonlin=False)) == repr(micrograd.nn.Layer(2, 2, nonlin=False))


def test_a_layer_of_one_neuron_returns_its_value() -> None:
    assert isinstance(nn.Layer(2, 1)([1.0, 2.0]), engine.Value)
    assert len(nn.Layer(2, 3)([1.0, 2.0])) == 3


def test_nonlin_false_is_linear() -> None:
    neuron = nn.Neuron(2, nonlin=False)
    out = neuron([1.0, -1.0])
    assert out.data == pytest.approx(neuron.w[0].data - neuron.w[1].data)
    assert out._op == "+"


def test_parameters_and_zero_grad() -> None:
    model = nn.MLP(2, [3, 1])
    out = model([0.5, -0.5])
    out.backward()
    params = model.parameters()
    assert len(params) == 3 * 3 + 4
    assert all(type(p) is engine.Value for p in params)
    model.zero_grad()
    assert all(p.grad == 0 for p in params)


def test_state_dict_comes_from_opgrad_nn() -> None:
    source, target = nn.MLP(2, [3, 1]), nn.MLP(2, [3, 1])
    target.load_state_dict(source.state_dict())
    assert [p.data for p in target.parameters()] == [p.data for p in source.parameters()]


def test_bad_sizes_get_opgrad_s_errors() -> None:
    with pytest.raises(ValueError, match="Neuron needs at least one input"):
        nn.Neuron(0)
