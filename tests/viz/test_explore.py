"""The explorer page without a browser: its numbers, its escaping, its limits, its files."""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

import pytest

import opgrad
from opgrad import Value
from opgrad.cli import main
from opgrad.viz import MAX_NODES, Explorer, GraphTooLargeError, explore
from opgrad.viz.explore import explorer_data, explorer_html
from opgrad.viz.layout import arrange

HOSTILE = '</script><script>alert(1)</script>"\'\n\u2028<!--'


def embedded(page: str) -> dict[str, object]:
    """The JSON block of a page, parsed the way the browser parses it."""
    match = re.search(r'<script type="application/json" id="opgrad-data">(.*?)</script>', page,
                      re.S)
    assert match is not None
    return json.loads(match.group(1))  # type: ignore[no-any-return]  # a JSON object


def reused_graph() -> tuple[Value, Value, Value]:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    return (a * b + b * b - a / b).tanh(), a, b


def test_the_last_step_of_each_node_holds_backwards_gradient() -> None:
    root, _, _ = reused_graph()
    data = explorer_data(root)
    order = opgrad.topological_order(root)
    root.backward()
    last = {into: total for _, into, _, _, _, _, total in data["steps"]}
    for i, node in enumerate(order[:-1]):
        assert last[i] == node.grad  # exactly: the same partials, added in the same order
    assert [n["grad"] for n in data["nodes"]] == [n.grad for n in order]


def test_each_edge_is_local_times_upstream_added_to_the_input() -> None:
    root, _, _ = reused_graph()
    data = explorer_data(root)
    seen: dict[int, float] = {}
    for at, into, slot, local, upstream, product, total in data["steps"]:
        assert data["nodes"][at]["parents"][slot] == into
        assert product == local * upstream
        assert total == seen.get(into, 0.0) + product
        seen[into] = total
    into_b = [s for s in data["steps"] if data["nodes"][s[1]]["name"] == "b"]
    assert len(into_b) == 4  # b is used four times: four += at b


def test_leaves_carry_a_finite_difference_estimate() -> None:
    root, a, b = reused_graph()
    root.backward()
    leaves = {n["name"]: n["estimate"] for n in explorer_data(root)["nodes"] if "op" not in n}
    assert leaves["a"] == pytest.approx(a.grad, rel=1e-6)
    assert leaves["b"] == pytest.approx(b.grad, rel=1e-6)


def test_nodes_show_their_ops_formula_and_plugin() -> None:
    root, _, _ = reused_graph()
    data = explorer_data(root)
    top = data["ops"][data["nodes"][-1]["op"]]
    tanh = opgrad.default_registry()["tanh"]
    assert (top["name"], top["formula"], top["plugin"]) == ("tanh", tanh.formula, tanh.plugin)
    assert len(data["ops"]) == len({n.op for n in opgrad.topological_order(root) if n.op})


def test_the_graph_flows_left_to_right() -> None:
    root, _, _ = reused_graph()
    nodes = explorer_data(root)["nodes"]
    for node in nodes:  # [column, row]: every input in a column further left
        assert all(nodes[p]["at"][0] < node["at"][0] for p in node["parents"])


def test_a_graph_of_no_module_is_drawn_as_before() -> None:
    root, _, _ = reused_graph()
    data = explorer_data(root)
    assert data["groups"] == [] and data["forward"] is None
    assert all("group" not in n for n in data["nodes"])
    layout = arrange(opgrad.topological_order(root))  # the notebook's drawing: same places
    columns = sorted({x for x, _ in layout.positions})
    assert [n["at"][0] for n in data["nodes"]] == [columns.index(x) for x, _ in layout.positions]


def test_hostile_text_cannot_end_the_data_block() -> None:
    leaf = Value(1.0, label=HOSTILE)
    page = explorer_html(leaf * 2.0)
    data_block = page[page.index('id="opgrad-data">'):page.index("</script>")]
    assert "<" not in data_block[len('id="opgrad-data">'):]
    assert "\u2028" not in page and "<!--" not in page
    assert embedded(page)["nodes"][0]["label"] == HOSTILE  # type: ignore[index]  # JSON


def test_the_page_needs_nothing_from_the_network() -> None:
    page = explorer_html(reused_graph()[0])
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert "default-src 'none'" in page and "unsafe-inline" not in page


