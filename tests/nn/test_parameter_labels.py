"""A module's parameters are labelled by their state_dict keys, so every view names them."""

from __future__ import annotations

from pathlib import Path

from opgrad import Value
from opgrad.compat.micrograd import nn as micrograd_nn
from opgrad.nn import MLP, Layer, Module, Neuron, load_model, save_model
from opgrad.viz import explain, to_dot


def labels_and_keys(model: Module) -> tuple[list[str], list[str]]:
    return [p.label for p in model.parameters()], list(model.state_dict())


def test_an_mlp_s_labels_are_its_state_dict_keys() -> None:
    labels, keys = labels_and_keys(MLP(2, [16, 16, 1], seed=0))
    assert labels == keys
    assert labels[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                          "layers.0.neurons.0.b"]
    assert labels[-1] == "layers.2.neurons.0.b"


def test_a_module_on_its_own_names_its_parameters_from_itself() -> None:
    assert labels_and_keys(Neuron(2)) == (["w.0", "w.1", "b"], ["w.0", "w.1", "b"])
    labels, keys = labels_and_keys(Layer(2, 3))
    assert labels == keys and labels[-1] == "neurons.2.b"


class Scaled(Module):
    """A user's module: a bare parameter, a list of them, and a module inside."""

    def __init__(self) -> None:
        self.scale = Value(2.0, label="mine")
        self.shifts = [Value(0.1), Value(0.2)]
        self.unit = Neuron(2, "tanh")

    def __call__(self, x: list[float]) -> Value:
        return self.scale * self.unit(x) + self.shifts[0] + self.shifts[1]


def test_a_user_module_s_parameters_are_labelled_by_their_keys() -> None:
    model = Scaled()
    labels, keys = labels_and_keys(model)
    assert labels == keys == ["scale", "shifts.0", "shifts.1", "unit.w.0", "unit.w.1", "unit.b"]


def test_a_parameter_assigned_later_takes_its_new_name() -> None:
    model = MLP(2, [3, 1], seed=0)
    model.layers[1].neurons[0] = Neuron(3, None)  # an item of a list: not an assignment
    model.layers[1].neurons = list(model.layers[1].neurons)  # the assignment relabels
    model.layers = list(model.layers)
    labels, keys = labels_and_keys(model)
    assert labels == keys and labels[-1] == "layers.1.neurons.0.b"


def test_loaded_and_copied_models_keep_the_labels(tmp_path: Path) -> None:
    model = MLP(2, [4, 1], seed=1)
    save_model(model, tmp_path / "m.json")
    loaded = load_model(tmp_path / "m.json")
    assert labels_and_keys(loaded)[0] == labels_and_keys(model)[0]
    other = MLP(2, [4, 1], seed=2)
    other.load_state_dict(model.state_dict())
    assert labels_and_keys(other)[0] == list(model.state_dict())


def test_micrograd_s_mlp_is_labelled_and_keeps_micrograd_s_reprs() -> None:
    model = micrograd_nn.MLP(2, [3, 1])
    labels, keys = labels_and_keys(model)
    assert labels == keys and labels[0] == "layers.0.neurons.0.w.0"
    assert repr(model.parameters()[0]).startswith("Value(data=")
    assert "label" not in repr(model.parameters()[0])


def test_explain_and_the_drawing_name_the_parameters() -> None:
    model = MLP(2, [2, 1], seed=3)
    out = model([0.5, -1.0])
    assert isinstance(out, Value)
    text = explain(out)
    for key in model.state_dict():  # the gradient lines: dROOT/dKEY = number
        assert f"/d{key} = " in text
    assert "layers.0.neurons.1.w.0" in to_dot(out)
