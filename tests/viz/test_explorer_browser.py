"""The explorer in a real browser: headless Chromium driven by Selenium.

Checked: no console message and no network request on load; stepping with
the arrow key through the whole backward pass shows exactly backward()'s
gradients; hostile labels and formulas are shown as text, never run; a
300-node graph paints quickly (the time is printed, not asserted).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import opgrad
from opgrad import Value
from opgrad.nn import MLP
from opgrad.plugins.registry import Registry
from opgrad.viz import explore
from tests.viz.browser import press, teaching_graph

HOSTILE = '</script><script>window.__pwned = 1</script>"\'\n<img src=x onerror="window.__pwned=2">'


def open_page(driver: Any, root: Value, path: Path) -> int:
    """Load the explorer of ``root``; return the number of steps (nodes + edges)."""
    explore(root, path)
    driver.get(path.as_uri())
    steps = driver.execute_script(
        "return JSON.parse(document.getElementById('opgrad-data').textContent).steps.length")
    return int(steps) + len(opgrad.topological_order(root))


def console(driver: Any) -> list[dict[str, Any]]:
    return list(driver.get_log("browser"))


def requests(driver: Any) -> list[str]:
    """Every resource the page fetched after the document itself (none, offline)."""
    return list(driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"))


def shown_grads(driver: Any) -> list[str]:
    """Each node's grad as the page shows it (the full float, as text), in forward order."""
    return list(driver.execute_script(
        "return [...document.querySelectorAll('g.node')].map(g => g.getAttribute('data-grad'))"))


def backward_grads(root: Value) -> list[str]:
    """What backward() leaves in each node, written as JavaScript writes a float."""
    root.backward()
    return [_as_javascript(n.grad) for n in opgrad.topological_order(root)]


def _as_javascript(x: float) -> str:
    if math.isnan(x) or math.isinf(x):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[str(x)]
    return driver_number(x)


def driver_number(x: float) -> str:
    # JavaScript and Python both print the shortest text that reads back exactly;
    # they differ only in the exponent's spelling and in "1.0" versus "1".
    text = repr(x).replace("e-0", "e-").replace("e+0", "e+")
    if "e" in text and "e-" not in text and "e+" not in text:
        text = text.replace("e", "e+")
    return text[:-2] if text.endswith(".0") else text


def test_page_loads_quietly_and_offline(chromium: Any, tmp_path: Path) -> None:
    open_page(chromium, teaching_graph(), tmp_path / "page.html")
    assert chromium.title == "opgrad backprop explorer"
    press(chromium, "END")
    assert console(chromium) == []
    assert requests(chromium) == []
    navigation = chromium.execute_script(
        "return performance.getEntriesByType('navigation').map(e => e.name)")
    assert navigation == [(tmp_path / "page.html").as_uri()]


def test_stepping_to_the_end_shows_backwards_gradients(chromium: Any, tmp_path: Path) -> None:
    root = teaching_graph()
    total = open_page(chromium, root, tmp_path / "page.html")
    for _ in range(total):  # to the first edge that adds into a grad already there
        press(chromium, "ARROW_RIGHT")
        middle = chromium.find_element("id", "step").text
        if "contribution 2 of" in middle:
            break
    assert "b.grad +=" in middle and "b is used 3 times" in middle
    mid_shot = tmp_path / "explorer-mid-backward.png"
    chromium.save_screenshot(str(mid_shot))
    press(chromium, "ARROW_RIGHT", total)  # on to the end, and past it: it stays there
    assert "Backward done" in chromium.find_element("id", "step").text
    end_shot = tmp_path / "explorer-graph.png"
    chromium.save_screenshot(str(end_shot))
    print(f"\nscreenshots: {mid_shot} {end_shot}")
    assert shown_grads(chromium) == backward_grads(root)
    assert console(chromium) == []


