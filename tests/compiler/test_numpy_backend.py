"""opgrad.compile(fn, backend="numpy") gives backward()'s numbers within 1e-12, relative."""

from __future__ import annotations

import dataclasses
import math
import random
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import opgrad
from opgrad import Value
from opgrad.compiler import program as program_module
from opgrad.compiler import regions as graph_module
from opgrad.compiler.step import same_float
from opgrad.core import make_node
from tests.compiler.plugin_ops import extended_registry
from tests.compiler.test_security import HOSTILE
from tests.reference import (
    Tree,
    points,
    repeated_trees,
    tree_loss,
    trees,
)

EXTENDED = extended_registry()
FAST = settings(max_examples=100, deadline=None, derandomize=True)
RTOL = 1e-12  # the README's contract for this backend
a1, gx, k0, leaves = 3.0, 1.0, 2.0, 0.5  # named like the array step's own names (a rule reads them)


def close(got: float, want: float, scale: float = 0.0) -> bool:
    """Within RTOL of ``want``, or of ``scale`` (the size of what it sums), as verify()."""
    return same_float(got, want, RTOL, scale)


def magnitudes(root: Value, leaves: list[Value]) -> list[float]:
    """How large what each number adds up is: for the loss, the largest value in its graph;
    for a leaf, the sum over every path of |partial| x |upstream|. A sum run in another
    order is off by rounding relative to these, not to a result that cancels to about 0."""
    order = opgrad.topological_order(root)
    size = {id(root): 1.0}
    for node in reversed(order):
        op, upstream = node.declaration, size.get(id(node), 0.0)
        if op is None or not upstream:
            continue
        partials = op.local_grads(*(p.data for p in node.parents), node.data)
        for parent, partial in zip(node.parents, partials, strict=True):
            size[id(parent)] = size.get(id(parent), 0.0) + abs(float(partial)) * upstream
    largest = max((abs(n.data) for n in order if math.isfinite(n.data)), default=0.0)
    return [largest, *(size.get(id(x), 0.0) for x in leaves)]


def dynamic_and_numpy(loss: Any, leaves: list[Value]
                      ) -> tuple[list[float], list[float], list[float]]:
    """(loss, grads) from backward(), then from the numpy step, grads zeroed before each;
    then the size of what each of them sums."""
    for x in leaves:
        x.grad = 0.0
    root = loss()
    root.backward()
    dynamic = [root.data, *(x.grad for x in leaves)]
    for x in leaves:
        x.grad = 0.0
    step = opgrad.compile(loss, backend="numpy")
    return dynamic, [step(), *(x.grad for x in leaves)], magnitudes(root, leaves)


def assert_close(dynamic: list[float], compiled: list[float], sizes: list[float]) -> None:
    assert all(close(c, d, size) for c, d, size in zip(compiled, dynamic, sizes, strict=True)), (
        compiled, dynamic, sizes)


@FAST
@given(tree=trees(EXTENDED), point=points())
def test_random_trees_over_every_op(numpy: ModuleType, tree: Tree, point: list[float]) -> None:
    with opgrad.use_registry(EXTENDED):
        assert_close(*dynamic_and_numpy(*tree_loss(tree, point, EXTENDED)))


@FAST
@given(tree=trees(EXTENDED, max_leaves=8), point=points(),
       constants=st.lists(st.floats(-1.5, 1.5), min_size=2, max_size=6))
def test_random_batches_as_columns(numpy: ModuleType, tree: Tree, point: list[float],
                                   constants: list[float]) -> None:
    # One copy of the tree per constant: repeated regions (a domain), shared leaves.
    with opgrad.use_registry(EXTENDED), pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_module, "MIN_REGION", 1)
        patch.setattr(program_module, "GROUPS_FROM", 1)
        assert_close(*dynamic_and_numpy(*repeated_trees([tree], point, constants, EXTENDED)))


@FAST
@given(first=trees(EXTENDED, max_leaves=6), second=trees(EXTENDED, max_leaves=6),
       point=points(), constants=st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=6))
def test_random_batches_of_two_interleaved_kinds(numpy: ModuleType, first: Tree, second: Tree,
                                                 point: list[float],
                                                 constants: list[float]) -> None:
    kinds = [first, second]
    with opgrad.use_registry(EXTENDED), pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_module, "MIN_REGION", 1)
        patch.setattr(program_module, "GROUPS_FROM", 1)
        assert_close(*dynamic_and_numpy(*repeated_trees(kinds, point, constants, EXTENDED)))


