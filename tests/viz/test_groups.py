"""Which group each node of a graph is drawn in, without a browser."""

from __future__ import annotations

import pytest

import opgrad
from opgrad import Value
from opgrad.nn import MLP, Layer, Module, Neuron, bce_with_logits, hinge_loss
from opgrad.viz.explore import explorer_data
from opgrad.viz.groups import Grouping, forward_order, grouping, parameter_module
from opgrad.viz.layout import place, place_nested
from tests.viz.browser import teaching_graph

POINTS = [[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1], [-0.7, -0.4]]


def indexed(root: Value) -> tuple[list[Value], list[list[int]]]:
    order = opgrad.topological_order(root)
    index = {node: i for i, node in enumerate(order)}
    return order, [[index[p] for p in node.parents] for node in order]


def grouped(root: Value) -> tuple[list[Value], Grouping, dict[Value, str | None]]:
    """The graph, its grouping, and each node's innermost group path (None: no group)."""
    order, inputs = indexed(root)
    groups = grouping(order, inputs)
    return order, groups, {node: None if g is None else groups.groups[g].path
                           for node, g in zip(order, groups.group_of, strict=True)}


class Traced:
    """An MLP 2-16-16-1 hinge loss over four samples, keeping each neuron's output."""

    def __init__(self, samples: int = 4) -> None:
        self.model = MLP(2, [16, 16, 1], seed=0)
        self.outputs: list[list[list[Value]]] = []  # [sample][layer][neuron]
        scores = []
        for x in POINTS[:samples]:
            inputs: list[Value] = [Value(v) for v in x]
            layers = []
            for layer in self.model.layers:
                inputs = layer(inputs)
                layers.append(inputs)
            self.outputs.append(layers)
            scores.append(inputs[0])
        self.loss = hinge_loss(scores, [1.0, -1.0, 1.0, -1.0][:samples])


@pytest.mark.parametrize(("label", "module"), [
    ("layers.1.neurons.3.w.0", "layers.1.neurons.3"),
    ("layers.1.neurons.3.b", "layers.1.neurons.3"),
    ("unit.w.12", "unit"), ("w.0", None), ("b", None), ("a", None), ("2.5", None), ("-3.0", None),
    ("1e-05", None), ("nan", None), ("", None), ("layers.1.w x", None), ("x.0.1", None)])
def test_a_parameter_label_names_its_module(label: str, module: str | None) -> None:
    assert parameter_module(label) == module


class Heads(Module):
    """A user's module: two neurons as attributes of a module inside it."""

    def __init__(self) -> None:
        self.body = Layer(2, 2, "tanh")
        self.heads = Pair()

    def __call__(self, x: list[float]) -> Value:
        hidden = self.body(x)
        return self.heads.left(hidden) * self.heads.right(hidden)


class Pair(Module):
    def __init__(self) -> None:
        self.left, self.right = Neuron(2, None), Neuron(2, None)


def test_a_user_module_s_groups_nest_by_their_paths() -> None:
    model = Heads()
    _, groups, path = grouped(model([0.3, -0.6]))
    parents = {g.path: None if g.parent is None else groups.groups[g.parent].path
               for g in groups.groups}
    assert parents == {"body.neurons.0": "body", "body.neurons.1": "body", "body": None,
                       "heads.left": "heads", "heads.right": "heads", "heads": None}
    assert {g.title for g in groups.groups} == {"body", "neurons.0", "neurons.1", "heads",
                                                "left", "right"}
    assert path[model.heads.left.b] == "heads.left"


def test_each_parameter_is_in_its_neuron_and_each_neuron_in_its_layer() -> None:
    traced = Traced()
    _, groups, path = grouped(traced.loss)
    for key, parameter in traced.model.named_parameters():
        assert path[parameter] == key.rsplit(".w.", 1)[0].removesuffix(".b")
    parents = {g.path: None if g.parent is None else groups.groups[g.parent].path
               for g in groups.groups}
    assert parents["layers.1.neurons.3"] == "layers.1" and parents["layers.1"] is None
    assert parents["samples.2/layers.1.neurons.3"] == "layers.1.neurons.3"
    assert len(parents) == 3 + 33 + 4 * 33  # layers, neurons, a neuron's work on each sample


def test_a_neuron_s_work_on_a_sample_is_its_products_sums_and_activation() -> None:
    traced = Traced()
    order, _, path = grouped(traced.loss)
    for k, layers in enumerate(traced.outputs):
        for layer, outputs in enumerate(layers):
            for j, out in enumerate(outputs):
                assert path[out] == f"samples.{k}/layers.{layer}.neurons.{j}"
    members: dict[str, int] = {}
    for node in order:
        if path[node] is not None and node.op:
            members[path[node]] = members.get(path[node], 0) + 1
    assert members["samples.0/layers.0.neurons.5"] == 2 + 2 + 1  # w*x twice, b + ... twice, relu
    assert members["samples.3/layers.1.neurons.7"] == 16 + 16 + 1
    assert members["samples.1/layers.2.neurons.0"] == 16 + 16  # linear: no activation