def test_a_plugin_op_is_explained_like_a_builtin(chromium: Any, tmp_path: Path,
                                                 registry: Registry) -> None:
    @opgrad.op(local_grads=lambda x, out: (out * (1.0 - out),),
               formula="d/dx squash(x) = squash(x) * (1 - squash(x))")
    def squash(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    x = Value(0.5, label="x")
    root = squash(x * x)
    total = open_page(chromium, root, tmp_path / "page.html")
    press(chromium, "ARROW_RIGHT", total)
    chromium.find_element("id", f"node-{len(opgrad.topological_order(root)) - 1}").click()
    details = chromium.find_element("id", "details").text
    assert "squash(x) * (1 - squash(x))" in details and __name__ in details
    assert shown_grads(chromium) == backward_grads(root)


def test_hostile_text_is_shown_never_run(chromium: Any, tmp_path: Path,
                                         registry: Registry) -> None:
    registry.register(lambda x: 2.0 * x, HOSTILE, name="double",
                      local_grads=lambda x, out: (2.0,), formula=HOSTILE)
    leaf = Value(1.5, label=HOSTILE)
    root = opgrad.ops.double(leaf) + leaf  # type: ignore[attr-defined]  # registered above
    total = open_page(chromium, root, tmp_path / "page.html")
    press(chromium, "ARROW_RIGHT", total)
    chromium.find_element("id", "node-1").click()
    assert chromium.execute_script("return window.__pwned === undefined")
    shown = chromium.execute_script("return document.body.textContent")
    assert "</script><script>window.__pwned = 1</script>" in shown
    assert 'onerror="window.__pwned=2"' in shown
    assert chromium.execute_script("return document.querySelectorAll('img').length") == 0
    assert requests(chromium) == [] and console(chromium) == []


def three_hundred_nodes() -> Value:
    """An MLP 10-8-1 on one example, its parameters unlabelled: no groups, every node drawn."""
    model = MLP(10, [8, 1], activation="tanh", seed=0)
    for parameter in model.parameters():
        parameter.label = ""
    out = model([Value(0.1 * i - 0.4, label=f"x{i}") for i in range(10)])
    assert isinstance(out, Value)
    return out


def test_a_300_node_graph_paints_quickly(chromium: Any, tmp_path: Path) -> None:
    root = three_hundred_nodes()
    nodes = len(opgrad.topological_order(root))
    assert 280 <= nodes <= 320
    total = open_page(chromium, root, tmp_path / "page.html")
    paint = chromium.execute_async_script(  # the entry is recorded once the frame is shown
        "const done = arguments[arguments.length - 1];"
        "new PerformanceObserver((list) => done(list.getEntries()[0].startTime))"
        ".observe({type: 'paint', buffered: true});")
    drawn = chromium.execute_script("return document.querySelectorAll('g.node').length")
    assert drawn == nodes
    stepping = chromium.execute_script(
        "const t = performance.now();"
        "for (let i = 0; i < 50; i++) document.getElementById('next').click();"
        "return (performance.now() - t) / 50")
    press(chromium, "END")
    assert shown_grads(chromium) == backward_grads(root)
    print(f"\n{nodes} nodes, {total} steps: first contentful paint {paint:.0f} ms, "
          f"one step {stepping:.1f} ms")
    assert console(chromium) == [] and requests(chromium) == []


@pytest.mark.parametrize("shot", ["explorer.png", "explorer-network.png"])
def test_the_readme_screenshot_is_committed(shot: str) -> None:
    image = Path(__file__).resolve().parents[2] / "docs" / "images" / shot
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "run: python -m tests.viz.browser"


def test_the_inline_notebook_frame_runs_the_explorer(chromium: Any, tmp_path: Path) -> None:
    root = teaching_graph()
    frame = explore(root)._repr_html_()  # what a notebook puts in the cell's output
    host = tmp_path / "notebook-cell.html"
    host.write_text(f"<!DOCTYPE html><html><body>{frame}</body></html>")
    chromium.get(host.as_uri())
    chromium.switch_to.frame(chromium.find_element("tag name", "iframe"))
    try:
        drawn = chromium.execute_script("return document.querySelectorAll('g.node').length")
        assert drawn == len(opgrad.topological_order(root))
        chromium.find_element("id", "last").click()
        assert shown_grads(chromium) == backward_grads(root)
    finally:
        chromium.switch_to.default_content()
    assert console(chromium) == []
