"""A number that becomes a leaf is a constant: no gradient, and no view shows one."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import opgrad
from opgrad import Value
from opgrad.viz import explain, explore
from opgrad.viz.explore import explorer_data

README_EXAMPLE = ["explain", "tanh(a * b + b ** 2)", "--set", "a=2", "--set", "b=-3"]


def test_the_readme_example_shows_the_same_edges_as_text_and_page(tmp_path: Path) -> None:
    page = tmp_path / "backprop.html"
    done = subprocess.run([sys.executable, "-m", "opgrad", *README_EXAMPLE, "--html", str(page)],
                          capture_output=True, text=True, check=True)
    edges = [line for line in done.stdout.splitlines() if line.startswith("    to ")]
    data = re.search(r'id="opgrad-data">(.*?)</script>', page.read_text(), re.S)
    assert data is not None
    shown = json.loads(data.group(1))
    assert len(edges) == len(shown["steps"]) == 6
    assert "NaN" not in done.stdout and "NaN" not in data.group(1)
    constants = [n for n in shown["nodes"] if n.get("constant")]
    assert [n["name"] for n in constants] == ["2"] and "estimate" not in constants[0]


def test_a_constant_exponent_gets_no_gradient_where_torch_would_give_none() -> None:
    b = Value(-3.0, label="b")
    out = (b ** 2).tanh()
    out.backward()
    two = out.parents[0].parents[1]
    assert type(two) is opgrad.Constant and two.grad == 0.0
    assert "to 2:" not in explain(out) and "d/d2" not in explain(out)
    position = opgrad.topological_order(out).index(two)
    steps = explorer_data(out)["steps"]
    assert len(steps) == 2 and all(into != position for _, into, *_ in steps)


def test_a_value_the_user_made_stays_a_variable() -> None:
    b, y = Value(-3.0, label="b"), Value(2.0, label="y")
    out = b ** y
    text = explain(out)
    assert "to y:" in text and "dn1/dy = nan" in text
    assert explore(out).nodes == 3


def test_drawings_show_no_gradient_for_a_constant() -> None:
    from opgrad.viz import to_dot
    from opgrad.viz.notebook import value_html

    b = Value(-3.0, label="b")
    out = (b ** 2).tanh()
    out.backward()
    dot, html = to_dot(out), value_html(out)
    assert "{  | data 2.0000 | constant }" in dot and dot.count("| grad ") == 3
    assert ">constant<" in html and html.count(">grad ") == 3