def test_inputs_and_the_loss_are_in_no_group() -> None:
    traced = Traced()
    order, _, path = grouped(traced.loss)
    outside = [node for node in order if path[node] is None]
    assert traced.loss in outside
    assert {n.op for n in outside} == {"", "mul", "sub", "relu", "add"}  # hinge and mean
    assert sum(1 for n in outside if not n.op and n.data in (0.5, -1.0)) >= 2  # sample 0's x


def test_one_sample_has_no_sample_groups() -> None:
    traced = Traced(samples=1)
    _, groups, path = grouped(traced.loss)
    assert all("/" not in g.path for g in groups.groups)
    assert path[traced.outputs[0][1][3]] == "layers.1.neurons.3"


def test_a_loss_applied_to_the_output_stays_outside_the_neuron() -> None:
    model = MLP(2, [3, 1], seed=0)
    outs = [model(x) for x in POINTS[:2]]
    assert all(isinstance(o, Value) for o in outs)
    for root in (bce_with_logits(outs, [0.0, 1.0]), outs[0].tanh() + outs[1] * outs[1]):  # type: ignore[arg-type, operator]  # single outputs
        order, _, path = grouped(root)
        tail = [n for n in order if n.op in ("neg", "exp", "log", "tanh")]
        assert tail and all(path[n] is None for n in tail)
        squares = [n for n in order if n.op == "mul" and n.parents[0] is n.parents[1]]
        assert all(path[n] is None for n in squares)


def test_a_graph_without_modules_has_no_groups_and_keeps_its_order() -> None:
    order, inputs = indexed(teaching_graph())
    groups = grouping(order, inputs)
    assert groups.groups == [] and set(groups.group_of) == {None}
    assert forward_order(inputs, groups.group_of) == list(range(len(order)))


def test_the_forward_order_computes_a_group_s_work_in_one_run() -> None:
    traced = Traced()
    order, inputs = indexed(traced.loss)
    groups = grouping(order, inputs)
    forward = forward_order(inputs, groups.group_of)
    assert sorted(forward) == list(range(len(order)))
    done: set[int] = set()
    for i in forward:  # a topological order
        assert all(j in done for j in inputs[i])
        done.add(i)
    runs = [groups.group_of[i] for k, i in enumerate(forward)
            if k == 0 or groups.group_of[forward[k - 1]] != groups.group_of[i]]
    sample_runs = [g for g in runs if g is not None and "/" in groups.groups[g].path]
    assert len(sample_runs) == len(set(sample_runs)) == 4 * 33  # each sample part: one run


def test_nested_places_are_distinct_and_inputs_sit_to_the_left() -> None:
    traced = Traced()
    order, inputs = indexed(traced.loss)
    groups = grouping(order, inputs)
    parent = [g.parent for g in groups.groups]
    node_at, group_at = place_nested(inputs, groups.group_of, parent, list(range(len(order))))
    holder = [*groups.group_of, *parent]  # what holds each unit: nodes, then groups
    spots = [(holder[u], *at) for u, at in enumerate([*node_at, *group_at])]
    assert len(set(spots)) == len(spots)  # no two units of one group in one place
    layer = {g.path: k for k, g in enumerate(groups.groups)}
    assert group_at[layer["layers.0"]][0] < group_at[layer["layers.1"]][0] < \
        group_at[layer["layers.2"]][0]


def test_nested_places_of_a_graph_without_groups_are_place_s() -> None:
    order, inputs = indexed(teaching_graph())
    node_at, _ = place_nested(inputs, [None] * len(order), [], list(range(len(order))))
    assert node_at == list(zip(*place(inputs), strict=True))


def test_the_page_data_carries_the_groups_and_the_forward_order() -> None:
    traced = Traced()
    data = explorer_data(traced.loss)
    paths = [g["path"] for g in data["groups"]]
    neuron = paths.index("layers.1.neurons.3")
    assert data["groups"][neuron]["open"] is False  # a neuron starts closed
    assert data["groups"][paths.index("layers.1")]["open"] is True
    assert sorted(data["forward"]) == list(range(len(data["nodes"])))
    order = opgrad.topological_order(traced.loss)
    weight = order.index(traced.model.layers[1].neurons[3].w[0])
    assert data["nodes"][weight]["group"] == neuron


def test_a_module_used_twice_around_other_work_is_placed_all_the_same() -> None:
    neuron = MLP(1, [1], seed=0).layers[0].neurons[0]
    root = neuron([neuron([0.5]) * 2.0])  # the neuron, a node outside it, the neuron again
    order, inputs = indexed(root)
    groups = grouping(order, inputs)
    assert {g.path for g in groups.groups} == {"layers.0", "layers.0.neurons.0"}
    parent = [g.parent for g in groups.groups]
    node_at, group_at = place_nested(inputs, groups.group_of, parent, list(range(len(order))))
    holder = [*groups.group_of, *parent]
    spots = [(holder[u], *at) for u, at in enumerate([*node_at, *group_at])]
    assert len(set(spots)) == len(spots)  # the cycle between the group and the node is broken
    assert len(explorer_data(root)["groups"]) == 2
