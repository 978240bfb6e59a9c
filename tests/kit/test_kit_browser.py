"""The built kit in headless Chromium that can reach 127.0.0.1 and nothing else.

Checked: window.opgrad.run gives the README's numbers; a notebook cell in
JupyterLite prints them too; every request any page or worker made was for a
file of the kit, and found it; no console errors; a student's op passes
check_op; training redraws the loss and the boundary as it runs and reaches
100% accuracy; every example prints what the same code prints in CPython;
the explorer and plots are drawn inline; a teacher's own page in the folder
gets window.opgrad too. Timings are printed (run with -s), not asserted.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

import pytest

from opgrad.kit import Kit
from opgrad.kit.playground import Session
from tests.kit.browser import (
    IMAGES,
    NOTEBOOK,
    Served,
    click_example,
    first_cell_output,
    notebook_cell,
    offline_chromium,
    page_requests,
    readme_cell,
    readme_example,
    run_editor,
    run_python,
    seconds_since_navigation,
    severe_console,
    typed_source,
)
from tests.viz.conftest import require_chromium

STUDENT_OP = '''\
import math, opgrad
from opgrad.testing import check_op

@opgrad.op(local_grads=lambda x, out: (opgrad.ops.sigmoid(x),),
           formula="d/dx softplus(x) = sigmoid(x)")
def softplus(x):
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0)

y = opgrad.Value(0.5).softplus()
y.backward()
print(round(y.data, 6), round(y.parents[0].grad, 6))
check_op("softplus")'''


def test_a_first_visit_offline_runs_the_readme_and_fetches_only_the_kit(
        kit: Kit, served: Served, tmp_path: Path) -> None:
    require_chromium()
    netlog = tmp_path / "netlog.json"
    driver = offline_chromium(tmp_path / "profile", netlog)  # a fresh profile: nothing cached
    try:
        driver.get(served.url)
        code, shown = readme_example()
        assert run_python(driver, code) == shown
        playground = seconds_since_navigation(driver)
        assert severe_console(driver) == []
        driver.get(served.url + NOTEBOOK)
        assert first_cell_output(driver) == "20.0"  # the tutorial's first cell, as shipped
        notebook = seconds_since_navigation(driver)
        assert notebook_cell(driver, readme_cell()) == shown.strip()
        assert typed_source(driver) == readme_cell()
        driver.save_screenshot(str(tmp_path / "kit-notebook.png"))
        assert severe_console(driver) == []
    finally:
        driver.quit()
    outside = [url for url in page_requests(netlog) if not url.startswith(served.url)]
    assert outside == []
    assert len(page_requests(netlog)) > 40  # the log did record the pages' requests
    assert [(path, status) for path, status in served.requests if status >= 400] == []
    print(f"\nfirst result: playground {playground:.1f} s, notebook cell {notebook:.1f} s "
          f"after navigation; screenshot {tmp_path / 'kit-notebook.png'}")


@pytest.fixture(scope="module")
def playground(offline: Any, served: Served) -> Any:
    offline.get(served.url)
    return offline


def test_a_students_op_passes_check_op(playground: Any) -> None:
    editor = playground.find_element("id", "code")
    editor.clear()
    editor.send_keys(STUDENT_OP)
    run_editor(playground)
    printed = playground.find_element("id", "output").text.splitlines()
    assert printed[0] == "0.974077 0.622459" and printed[1].startswith("OpCheck(name='softplus'")
    table = playground.find_element("css selector", "#display table.opgrad").text
    assert "check_op('softplus'): PASS" in table
    assert severe_console(playground) == []


def test_training_redraws_while_it_runs_and_reaches_full_accuracy(
        playground: Any, tmp_path: Path) -> None:
    started = playground.execute_script("return performance.now()")
    click_example(playground, "Train the micrograd demo")
    finished = playground.execute_script("return performance.now()")
    figure = playground.find_element("css selector", "#display figure.training")
    frames = int(figure.get_attribute("data-frames"))
    first = float(figure.get_attribute("data-first-frame-ms"))
    assert frames >= 10 and started < first < finished - 100  # drawn during the run
    assert figure.get_attribute("data-accuracy") == "1"
    assert "accuracy 100%" in figure.find_element("tag name", "figcaption").text
    assert playground.find_element("id", "output").text == "1.0"
    painted = playground.execute_script(  # the boundary canvas has both classes' colours
        "const c = document.querySelector('figure.training canvas').getContext('2d');"
        "const d = c.getImageData(0, 0, c.canvas.width, c.canvas.height).data;"
        "let blue = 0, red = 0; for (let i = 0; i < d.length; i += 4) {"
        "  if (d[i + 2] > d[i] + 40) blue++; if (d[i] > d[i + 2] + 40) red++; }"
        "return [blue, red];")
    assert min(painted) > 1000
    playground.save_screenshot(str(tmp_path / "kit-playground.png"))
    print(f"\ntraining: {frames} frames in {(finished - started) / 1000:.1f} s; "
          f"screenshot {tmp_path / 'kit-playground.png'}")
    assert severe_console(playground) == []


def test_the_explorer_and_a_plot_are_drawn_inline(playground: Any) -> None:
    click_example(playground, "Step through backprop")
    frame = playground.find_element("css selector", "#display iframe")
    playground.switch_to.frame(frame)
    try:
        assert playground.execute_script("return document.querySelectorAll('g.node').length") == 6
    finally:
        playground.switch_to.default_content()
    click_example(playground, "Lesson 1")
    plot = playground.find_element("css selector", "#display figure.plot")
    assert "3x^2 - 4x + 5 and its derivative" in plot.text
    assert len(plot.find_elements("css selector", "path")) == 2  # f and its derivative
    assert len(plot.find_elements("css selector", "circle")) >= 20  # finite differences
    assert severe_console(playground) == []


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def same_printout(ours: str, theirs: str) -> bool:
    """The same text, numbers equal to 1e-6 relative or 1e-9 absolute: the last bits of a
    finite difference depend on the C library's exp and log (Pyodide's or glibc's)."""
    if NUMBER.split(ours) != NUMBER.split(theirs):
        return False
    pairs = zip(NUMBER.findall(ours), NUMBER.findall(theirs), strict=True)
    return all(math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9) for a, b in pairs)