@pytest.mark.parametrize("name", sorted(EXTENDED))
def test_each_op_on_its_own_and_in_a_batch(numpy: ModuleType, name: str) -> None:
    from opgrad.testing import sample_points

    op = EXTENDED[name]
    with opgrad.use_registry(EXTENDED), pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_module, "MIN_REGION", 1)
        patch.setattr(program_module, "GROUPS_FROM", 1)
        rows = [[Value(v) for v in point] for point in sample_points(op, 6, seed=3)]
        leaves = [x for row in rows for x in row]
        function = getattr(opgrad.ops, name)
        loss = lambda: sum((function(*row) for row in rows), 0.0 * leaves[0])  # noqa: E731
        assert_close(*dynamic_and_numpy(loss, leaves))


def test_the_moons_step_runs_as_matrix_products(numpy: ModuleType) -> None:
    from opgrad.nn import MLP, make_moons, outputs_and_loss

    data = make_moons(n=40, seed=4)
    model = MLP(2, [8, 8, 1], seed=4)
    loss = lambda: outputs_and_loss(model, data, "hinge", 1e-4)  # noqa: E731
    assert_close(*dynamic_and_numpy(lambda: loss()[0], model.parameters()))
    step = opgrad.compile(loss, backend="numpy")
    forward = step.source.split("# backward")[0]
    assert forward.count(" @ ") == 4  # three layers and the L2 penalty
    assert not any(line.lstrip().startswith("for ") for line in forward.splitlines())
    step()
    assert all(close(a, b.data) for a, b in zip(step.outputs, loss()[1], strict=True))
    assert step.leaves == model.parameters() or set(map(id, step.leaves)) == set(
        map(id, model.parameters()))


def test_cross_entropy_over_three_classes(numpy: ModuleType) -> None:
    from opgrad.nn import DATASETS, MLP, outputs_and_loss

    data = DATASETS["spiral"](n=30, noise=0.1, seed=0)
    model = MLP(2, [6, data.classes], seed=0)
    loss = lambda: outputs_and_loss(model, data, "cross-entropy", 1e-4)[0]  # noqa: E731
    assert_close(*dynamic_and_numpy(loss, model.parameters()))


def test_where_with_a_condition_from_the_data(numpy: ModuleType) -> None:
    xs = [Value(v) for v in (-1.5, -0.2, 0.3, 2.0)]
    w = Value(0.7)

    def loss() -> Value:
        terms = [opgrad.ops.where(x * w, (x * w).tanh(), x * x * w) for x in xs]
        return sum(terms[1:], terms[0])

    assert_close(*dynamic_and_numpy(loss, [w, *xs]))


def test_sums_of_different_fan_in_over_the_same_sources(numpy: ModuleType) -> None:
    # Two sums reading the same parameters with a different number of products: packed
    # together, one of them lost its extra terms (or the compile failed).
    w = [Value(0.5), Value(-0.3), Value(0.2)]

    def loss() -> Value:
        a = w[0] * 0.1 + w[2]
        b = w[0] * 0.2 + w[1] * 0.3 + w[2]
        return a.tanh() + b.tanh()

    assert_close(*dynamic_and_numpy(loss, w))


def test_a_convolution_with_edges(numpy: ModuleType) -> None:
    # A 'same' convolution: the windows at the edges have fewer taps than the others.
    w = [Value(0.3), Value(-0.5), Value(0.8)]
    x = [0.1, -0.4, 0.7, 0.2, -0.9]

    def loss() -> Value:
        out = [sum((w[k] * x[i + k - 1] for k in range(3) if 0 <= i + k - 1 < len(x)),
                   Value(0.0)) for i in range(len(x))]
        return sum((o * o for o in out), Value(0.0))

    assert_close(*dynamic_and_numpy(loss, w))


