"""Value semantics: the graph, backward, accumulation, depth, grad mode, errors."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

import opgrad
from opgrad import BackwardError, Value
from opgrad.testing import numerical_gradient


def test_micrograd_readme_expression() -> None:
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


def test_node_records_op_parents_and_label() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b).tanh()
    assert (c.op, c.label, a.op) == ("tanh", "", "")
    assert c.parents[0].op == "mul"
    assert c.parents[0].parents == (a, b)
    assert a.parents == ()
    assert repr(a) == "Value(data=2.0, grad=0.0, label='a')"


def test_every_node_keeps_its_grad() -> None:
    a, b = Value(2.0), Value(-3.0)
    m = a * b
    out = m + a
    out.backward()
    assert (out.grad, m.grad, a.grad, b.grad) == (1.0, 1.0, -2.0, 2.0)


def test_node_used_twice_gets_both_contributions() -> None:
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def deep_graph(x: Value, depth: int) -> Value:
    y = x
    for i in range(depth):
        y = (y * 0.9 + x * 0.1).tanh() + (y if i % 3 else 0.0)
    return y


def test_backward_twice_doubles_leaf_grads_exactly() -> None:
    x = Value(0.3)
    out = deep_graph(x, 200)
    out.backward()
    once = x.grad
    intermediate = out.parents[0].grad
    out.backward()
    assert x.grad == 2 * once
    assert out.parents[0].grad == intermediate  # intermediates are recomputed, not summed


def test_a_million_node_chain_backpropagates() -> None:
    x = Value(1.0)
    y = x
    for _ in range(500_000):  # two nodes per step: the constant and the sum
        y = y + 1.0
    assert len(opgrad.topological_order(y)) == 1_000_001
    y.backward()
    assert x.grad == 1.0


def test_topological_order_puts_parents_first() -> None:
    x = Value(0.5)
    order = opgrad.topological_order(deep_graph(x, 30))
    position = {id(node): i for i, node in enumerate(order)}
    assert len(position) == len(order)
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node.parents)


def test_no_grad_records_no_graph() -> None:
    a = Value(2.0)
    with opgrad.no_grad():
        b = a * 3
        assert not opgrad.is_grad_enabled()
        with opgrad.enable_grad():
            c = a * 3
    assert opgrad.is_grad_enabled()
    assert (b.data, b.op, b.parents) == (6.0, "", ())
    assert c.parents[0] is a


def test_no_grad_is_per_thread() -> None:
    seen: list[bool] = []
    inside, done = threading.Event(), threading.Event()

    def other_thread() -> None:
        inside.wait()
        seen.append(opgrad.is_grad_enabled())
        seen.append(bool((Value(1.0) * 2).parents))
        done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with opgrad.no_grad():
        inside.set()
        done.wait(10)
        assert not opgrad.is_grad_enabled()
    thread.join()
    assert seen == [True, True]


@pytest.mark.parametrize(
    ("data", "type_name"), [("3", "str"), (None, "NoneType"), (1j, "complex"), ([1.0], "list")]
)
def test_value_rejects_non_real_data(data: object, type_name: str) -> None:
    with pytest.raises(TypeError, match=f"real number, got {type_name}"):
        Value(data)  # type: ignore[arg-type]


def test_value_rejects_an_int_too_large_for_a_float() -> None:
    with pytest.raises(ValueError, match="Value\\(\\) got int too large for a float"):
        Value(10**400)


def test_value_accepts_ints_and_bools_as_floats() -> None:
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert Value(True).data == 1.0


def test_label_must_be_text() -> None:
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, label=3)  # type: ignore[arg-type]


def test_operand_of_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + "x"  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"tanh\(\) takes numbers or Values, got str"):
        opgrad.ops.tanh("x")


def test_log_of_negative_names_op_and_value() -> None:
    with pytest.raises(ValueError, match=r"log\(-1\.0\) is undefined"):
        Value(-1.0).log()
    with pytest.raises(ValueError, match=r"log\(0\.0\) is undefined"):
        opgrad.ops.log(0.0)


def test_division_by_zero_and_complex_pow_name_the_op() -> None:
    with pytest.raises(ValueError, match=r"div\(1\.0, 0\.0\) is undefined"):
        Value(1.0) / 0
    with pytest.raises(ValueError, match=r"pow\(-8\.0, 0\.5\) is undefined: the result is complex"):
        Value(-8.0) ** 0.5


def test_wrong_arity_call_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"add\(\) takes 2 argument\(s\) \(1 given\)"):
        opgrad.ops.add(1.0)


def test_unknown_op_attribute_says_how_to_list_ops() -> None:
    with pytest.raises(AttributeError, match=r"no op named 'nosuch'.*opgrad ops"):
        opgrad.ops.nosuch  # noqa: B018


def _bad_rule_op(registry: opgrad.plugins.Registry, name: str, rule: object) -> object:
    registry.register(lambda x: 2.0 * x, "tests", name=name, local_grads=rule,
                      formula=f"d/dx {name}(x) = 2")
    return getattr(opgrad.ops, name)


@pytest.mark.parametrize(
    ("rule", "match"),
    [
        (lambda x, out: (2.0, 1.0), "wrong number of partials"),
        (lambda x, out: (), "wrong number of partials"),
        (lambda x, out: 1 / 0, "local_grads failed: ZeroDivisionError"),
    ],
)
def test_failing_rule_is_named_and_leaves_no_half_updated_grads(
    registry: opgrad.plugins.Registry, rule: object, match: str
) -> None:
    double = _bad_rule_op(registry, "double", rule)
    a, b = Value(1.5), Value(2.0)
    a.grad, b.grad = 10.0, 20.0
    hidden = a * b
    out = double(hidden) + a  # the + node's grads are computed before double's rule fails
    out.grad = hidden.grad = 7.0
    with pytest.raises(BackwardError, match=f"op 'double' at inputs \\(3.0\\): .*{match}"):
        out.backward()
    assert (a.grad, b.grad, hidden.grad, out.grad) == (10.0, 20.0, 7.0, 7.0)


def test_rule_returning_too_many_partials_for_a_binary_op(
    registry: opgrad.plugins.Registry,
) -> None:
    registry.register(lambda x, y: x + y, "tests", name="plus",
                      local_grads=lambda x, y, out: (1.0, 1.0, 1.0), formula="d/dx = 1")
    with pytest.raises(BackwardError, match=r"op 'plus'.*wrong number of partials"):
        opgrad.ops.plus(Value(1.0), Value(2.0)).backward()


def test_ternary_op_backpropagates(registry: opgrad.plugins.Registry) -> None:
    registry.register(lambda x, y, z: x * y + z, "tests", name="fma",
                      local_grads=lambda x, y, z, out: (y, x, 1.0), formula="d/dx = y; ...")
    x, y, z = Value(2.0), Value(3.0), Value(4.0)
    out = opgrad.ops.fma(x, y, z)
    assert out.parents == (x, y, z)
    out.backward()
    assert (out.data, x.grad, y.grad, z.grad) == (10.0, 3.0, 2.0, 1.0)


@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["add", "mul", "sub", "tanh"]), st.integers(0, 10**6),
                  st.integers(0, 10**6)),
        min_size=1, max_size=40,
    ),
    seeds=st.lists(st.floats(-1.0, 1.0), min_size=2, max_size=2),
)
def test_shared_subgraphs_get_parents_first_and_right_gradients(
    steps: list[tuple[str, int, int]], seeds: list[float]
) -> None:
    # A DAG where each new node reuses any earlier ones: heavy sharing.
    def build(values: list[object]) -> list[object]:
        nodes = list(values)
        for name, i, j in steps:
            args = [nodes[i % len(nodes)], nodes[j % len(nodes)]][: 1 if name == "tanh" else 2]
            nodes.append(getattr(opgrad.ops, name)(*args))  # floats in, float out
        return nodes

    leaves = [Value(s) for s in seeds]
    root = build(leaves)[-1]
    assert isinstance(root, Value)
    order = opgrad.topological_order(root)
    position = {id(node): i for i, node in enumerate(order)}
    assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)
    root.backward()
    expected = numerical_gradient(lambda *v: build(list(v))[-1], seeds)  # type: ignore[arg-type, return-value]
    for leaf, slope in zip(leaves, expected, strict=True):
        assert leaf.grad == pytest.approx(slope, rel=1e-5, abs=1e-6)


def test_op_function_names_itself_for_a_bad_operand_beside_a_value() -> None:
    with pytest.raises(TypeError, match=r"add\(\) takes numbers or Values, got str: 'a'"):
        opgrad.ops.add(Value(1.0), "a")