def test_every_example_prints_what_cpython_prints(playground: Any, kit: Kit, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # lesson 5 writes backprop.html
    examples = [example for example in json.loads((kit.folder / "examples.json").read_text())
                if not example["title"].startswith("Train")]  # trained in the test above
    here = Session(lambda kind, payload: None)
    timings = []
    for example in examples:
        started = time.perf_counter()
        shown = run_python(playground, example["code"])
        timings.append(f"{example['title'][:24]} {time.perf_counter() - started:.1f} s")
        printed, error = here.run(example["code"])
        assert error is None, f"{example['title']}:\n{error}"
        assert same_printout(shown, printed), f"{example['title']}:\n{shown}\n{printed}"
    print("\n" + "; ".join(timings))
    assert severe_console(playground) == []


COURSE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>week 1</title>
<script type="module" src="opgrad.js"></script></head><body><p>A course page.</p></body></html>
"""


def test_a_course_page_in_the_folder_runs_snippets(offline: Any, served: Served,
                                                   kit: Kit) -> None:
    page = kit.folder / "week1.html"  # a teacher's own page beside the kit
    page.write_text(COURSE_PAGE)
    try:
        offline.get(served.url + "week1.html")
        assert run_python(offline, "from opgrad import Value\nValue(2.0) * 3") == \
            "Value(data=6.0, grad=0.0)\n"
        message, output = offline.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.opgrad.run('print(1)\\n1 / 0').catch(e => done([e.message, e.output]));")
        assert output.startswith("1\n") and message.endswith(
            "ZeroDivisionError: division by zero\n")
        assert severe_console(offline) == []
    finally:
        page.unlink()


def test_the_docs_show_the_committed_screenshots() -> None:
    for name in ("kit-playground.png", "kit-notebook.png"):
        assert (IMAGES / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", \
            "run: python -m tests.kit.browser"