def sparse_network(seed: int, weights: list[Value], inputs: list[list[Value]]) -> Any:
    """A loss over a few examples of a network whose neurons each read a random subset of
    the previous layer (different fan-in over shared sources), with or without a bias."""
    rng = random.Random(seed)
    layers = [[(sorted(rng.sample(range(4), rng.randrange(1, 5))), rng.random() < 0.5,
                rng.choice(["tanh", "relu", "square", None])) for _ in range(rng.randrange(1, 5))]
              for _ in range(rng.randrange(1, 4))]

    def neuron(layer: int, k: int, reads: list[int], bias: bool, act: str | None,
               xs: list[Value]) -> Value:
        terms = [weights[(7 * layer + 3 * k + j) % len(weights)] * xs[j % len(xs)]
                 for j in reads]
        z = sum(terms[1:], terms[0]) + (weights[(layer + k) % len(weights)] if bias else 0.0)
        return z * z if act == "square" else getattr(z, act)() if act else z

    def loss() -> Value:
        total = Value(0.0)
        for xs in inputs:
            for layer, neurons in enumerate(layers):
                xs = [neuron(layer, k, *spec, xs) for k, spec in enumerate(neurons)]
            total = sum(xs, total)
        return total

    return loss


@FAST
@given(seed=st.integers(0, 10**6), examples=st.sampled_from([1, 2, 5, 30]))
def test_random_sparse_networks(numpy: ModuleType, seed: int, examples: int) -> None:
    rng = random.Random(seed)
    weights = [Value(rng.uniform(-1.0, 1.0)) for _ in range(rng.randrange(2, 12))]
    inputs = [[Value(rng.uniform(-1.0, 1.0)) for _ in range(4)] for _ in range(examples)]
    leaves = [*weights, *(x for row in inputs for x in row)]
    assert_close(*dynamic_and_numpy(sparse_network(seed, weights, inputs), leaves))


@pytest.mark.parametrize(("forward", "build"), [
    (lambda x: 4_000_000_000 if x > 0 else 1,  # an int array would overflow int64
     lambda f, a, b: f(a) * f(a) * 1e-18 + a),
    (lambda x: x > 0, lambda f, a, b: (f(a) + f(b * 2.0)) * a),  # bools add as logical or
    (lambda x: 1 if x > 0 else -1, lambda f, a, b: a ** f(b)),  # int ** negative int fails
], ids=["big-int", "bool", "sign"])
def test_a_forward_giving_ints_or_bools_gives_floats_as_in_backward(
        numpy: ModuleType, registry: object, forward: Any, build: Any) -> None:
    step_op = opgrad.register(forward, name="intish", formula="d/dx = 0",
                              local_grads=lambda x, out: (0.0,))
    a, b = Value(0.5), Value(-0.7)
    assert_close(*dynamic_and_numpy(lambda: build(step_op, a, b), [a, b]))


def test_a_notebook_op_with_only_a_math_forward(numpy: ModuleType, registry: object) -> None:
    opgrad.register(math.erf, name="erf", arity=1,
                    local_grads=lambda x, out: (2.0 / math.sqrt(math.pi) * opgrad.ops.exp(-x * x),),
                    formula="d/dx erf(x) = 2 / sqrt(pi) exp(-x^2)")
    opgrad.register(lambda x: math.log1p(math.exp(x)), name="softplus_nb",
                    local_grads=lambda x, out: (1.0 - opgrad.ops.exp(-out),),
                    formula="d/dx softplus(x) = 1 - exp(-softplus(x))")
    w = Value(0.4)
    xs = [Value(v) for v in (-1.0, 0.5, 1.5)]
    loss = lambda: sum((opgrad.ops.erf(w * x).softplus_nb() for x in xs), 0.0 * w)  # noqa: E731
    assert_close(*dynamic_and_numpy(loss, [w]))
    step = opgrad.compile(loss, backend="numpy")
    assert "numpy.log1p(numpy.exp(" in step.source  # rewritten for arrays
    assert "erf_each" in repr(step._program.namespace.values())  # math.erf: element by element


def test_ungrouped_parts_beside_a_batch(numpy: ModuleType,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_module, "MIN_REGION", 2)
    monkeypatch.setattr(program_module, "GROUPS_FROM", 1)
    w, b = Value(0.3), Value(-0.1)
    data = [0.5, -1.0, 2.0, 0.25]

    def loss() -> Value:
        scale = (w * b).exp()  # outside every region: read by each of them
        terms = [((w * x + b) * scale).tanh() for x in data]
        return sum(terms, 0.0 * w) * (w - b).sigmoid() + w ** 2

    assert_close(*dynamic_and_numpy(loss, [w, b]))


