"""DOT text, graphviz drawings, chain-rule explanations, plots, and their commands."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path
from types import ModuleType

import pytest

import opgrad
from opgrad import Value
from opgrad.cli import main
from opgrad.expr import evaluate
from opgrad.viz import backward_steps, draw_dot, explain, plot_function, to_dot

EXPR = "tanh(a * b + b ** 2 - a / b)"
SETS = ["--set", "a=2", "--set", "b=-3"]


def sample_graph() -> Value:
    out = evaluate(EXPR, {"a": 2.0, "b": -3.0})
    out.backward()
    return out


def parse_dot(text: str) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    records = dict(re.findall(r'^\s+(\w+) \[shape=record, label="(.*)"\];$', text, re.M))
    op_nodes = dict(re.findall(r'^\s+(\w+) \[shape=ellipse, label="(.*)"\];$', text, re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+);$", text, re.M)
    return records, op_nodes, edges


def test_dot_has_a_record_per_value_and_a_node_per_op() -> None:
    root = sample_graph()
    text = to_dot(root)
    assert text.startswith("digraph opgrad {\n  rankdir=LR;") and text.endswith("}\n")
    records, op_nodes, edges = parse_dot(text)
    order = opgrad.topological_order(root)
    assert len(records) == len(order)
    assert sorted(op_nodes.values()) == sorted(n.op for n in order if n.op)
    for node_id, name in op_nodes.items():
        incoming = [a for a, b in edges if b == node_id]
        outgoing = [b for a, b in edges if a == node_id]
        assert len(incoming) == opgrad.default_registry()[name].arity
        assert len(outgoing) == 1 and outgoing[0] in records
    assert "{ a | data 2.0000 | grad -0.0070 }" in records.values()
    assert f"{{  | data {root.data:.4f} | grad 1.0000 }}" in records.values()
    # records follow the topological order, and data flows along it: value vI feeds only
    # op nodes vJ_op with J > I, and op node vJ_op feeds only its own output vJ
    assert list(records) == [f"v{i}" for i in range(len(order))]
    assert [label.split("| data ")[1].split(" |")[0] for label in records.values()] == [
        f"{node.data:.4f}" for node in order]
    assert all(rank(a) < rank(b) for a, b in edges)
    assert {(a, b) for a, b in edges if a.endswith("_op")} == {
        (op_id, op_id.removesuffix("_op")) for op_id in op_nodes}


def rank(node_id: str) -> float:
    """Position in data-flow order: value vN at N, the op node making it just before."""
    index = int(node_id[1:].removesuffix("_op"))
    return index - 0.5 if node_id.endswith("_op") else index


def test_labels_are_escaped() -> None:
    text = to_dot(Value(1.0, label='a|b{c}"d'))
    assert r'a\|b\{c\}\"d' in text


def test_draw_dot_renders_svg(graphviz: ModuleType, graphviz_dot: str) -> None:
    drawing = draw_dot(sample_graph(), format="svg")
    assert isinstance(drawing, graphviz.Digraph)
    svg = drawing.pipe().decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "tanh" in svg and "grad &#45;0.0070" in svg


def test_explain_numbers_agree_with_backward() -> None:
    root = sample_graph()
    trace = backward_steps(evaluate(EXPR, {"a": 2.0, "b": -3.0}))
    order, named, steps, grads = trace.order, trace.names, trace.steps, trace.grads
    by_name = {named[node]: node for node in order}
    expected = {node.label: node.grad for node in opgrad.topological_order(root) if node.label}
    assert grads[by_name["a"]] == pytest.approx(expected["a"], rel=1e-15)
    assert grads[by_name["b"]] == pytest.approx(expected["b"], rel=1e-15)
    for step in steps:
        assert step.product == pytest.approx(step.local * step.upstream, nan_ok=True)
    text = explain(evaluate(EXPR, {"a": 2.0, "b": -3.0}))
    shown = dict(re.findall(r"^  dn\d+/d(\w) = (\S+)$", text, re.M))
    assert float(shown["a"]) == pytest.approx(expected["a"], rel=1e-5)
    assert float(shown["b"]) == pytest.approx(expected["b"], rel=1e-5)
    assert "rule: d/dx tanh(x) = 1 - tanh(x)^2" in text


def test_explain_masks_a_nan_gradient_at_a_dead_relu_as_backward_does() -> None:
    x, w = Value(-1.0, label="x"), Value(math.nan, label="w")
    loss = x.relu() * w
    trace = backward_steps(loss)
    loss.backward()
    relu_edge = next(step for step in trace.steps if step.op == "relu")
    assert math.isnan(relu_edge.upstream) and relu_edge.local == 0.0
    assert relu_edge.product == 0.0 == trace.grads[x] == x.grad


def test_explain_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "a * b + a", *SETS]) == 0
    out = capsys.readouterr().out
    assert out.startswith("forward pass:\n  a = 2\n  b = -3\n  n1 = mul(a, b) = -6\n")
    assert out.rstrip().endswith("gradients:\n  dn2/da = -2\n  dn2/db = 2")


def test_graph_command_writes_dot_svg_and_png(tmp_path: Path, graphviz_dot: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    for name in ["g.dot", "g.svg", "g.png"]:
        assert main(["graph", EXPR, *SETS, "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / "g.dot").read_text() == to_dot(sample_graph())
    assert "<svg" in (tmp_path / "g.svg").read_text()
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["graph", "a + 1", "--set", "a=1"]) == 0
    assert capsys.readouterr().out.startswith("digraph opgrad {")


def test_graph_without_dot_still_writes_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["graph", EXPR, *SETS, "-o", str(tmp_path / "g.svg")]) == 0
    assert (tmp_path / "g.dot").exists() and not (tmp_path / "g.svg").exists()
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_plot_function_and_command(tmp_path: Path, matplotlib: ModuleType) -> None:
    figure = plot_function(lambda x: x.tanh() * x, -3, 3, tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    derivative = figure.axes[0].lines[1].get_ydata()  # type: ignore[attr-defined]
    assert derivative[0] == pytest.approx(math.tanh(-3) - 3 * (1 - math.tanh(-3) ** 2))
    out = tmp_path / "p.png"
    assert main(["plot", "log(x) * c", "--set", "c=2", "--range", "0.1", "3", "-o", str(out)]) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_plot_function_refuses_ranges_it_cannot_draw(matplotlib: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"^log\(x\) is undefined or not finite everywhere on "
                       r"\[-2, -1\] \(with its slope\): choose another range$"):
        plot_function(lambda x: x.log(), -2, -1, title="log(x)")
    with pytest.raises(ValueError, match=r"the range \[0, inf\] must be finite, with lo < hi"):
        plot_function(lambda x: x, 0, math.inf)
    figure = plot_function(lambda x: x.log(), -1, 1)  # half defined: the other half is a gap
    xs = figure.axes[0].lines[0].get_xdata()  # type: ignore[attr-defined]
    assert min(xs) > 0 and len(xs) == 100


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", "__import__('os')"], "__import__() is not a registered op"),
        (["explain", "a + c", "--set", "a=1"], "no value given for c"),
        (["graph", "a", "--set", "a=1", "-o", "g.pdf"],
         "use a file name ending in .dot, .gv, .svg or .png"),
        (["plot", "x * y"], "no value given for y"),
        (["plot", "x", "--range", "2", "1"], "the range [2, 1] must be finite, with lo < hi"),
        (["explain", "a", "--set", "a=one"], "'one' is not a number"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], message: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    try:
        status = main(args)
    except SystemExit as exit_info:
        status = int(exit_info.code or 0)
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_explain_keeps_labels_that_look_like_numbers_or_counters() -> None:
    # A library user's labels: "nan" and "2" on leaves holding other numbers are
    # variables (with gradients); a label "n1" does not collide with the counter.
    x, y = Value(3.0, label="nan"), Value(0.5, label="2")
    z = (x * y).tanh()
    z.label = "n1"
    text = explain(z)
    assert "dn1/dnan = " in text and "dn1/d2 = " in text
    assert "n2 = mul(nan, 2)" in text  # the product is n2: n1 is taken by a label
