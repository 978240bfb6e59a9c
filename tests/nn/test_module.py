"""Module, Neuron, Layer, MLP: parameters, state, shapes and gradients."""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad import Value
from opgrad.nn import MLP, Layer, Neuron
from opgrad.plugins.registry import Registry
from opgrad.testing import numerical_gradient


def test_mlp_parameters_and_names() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    names = [name for name, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b"
    assert model.sizes == [2, 16, 16, 1]


def test_zero_grad_and_readable_repr() -> None:
    model = MLP(2, [3, 1], seed=1)
    out = model([1.0, -2.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert repr(model) == ("MLP(\n  Layer(2, 3, activation='relu')\n"
                           "  Layer(3, 1, activation=None)\n)")
    assert repr(Neuron(2, "tanh")) == "Neuron(2, activation='tanh')"


def test_one_neuron_middle_layer_works() -> None:
    model = jittered(MLP(2, [16, 1, 1], activation="tanh", seed=0))
    out = model([0.5, -0.5])
    assert isinstance(out, Value)
    out.backward()
    assert all(p.grad != 0.0 for p in model.layers[1].parameters())
    assert model.layers[2].neurons[0].w[0].grad == pytest.approx(
        model.layers[1].neurons[0](model.layers[0]([0.5, -0.5])).data)


def test_several_outputs_come_back_as_a_list() -> None:
    outputs = MLP(2, [4, 3], seed=0)([0.1, 0.2])
    assert isinstance(outputs, list) and len(outputs) == 3


def test_same_seed_same_weights() -> None:
    assert MLP(2, [4, 1], seed=7).state_dict() == MLP(2, [4, 1], seed=7).state_dict()
    assert MLP(2, [4, 1], seed=7).state_dict() != MLP(2, [4, 1], seed=8).state_dict()


def test_state_dict_round_trip() -> None:
    source, target = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=2)
    target.load_state_dict(source.state_dict())
    assert target([0.3, 0.7]).data == source([0.3, 0.7]).data  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda s: s.pop("layers.0.neurons.0.b"), r"missing \['layers.0.neurons.0.b'\]"),
        (lambda s: s.update(extra=1.0), r"unexpected \['extra'\]"),
        (lambda s: s.update({"layers.0.neurons.0.b": "x"}), "must be a finite number"),
        (lambda s: s.update({"layers.0.neurons.0.b": float("nan")}), "must be a finite number"),
        (lambda s: s.update({"layers.0.neurons.0.b": 10**400}), "must be a finite number"),
    ],
)
def test_load_state_dict_rejects_bad_state_and_changes_nothing(change: Any, match: str) -> None:
    model = MLP(2, [4, 1], seed=1)
    before = model.state_dict()
    state = dict(before)
    change(state)
    with pytest.raises(ValueError, match=match):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_load_state_dict_needs_a_mapping() -> None:
    model = MLP(2, [1], seed=1)
    with pytest.raises(TypeError, match=r"load_state_dict needs a mapping .* got NoneType"):
        model.load_state_dict(None)  # type: ignore[arg-type]


def test_activation_can_be_a_plugin_op(registry: Registry) -> None:
    opgrad.register(lambda x: x / (1 + abs(x)), name="softsign", formula="d/dx = 1/(1+|x|)^2",
                    local_grads=lambda x, out: (1 / (1 + abs(opgrad.value_of(x))) ** 2,))
    model = MLP(2, [3, 1], activation="softsign", seed=0)
    hidden = model.layers[0]([1.0, 2.0])
    assert {h.op for h in hidden} == {"softsign"}


@pytest.mark.parametrize("activation", ["nosuch", "add"])
def test_activation_must_be_a_unary_op(activation: str) -> None:
    with pytest.raises(ValueError, match=f"activation '{activation}' is not a registered unary"):
        Layer(2, 3, activation=activation)


def test_bad_shapes_are_value_errors() -> None:
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least one neuron"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="at least one layer width"):
        MLP(2, [])


def jittered(model: MLP, seed: int = 0) -> MLP:
    """The model with every parameter (biases too) moved off zero, away from relu kinks."""
    rng = random.Random(seed)
    model.load_state_dict({name: value + rng.uniform(0.1, 0.5) * rng.choice([-1, 1])
                           for name, value in model.state_dict().items()})
    return model


def mlp_loss(model: MLP, x: list[float]) -> Value:
    out = model(x)
    assert isinstance(out, Value)
    return out


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_gradients_match_finite_differences(activation: str) -> None:
    model = jittered(MLP(3, [4, 4, 1], activation=activation, seed=3))
    params = model.parameters()
    mlp_loss(model, [0.3, -0.8, 0.5]).backward()
    analytic = [p.grad for p in params]

    def at(*values: float) -> float:
        model.load_state_dict(dict(zip(model.state_dict(), values, strict=True)))
        return mlp_loss(model, [0.3, -0.8, 0.5]).data

    numeric = numerical_gradient(at, [p.data for p in params])
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_gradients_match_torch_linear_layers(torch: ModuleType, activation: str) -> None:
    model = jittered(MLP(3, [5, 4, 2], activation=activation, seed=4))
    x = [0.3, -0.8, 0.5]
    outputs = model(x)
    assert isinstance(outputs, list)
    (outputs[0] * 2.0 + outputs[1]).backward()

    layers = []
    for layer in model.layers:
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            weights = [[w.data for w in n.w] for n in layer.neurons]
            linear.weight.copy_(torch.tensor(weights, dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        layers.append(linear)
    h = torch.tensor(x, dtype=torch.float64)
    act = getattr(torch, activation)
    for i, linear in enumerate(layers):
        h = linear(h)
        h = act(h) if i < len(layers) - 1 else h
    (h[0] * 2.0 + h[1]).backward()
    for layer, linear in zip(model.layers, layers, strict=True):
        ours_w = [w.grad for n in layer.neurons for w in n.w]
        theirs_w = [g for row in linear.weight.grad.tolist() for g in row]
        assert ours_w == pytest.approx(theirs_w, rel=1e-12, abs=1e-14)
        assert [n.b.grad for n in layer.neurons] == pytest.approx(linear.bias.grad.tolist(),
                                                                 rel=1e-12, abs=1e-14)