def test_gradients_accumulate_and_only_live_leaves_are_written(numpy: ModuleType) -> None:
    w = Value(0.5)
    kept = Value(2.0)  # made by the caller and kept: live
    step = opgrad.compile(lambda: (w * Value(3.0) + kept * w).tanh(), backend="numpy")
    assert {id(leaf) for leaf in step.leaves} == {id(w), id(kept)}
    step()
    once = (w.grad, kept.grad)
    step()
    assert (w.grad, kept.grad) == (2 * once[0], 2 * once[1])
    kept.data = -1.0  # read again on each call
    w.grad = 0.0
    assert close(step(), math.tanh(0.5 * 3.0 - 0.5))


def test_a_guard_raises_structure_changed(numpy: ModuleType) -> None:
    from opgrad.nn import bce_with_logits

    ws = [Value(0.5), Value(-0.3)]
    rows = [(1.0, 2.0), (-1.0, 0.5), (0.2, -2.0)]

    def loss() -> Value:  # branches on the sign of each logit
        logits = [ws[0] * a + ws[1] * b for a, b in rows]
        return bce_with_logits(logits, [1.0, 0.0, 1.0])

    assert_close(*dynamic_and_numpy(loss, ws))
    step = opgrad.compile(loss, backend="numpy")
    ws[0].data = -5.0  # every logit's sign flips
    with pytest.raises(opgrad.StructureChanged, match=r"compared a value >= 0.0 and got "):
        step()


@pytest.mark.parametrize("number", [math.inf, -math.inf, 10**400, -(10**400), 1e308, 0])
def test_guards_compare_with_any_number(numpy: ModuleType, number: float) -> None:
    w = Value(1.0)

    def loss() -> Value:
        z = w * 2.0
        return z * 3.0 if z < number else z

    step = opgrad.compile(loss, backend="numpy")
    assert step() == loss().data
    w.data = 1e300
    if (number > 2e300) == (number > 2.0):
        assert step() == loss().data
    else:
        with pytest.raises(opgrad.StructureChanged, match=" < "):
            step()


def test_undefined_values_fail_as_in_backward(numpy: ModuleType) -> None:
    w = Value(2.0)
    step = opgrad.compile(lambda: (w - 1.0).log() * w, backend="numpy")
    step()
    w.data = 0.5  # log(-0.5): the array step meets a nan, the dynamic engine raises
    with pytest.raises(ValueError, match=r"log\(-0.5\) is undefined"):
        step()


def test_nan_and_inf_give_backwards_numbers(numpy: ModuleType) -> None:
    x, w = Value(0.0), Value(1.0)
    loss = lambda: (x * math.inf).tanh() + x.exp() + (w * math.nan).relu() * 0.0  # noqa: E731
    dynamic, compiled, _ = dynamic_and_numpy(loss, [x, w])
    assert all(a == b or (math.isnan(a) and math.isnan(b))
               for a, b in zip(dynamic, compiled, strict=True))


def test_verify_passes_and_catches_a_changed_graph(numpy: ModuleType) -> None:
    w = Value(0.5)
    depth = [2]

    def loss() -> Value:
        out = w
        for _ in range(depth[0]):
            out = (out * w).tanh()
        return out

    step = opgrad.compile(loss, backend="numpy")
    step.verify()
    depth[0] = 3
    with pytest.raises(opgrad.StructureChanged, match="different graph"):
        step.verify()


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown backend 'cuda'; the backends are 'scalar', "
                                         r"'numpy'"):
        opgrad.compile(lambda: Value(1.0) * 2.0, backend="cuda")


