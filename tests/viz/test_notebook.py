"""Notebook views: a Value draws itself, results show as tables, the tutorial runs in a kernel."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from opgrad import Value
from opgrad.expr import evaluate
from opgrad.nn import MLP, SGD, fit, make_moons
from opgrad.testing import check_op, sensitivity
from opgrad.viz import explain
from opgrad.viz.notebook import MAX_DRAWN, value_html
from tests.conftest import optional

ROOT = Path(__file__).resolve().parents[2]


def make_notebook() -> ModuleType:
    """docs/make_notebook.py, the notebook's generator, as a module."""
    path = ROOT / "docs" / "make_notebook.py"
    spec = importlib.util.spec_from_file_location("make_notebook", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_opgrad_imports_no_notebook_or_drawing_package() -> None:
    code = ("import sys, opgrad; from opgrad import Value; (Value(1.0) * 2)._repr_html_(); "
            "print(sorted({'IPython', 'graphviz', 'matplotlib', 'selenium'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"


def test_a_value_draws_its_graph() -> None:
    a = Value(2.0, label="a")
    out = (a * a + 1.0).tanh()
    out.backward()
    shown = out._repr_html_()  # type: ignore[attr-defined]  # bound by opgrad's assembly
    assert shown.startswith(f"<div><code>{out!r}</code><br><svg")
    assert shown.count("<rect") == 5 and shown.count("<ellipse") == 3
    assert f"grad {a.grad:.4g}" in shown and ">tanh<" in shown and ">*<" in shown


def test_labels_in_the_drawing_are_text() -> None:
    shown = value_html(Value(1.0, label='<script>alert("x")</script>') * 2.0)
    assert "<script" not in shown and "&lt;script&gt;" in shown


def test_a_big_graph_says_its_size_and_how_to_draw_it() -> None:
    x = Value(1.0)
    for _ in range(MAX_DRAWN):
        x = x + 1.0
    shown = value_html(x)
    assert "<svg" not in shown
    assert f"a graph of {2 * MAX_DRAWN + 1} nodes, more than the {MAX_DRAWN}" in shown
    assert "opgrad.viz.draw_dot(value)" in shown and "opgrad.viz.explore(value" in shown


def cells(table: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    return [re.findall(r"<t[dh]>(.*?)</t[dh]>", row) for row in rows]


def test_explain_is_text_that_a_notebook_shows_as_tables() -> None:
    shown = explain(evaluate("a * b + c", {"a": 2.0, "b": -3.0, "c": 10.0}))
    assert shown.startswith("forward pass:")
    tables = shown._repr_html_()
    assert tables.count("<table") == 3
    rows = cells(tables)
    assert ["n1", "mul", "a, b", "-6"] in rows
    assert ["n1", "d/dx (x * y) = y; d/dy (x * y) = x", "a", "-3", "1", "-3", "-3"] in rows
    assert ["dn2/db", "2"] in rows


def test_check_op_shows_as_a_table() -> None:
    rows = cells(check_op("tanh")._repr_html_())
    assert ["verdict", "PASS"] in rows and ["points", "8"] in rows


def test_sensitivity_shows_as_a_table() -> None:
    table = sensitivity(lambda a, b: a * b, {"a": 2.0, "b": -3.0}, h=1e-4)
    rows = cells(table._repr_html_())
    assert rows[0] == ["input", "value", "bumped output", "change", "slope"]
    assert rows[1][:2] == ["a", "2"] and float(rows[1][4]) == pytest.approx(-3.0)


def test_live_fit_in_a_terminal_shows_progress_and_trains_the_same(
        capsys: pytest.CaptureFixture[str]) -> None:
    def train(live: bool) -> list[float]:
        model = MLP(2, [4, 1], seed=0)
        data = make_moons(n=20, noise=0.1, seed=0)
        return [r.loss for r in fit(model, data, SGD(model.parameters(), lr=0.5), steps=5,
                                    live=live)]

    assert train(live=True) == train(live=False)
    assert "5/5" in capsys.readouterr().err


def test_the_tutorial_notebook_matches_the_markdown() -> None:
    optional("nbformat", "pip install 'opgrad[notebook]'")
    generator = make_notebook()
    import nbformat

    committed = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    assert generator.drift(committed, generator.build()) == [], \
        "docs/tutorial.ipynb is stale: run python docs/make_notebook.py"
    shown = [c for c in committed.cells if c.cell_type == "code" and c.outputs]
    assert len(shown) >= 20, "the committed notebook must show its outputs"
    assert "<svg" in outputs_of(committed, "from opgrad import Value")[0]["data"]["text/html"]
    assert "image/png" in outputs_of(committed, "from opgrad.nn import fit")[0]["data"]
    assert_lessons_1_and_6_show_pictures(committed)


def assert_lessons_1_and_6_show_pictures(notebook: Any) -> None:
    plot = outputs_of(notebook, "from opgrad.viz import plot_function")[-1]["data"]
    assert plot["image/png"] and plot["text/plain"].startswith("<Figure size 700x450")
    (graph,) = [c for c in notebook.cells if c.cell_type == "code" and c.source == "drawing"]
    assert "<svg" in graph.outputs[0]["data"]["image/svg+xml"]


def outputs_of(notebook: Any, start: str) -> list[Any]:
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and c.source.startswith(start)]
    return list(cell.outputs)


def test_the_tutorial_runs_in_a_jupyter_kernel(tmp_path: Path) -> None:
    optional("nbclient", "pip install 'opgrad[notebook]'")
    optional("ipykernel", "pip install 'opgrad[notebook]'")
    generator = make_notebook()
    notebook = generator.execute(generator.build(), tmp_path)  # raises if any cell fails
    value = outputs_of(notebook, "from opgrad import Value")[0]["data"]
    assert value["text/plain"] == "Value(data=4.0, grad=0.0)"
    assert "<svg" in value["text/html"]
    page = outputs_of(notebook, "from opgrad.viz import explore")[0]["data"]
    assert page["text/html"].startswith("<iframe") and (tmp_path / "backprop.html").exists()
    assert_lessons_1_and_6_show_pictures(notebook)
    live = outputs_of(notebook, "from opgrad.nn import fit")
    assert live[0]["output_type"] == "display_data" and "image/png" in live[0]["data"]
    assert live[-1]["data"]["text/plain"] == "(0.5, 0.95)"