def test_non_finite_numbers_travel_as_text() -> None:
    root = Value(-3.0) ** Value(2.0)  # d/dy of x^y at x < 0 is nan
    steps = explorer_data(root)["steps"]
    assert "NaN" in [s[3] for s in steps]
    embedded(explorer_html(root))  # still valid JSON


def test_placeholders_in_a_label_stay_text() -> None:
    label = "__DATA__ __SCRIPT__ __STYLE__ __POLICY__"
    page = explorer_html(Value(1.0, label=label) * 2.0)
    assert embedded(page)["nodes"][0]["label"] == label  # type: ignore[index]  # JSON
    script = (Path(opgrad.__file__).parent / "viz" / "explorer-steps.js").read_text()
    assert page.count(script) == 1 and page.count("__SCRIPT__") == 2  # name and label


def test_the_limit_is_ten_thousand_nodes_or_more() -> None:
    assert MAX_NODES >= 10_000


def test_a_graph_over_the_limit_is_refused_naming_its_size() -> None:
    x = Value(1.0)
    for _ in range(MAX_NODES):
        x = x + 1.0
    count = len(opgrad.topological_order(x))
    with pytest.raises(GraphTooLargeError, match=f"{count} nodes, more than .*{MAX_NODES}"):
        explore(x)


def test_explore_needs_a_value() -> None:
    with pytest.raises(TypeError, match="explore needs a Value, got float"):
        explore(1.0)  # type: ignore[arg-type]  # the mistake under test


def test_explore_writes_one_page(tmp_path: Path) -> None:
    page = explore(reused_graph()[0], tmp_path / "backprop.html")
    assert isinstance(page, Explorer) and page.nodes == 8
    assert (tmp_path / "backprop.html").read_text() == page.html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backprop.html"]
    assert repr(page) == f"Explorer(nodes=8, path={str(tmp_path / 'backprop.html')!r})"


def test_inline_display_is_a_sandboxed_frame() -> None:
    page = explore(Value(1.0, label=HOSTILE) * 2.0)
    shown = page._repr_html_()
    assert shown.startswith("<iframe") and 'sandbox="allow-scripts"' in shown
    assert "<script" not in shown  # the page is an escaped attribute value


@pytest.mark.parametrize("where", ["missing/backprop.html", "folder"])
def test_an_unwritable_path_fails_in_one_line_leaving_nothing(tmp_path: Path, where: str) -> None:
    (tmp_path / "folder").mkdir()
    target = tmp_path / where
    with pytest.raises(OSError, match=f"(No such file|Is a directory).*{re.escape(str(target))}"
                       ) as caught:
        explore(reused_graph()[0], target)
    assert "\n" not in str(caught.value) and caught.value.filename == str(target)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["folder"]


def test_explain_command_writes_the_explorer(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "b.html"
    assert main(["explain", "a * b + a", "--set", "a=2", "--set", "b=-3", "--html",
                 str(target)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("forward pass:") and err == f"wrote {target}\n"
    names = [n["name"] for n in embedded(target.read_text())["nodes"]]  # type: ignore[index]
    assert names == ["a", "b", "n1", "n2"]


def test_explain_command_onto_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "a", "--set", "a=2", "--html", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"opgrad: error: cannot write {tmp_path}: it is a folder; "
                                       "give a file name\n")
    assert list(tmp_path.iterdir()) == []


def test_explain_command_into_a_missing_folder(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "nope" / "b.html"
    assert main(["explain", "a", "--set", "a=2", "--html", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == f"opgrad: error: cannot write {target}: the folder {target.parent} " \
                  "does not exist\n"


def test_explain_command_refuses_a_huge_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    # The command line's 2,000 characters make far fewer than MAX_NODES nodes: lower it.
    monkeypatch.setattr(sys.modules["opgrad.viz.explore"], "MAX_NODES", 20)
    expression = "+".join(["a"] + ["1"] * 10)  # each +1 adds two nodes: 21 in all
    assert main(["explain", expression, "--set", "a=1", "--html", str(tmp_path / "b.html")]) == 2
    assert "21 nodes, more than the explorer shows (20)" in capsys.readouterr().err
    assert not (tmp_path / "b.html").exists()


def test_finite_difference_is_none_outside_a_domain() -> None:
    x = Value(1e-7, label="x")
    root = x.log()
    estimate = explorer_data(root)["nodes"][0]["estimate"]
    assert estimate is None or math.isclose(estimate, 1e7, rel_tol=1e-3)