def test_numpy_missing_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from opgrad._optional import MissingExtraError

    monkeypatch.setitem(sys.modules, "numpy", None)  # import numpy now fails
    with pytest.raises(MissingExtraError, match=r"backend='numpy'.*pip install 'opgrad\[numpy\]'"):
        opgrad.compile(lambda: Value(1.0) * 2.0, backend="numpy")


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_never_run(numpy: ModuleType, label: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    w = Value(1.5, label=label)
    b = Value(0.5, label=label + "b")
    step = opgrad.compile(lambda: (w * b + w).tanh(), backend="numpy")
    step()
    step()
    assert "INJECTED" not in capsys.readouterr().out
    assert close(w.grad, 2 * (1 - math.tanh(2.25) ** 2) * 1.5)
    assert all(line.isascii() and line.isprintable() for line in step.source.splitlines())


@pytest.mark.parametrize("name", [*HOSTILE, "ok_name", "k0", "a1", "x", "gx", "leaves",
                                  "numpy", "changed"])
def test_hostile_op_names_never_run(numpy: ModuleType, name: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    op = dataclasses.replace(opgrad.default_registry()["mul"], name=name, algebra=None)
    x, y = Value(2.0, label=name), Value(3.0)
    step = opgrad.compile(lambda: make_node(x.data * y.data, op, x, y).tanh(), backend="numpy")
    assert close(step(), math.tanh(6.0))
    assert "INJECTED" not in capsys.readouterr().out
    assert all(line.isascii() and line.isprintable() for line in step.source.splitlines())


def test_names_a_rule_reads_cannot_meet_generated_ones(numpy: ModuleType,
                                                       registry: object) -> None:
    opgrad.register(lambda x: x * a1, name="scaled", formula="d/dx scaled(x) = a1",
                    local_grads=lambda x, out: (a1 + 0.0 * gx * k0 * leaves,))
    w = Value(0.5)
    loss = lambda: sum((opgrad.ops.scaled(w * c) for c in (1.0, 2.0, 3.0)), 0.0 * w)  # noqa: E731
    assert_close(*dynamic_and_numpy(loss, [w]))
    step = opgrad.compile(loss, backend="numpy")
    assert "_each" not in repr(step._program.namespace.values())  # pasted, not called


def test_fit_trains_with_the_numpy_backend(numpy: ModuleType) -> None:
    from opgrad.nn import MLP, SGD, fit, make_moons

    data = make_moons(n=30, seed=1)
    histories = []
    for compiled in (False, "numpy"):
        model = MLP(2, [6, 6, 1], seed=1)
        histories.append(fit(model, data, SGD(model.parameters(), lr=0.5), 5,
                             compiled=compiled))
    for dynamic, arrays in zip(*histories, strict=True):
        assert math.isclose(arrays.loss, dynamic.loss, rel_tol=1e-9)
        assert arrays.accuracy == dynamic.accuracy


def test_opgrad_train_takes_the_backend(numpy: ModuleType,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from opgrad.cli import main

    small = ["train", "--samples", "20", "--steps", "4", "--hidden", "4,4", "--quiet", "--json"]
    results = []
    for backend in ("scalar", "numpy"):
        assert main([*small, "--backend", backend]) == 0
        results.append(json.loads(capsys.readouterr().out))
    assert math.isclose(results[0]["loss"], results[1]["loss"], rel_tol=1e-9)
    with pytest.raises(SystemExit):
        main([*small, "--backend", "cuda"])
    assert "invalid choice: 'cuda'" in capsys.readouterr().err


def test_batch_inputs_kept_by_the_caller_or_computed_outside(
        numpy: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_module, "MIN_REGION", 2)
    monkeypatch.setattr(program_module, "GROUPS_FROM", 1)
    w, b = Value(0.3), Value(-0.2)
    xs = [Value(v) for v in (0.5, -1.0, 2.0, 0.25, -0.75)]  # live: the caller keeps them

    def region(x: Value, shift: Value) -> Value:
        out = (w * x + shift).tanh()
        for _ in range(3):
            out = (out * x + w).tanh()
        return out

    def loss() -> Value:
        shifts = [b * (k + 1.0) for k in range(len(xs))]  # one per region, made outside it
        terms = [region(x, s) for x, s in zip(xs, shifts, strict=True)]
        return sum(terms[1:], terms[0]) * (w * b + (w * b).tanh())  # used twice: kept apart

    assert_close(*dynamic_and_numpy(loss, [w, b, *xs]))
    step = opgrad.compile(loss, backend="numpy")
    assert "v1[" in step.source  # the regions' own inputs, gathered as one matrix


def test_every_generated_name_is_of_its_kind(numpy: ModuleType) -> None:
    # Locals follow LOCALS; the namespace holds k<n> names and FIXED ones only, so an op's
    # global (whatever its name) is bound as k<n> and no local can shadow it.
    from opgrad.compiler.arrays.names import FIXED, LOCALS
    from opgrad.nn import DATASETS, MLP, outputs_and_loss
    from tests.compiler.test_security import bound_names

    data = DATASETS["spiral"](n=30, noise=0.1, seed=0)
    model = MLP(2, [4, 3], seed=0)
    step = opgrad.compile(lambda: outputs_and_loss(model, data, "cross-entropy"),
                          backend="numpy")
    assert not {n for n in bound_names(step.source) if not LOCALS.fullmatch(n)}
    namespace = set(step._program.namespace)
    assert all(n in FIXED or (n[0] == "k" and n[1:].isdigit()) for n in namespace)
    assert not any(LOCALS.fullmatch(n) for n in namespace)


def test_an_op_undefined_where_checks_sample_still_compiles(numpy: ModuleType,
                                                            registry: object) -> None:
    # No domain declared: the checks sample negative numbers, where log raises.
    opgrad.register(lambda x: math.log(x) * 2.0, name="twolog", formula="d/dx 2 log x = 2 / x",
                    local_grads=lambda x, out: (2.0 / x,))
    w = Value(1.5)
    loss = lambda: sum((opgrad.ops.twolog(w * c) for c in (1.0, 2.0)), 0.0 * w)  # noqa: E731
    assert_close(*dynamic_and_numpy(loss, [w]))


def test_a_wrong_algebra_declaration_is_refused(numpy: ModuleType, registry: object) -> None:
    from opgrad.plugins.errors import RegistrationError

    opgrad.register(lambda x, y: x - y, name="minus", algebra="sum", formula="d/dx (x - y) = 1",
                    local_grads=lambda x, y, out: (1.0, -1.0))
    w = Value(1.5)
    with pytest.raises(ValueError, match=r"op 'minus' declares algebra='sum' \(x \+ y"):
        opgrad.compile(lambda: opgrad.ops.minus(w, 2.0) * w, backend="numpy")
    with pytest.raises(RegistrationError, match=r"algebra must be 'sum'.*got 'difference'"):
        opgrad.register(lambda x, y: x - y, name="minus2", algebra="difference",  # type: ignore[typeddict-item]
                        formula="d/dx", local_grads=lambda x, y, out: (1.0, -1.0))
    with pytest.raises(RegistrationError, match="algebra='product' needs an op of two inputs"):
        opgrad.register(lambda x: x, name="ident", algebra="product", formula="d/dx x = 1",
                        local_grads=lambda x, out: (1.0,))


BUILT_IN = opgrad.build_registry(autoload=False)
RULES_ELEMENT_BY_ELEMENT = {"pow"}  # a rule with statements (its edge cases, one by one)


@pytest.mark.parametrize("op", list(BUILT_IN.values()), ids=lambda op: op.name)
def test_every_built_in_op_runs_as_array_code(numpy: ModuleType, op: Any) -> None:
    from opgrad.compiler.arrays.forms import Forms
    from opgrad.compiler.arrays.names import Names

    forms = Forms(Names())
    form = forms.of(op)
    called = [forms.names.namespace[p] for p in form.forward
              if isinstance(p, str) and p in forms.names.namespace]
    assert not any(getattr(f, "__name__", "").endswith("_each") for f in called)
    assert (form.partials is None) == (op.name in RULES_ELEMENT_BY_ELEMENT)


def test_a_new_batch_in_values_the_caller_keeps_needs_no_new_compile(numpy: ModuleType) -> None:
    from opgrad.nn import MLP, make_moons

    model = MLP(2, [4, 4, 1], seed=0)
    rows = [[Value(a), Value(b)] for a, b in make_moons(n=30, seed=0).x]

    def loss() -> Value:
        return sum((model(x).tanh() for x in rows), Value(0.0))  # type: ignore[no-any-return]

    step = opgrad.compile(loss, backend="numpy")
    for row, (a, b) in zip(rows, make_moons(n=30, seed=1).x, strict=True):
        row[0].data, row[1].data = a, b
    assert_close(*dynamic_and_numpy(loss, model.parameters()))
    model.zero_grad()
    assert close(step(), loss().data)


def test_a_rule_with_the_wrong_number_of_partials_fails_as_in_backward(
        numpy: ModuleType, registry: object) -> None:
    opgrad.register(lambda x: 2.0 * x, name="twice", formula="d/dx 2x = 2",
                    local_grads=lambda x, out: (2.0, 0.0))  # one partial too many
    w = Value(0.5)
    with pytest.raises(opgrad.BackwardError, match="op 'twice'") as dynamic:
        opgrad.ops.twice(w).backward()
    step = opgrad.compile(lambda: opgrad.ops.twice(w) * w, backend="numpy")
    with pytest.raises(opgrad.BackwardError, match="op 'twice'") as compiled:
        step()
    assert str(dynamic.value).split(":")[-1] == str(compiled.value).split(":")[-1]
