"""The kit's parts that need no download and no browser: opgrad's wheel, the lock file,
the playground's examples and its Python side (run here in CPython)."""

from __future__ import annotations

import base64
import doctest
import hashlib
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

import opgrad
from opgrad.kit import KitError
from opgrad.kit.examples import NEEDS, OWN, examples, lessons, tutorial
from opgrad.kit.lock import lock_entry, rewritten_lock
from opgrad.kit.playground import Session, TrainingView, plot_function
from opgrad.kit.wheel import PACKAGE_DATA, build_opgrad_wheel
from opgrad.nn import MLP, SGD, fit, make_moons
from opgrad.viz.boundary import decision_grid
from opgrad.viz.live import REDRAWS, live_view
from tests.conftest import optional
from tests.viz.test_notebook import make_notebook

ROOT = Path(__file__).resolve().parents[2]
CHECKER, FLAGS = doctest.OutputChecker(), doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
RUNTIME_INFO = {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3",
                "python": "3.14.2"}


# ---- opgrad's wheel


def test_opgrads_wheel_holds_the_package_and_a_valid_record(tmp_path: Path) -> None:
    wheel = build_opgrad_wheel(tmp_path)
    assert wheel.name == f"opgrad-{opgrad.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = f"opgrad-{opgrad.__version__}.dist-info"
        record = archive.read(f"{info}/RECORD").decode().splitlines()
        for row in record[:-1]:
            name, digest, size = row.split(",")
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert (digest, int(size)) == (f"sha256={expected.decode()}", len(data)), name
        metadata = archive.read(f"{info}/METADATA").decode()
    package = Path(opgrad.__file__).parent
    shipped = {f"opgrad/{p.relative_to(package).as_posix()}" for p in package.rglob("*.py")
               if "__pycache__" not in p.parts}
    assert shipped <= set(names)
    assert {"opgrad/viz/explorer.html", "opgrad/kit/playground.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "Requires-Dist: pluggy" in metadata and "Requires-Dist: typing-extensions" in metadata
    assert [row.split(",")[0] for row in record] == [n for n in names]


def test_the_browser_wheel_ships_the_package_data_pyproject_lists_and_no_stray_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "pyproject.toml").read_text()
    listed = re.search(r"\[tool.setuptools.package-data\]\nopgrad = \[(.*?)\]", text, re.S)
    assert listed is not None
    assert tuple(re.findall(r'"([^"]+)"', listed.group(1))) == PACKAGE_DATA
    package = tmp_path / "opgrad"  # a package folder with a file no wheel should hold
    shutil.copytree(Path(opgrad.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "backprop.html").write_text("written by a test run")
    (package / "viz" / ".explorer.js.swp").write_text("an editor's swap file")
    monkeypatch.setattr(opgrad, "__file__", str(package / "__init__.py"))
    with zipfile.ZipFile(build_opgrad_wheel(tmp_path)) as archive:
        names = set(archive.namelist())
    assert "opgrad/viz/explorer.js" in names and "opgrad/py.typed" in names
    assert "opgrad/backprop.html" not in names and "opgrad/viz/.explorer.js.swp" not in names


def test_opgrads_wheel_is_the_same_bytes_each_time(tmp_path: Path) -> None:
    first = build_opgrad_wheel(tmp_path).read_bytes()
    (tmp_path / "again").mkdir()
    assert build_opgrad_wheel(tmp_path / "again").read_bytes() == first


# ---- the lock file


def wheel_with(folder: Path, name: str, version: str, requires: list[str]) -> Path:
    path = folder / f"{name}-{version}-py3-none-any.whl"
    lines = [f"Name: {name}", f"Version: {version}", *(f"Requires-Dist: {r}" for r in requires)]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        archive.writestr(f"{name}_helper.py", "")
        archive.writestr(f"{name}-{version}.dist-info/METADATA", "\n".join(lines) + "\n")
    return path


def test_a_lock_entry_is_read_from_the_wheel(tmp_path: Path) -> None:
    wheel = wheel_with(tmp_path, "Some_Pkg", "1.2", ["other-pkg>=1", "windows-only; "
                                                     "sys_platform == 'win32'", "x[y]==2"])
    entry = lock_entry(wheel)
    assert entry == {"name": "Some_Pkg", "version": "1.2", "file_name": wheel.name,
                     "install_dir": "site", "sha256": hashlib.sha256(wheel.read_bytes())
                     .hexdigest(), "package_type": "package",
                     "imports": ["Some_Pkg", "Some_Pkg_helper"],
                     "depends": ["other-pkg", "x"], "unvendored_tests": False, "tool": {}}


def test_the_lock_keeps_the_runtimes_info_and_lists_only_the_wheels(tmp_path: Path) -> None:
    wheels = [wheel_with(tmp_path, "a", "1", ["b"]), wheel_with(tmp_path, "b", "2", [])]
    lock = rewritten_lock({"info": RUNTIME_INFO, "packages": {"numpy": {}}}, wheels)
    assert lock["info"] == RUNTIME_INFO
    assert list(lock["packages"]) == ["a", "b"]
    assert lock["packages"]["a"]["depends"] == ["b"]


def test_a_dependency_the_kit_does_not_ship_is_named(tmp_path: Path) -> None:
    wheels = [wheel_with(tmp_path, "a", "1", ["missing-one"])]
    with pytest.raises(KitError, match=r"a-1-py3-none-any.whl needs missing-one, which the kit "
                                       r"does not ship: add the wheels to opgrad/kit/pins.py"):
        rewritten_lock({"info": RUNTIME_INFO, "packages": {}}, wheels)


# ---- the examples


def test_the_kits_notebook_is_the_tutorials_cells_without_outputs() -> None:
    optional("nbformat", "pip install 'opgrad[notebook]'")
    generator = make_notebook()
    shipped = tutorial()
    fresh = generator.build()
    assert [(c["cell_type"], "".join(c["source"])) for c in shipped["cells"]] == \
        [(c.cell_type, c.source) for c in fresh.cells], "run: python docs/make_notebook.py"
    assert all(not c.get("outputs") for c in shipped["cells"])


def test_there_is_one_example_per_lesson_after_the_playgrounds_own() -> None:
    titles = [example.title for example in examples()]
    assert titles[:len(OWN)] == [example.title for example in OWN]
    assert [re.match(r"Lesson (\d+):", t).group(1) for t in titles[len(OWN):]] == \
        [str(n) for n in range(1, 11)]


def test_cells_the_browser_cannot_run_become_comments_from_there_on() -> None:
    by_title = {example.title.split(":")[0]: example.code for example in lessons(tutorial())}
    assert "from opgrad.kit.playground import plot_function" in by_title["Lesson 1"]
    assert "# needs Graphviz" in by_title["Lesson 6"] and "print(to_dot(d))" in by_title["Lesson 6"]
    assert "#   drawing = draw_dot(d)" in by_title["Lesson 6"]
    lesson_9 = by_title["Lesson 9"].splitlines()
    assert lesson_9[0].startswith("# needs PyTorch") and all(line.startswith("#")
                                                              for line in lesson_9)


def tutorial_cells_by_lesson() -> dict[str, list[tuple[str, str]]]:
    """Each lesson's cells of the tutorial, as (code, the output the tutorial shows)."""
    text = (ROOT / "docs" / "tutorial.md").read_text()
    found: dict[str, list[tuple[str, str]]] = {}
    parts = re.split(r"^## (\d+)\. .+$", text, flags=re.M)
    for number, section in zip(parts[1::2], parts[2::2], strict=True):
        cells, current = found.setdefault(f"Lesson {number}", []), []
        for block in re.findall(r"^```python\n(.*?)^```", section, re.M | re.S):
            for example in doctest.DocTestParser().get_examples(block):
                current.append(example.source)
                if example.want:
                    cells.append(("".join(current), example.want))
                    current = []
    return found


def test_each_lesson_prints_what_the_tutorial_shows(monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # lesson 5 writes backprop.html
    session = Session(lambda kind, payload: None)
    expected = tutorial_cells_by_lesson()
    for example in examples():
        printed, error = session.run(example.code)
        assert error is None, f"{example.title}:\n{error}"
        lesson = example.title.split(":")[0]
        if lesson in expected:
            cells = expected[lesson]
            kept = next((i for i, (code, _) in enumerate(cells)
                         if any(p.search(code) for p in NEEDS.values())), len(cells))
            want = "".join("" if "plot_function(" in code else want  # drawn, not returned
                           for code, want in cells[:kept])
            assert CHECKER.check_output(want, printed, FLAGS), f"{example.title}:\n{printed}"


# ---- the playground's Python side


def shown_by(code: str) -> tuple[str, str | None, list[tuple[str, Any]]]:
    shown: list[tuple[str, Any]] = []
    session = Session(lambda kind, payload: shown.append((kind, json.loads(payload))))
    printed, error = session.run(code)
    return printed, error, [(kind, data) for kind, data in shown if kind != "text"]


def test_a_run_prints_each_expression_as_a_prompt_does_and_shows_pictures() -> None:
    printed, error, shown = shown_by("import opgrad\nx = 2\nx * 3\nNone\nopgrad.Value(1.5)")
    assert (printed, error) == ("6\nValue(data=1.5, grad=0.0)\n", None)
    assert [kind for kind, _ in shown] == ["html"] and "<svg" in shown[0][1]


def test_names_stay_from_run_to_run_and_errors_show_the_students_lines() -> None:
    session = Session(lambda kind, payload: None)
    assert session.run("y = 41") == ("", None)
    printed, error = session.run("print(y + 1)\ny / 0")
    assert printed == "42\n"
    assert error is not None
    lines = error.splitlines()  # (Python 3.11+ adds a line of carets under the expression)
    assert lines[:3] == ["Traceback (most recent call last):",
                         '  File "<playground>", line 2, in <module>', "    y / 0"]
    assert lines[-1] == "ZeroDivisionError: division by zero"
    _, syntax = session.run("def f(:")
    assert syntax is not None and syntax.endswith("SyntaxError: invalid syntax\n")


def test_plot_function_sends_f_and_its_slopes_to_the_page() -> None:
    _, error, shown = shown_by("from opgrad.kit.playground import plot_function\n"
                               "plot_function(lambda x: x * x, -1, 1, title='x^2')")
    assert error is None and [kind for kind, _ in shown] == ["plot"]
    plot = shown[0][1]
    assert plot["title"] == "x^2" and len(plot["xs"]) == 201
    assert plot["slopes"][0] == pytest.approx(-2.0) and plot["numeric"][-1] == pytest.approx(2.0)
    with pytest.raises(RuntimeError, match=r"draws on the kit's playground page; elsewhere use "
                                           r"opgrad.viz.plot_function"):
        plot_function(lambda x: x, 0, 1)


def test_live_training_in_a_session_sends_redraws_of_loss_and_boundary() -> None:
    _, error, shown = shown_by(
        "from opgrad.nn import MLP, SGD, fit, make_moons\n"
        "m = MLP(2, [4, 1], seed=0)\n"
        "h = fit(m, make_moons(n=20, noise=0.1, seed=0), SGD(m.parameters(), lr=0.5), "
        "steps=20, live=True)")
    assert error is None
    frames = [data for kind, data in shown if kind == "training"]
    assert len(frames) == REDRAWS and [f["step"] for f in frames] == list(range(2, 21, 2))
    assert len(frames[-1]["losses"]) == 20 and len(frames[-1]["grid"]["regions"]) == 30
    assert frames[-1]["title"] == "MLP 2-4-1 on moons"


def test_live_view_is_used_only_inside_its_block(capsys: pytest.CaptureFixture[str]) -> None:
    steps: list[int] = []

    def view(model: MLP, data: Any, total: int) -> Any:
        return lambda result: steps.append(result.step)

    def train() -> None:
        model = MLP(2, [3, 1], seed=0)
        fit(model, make_moons(n=10, seed=0), SGD(model.parameters(), lr=0.1), steps=3, live=True)

    with live_view(view):
        train()
    train()
    assert steps == [1, 2, 3]
    assert "3/3" in capsys.readouterr().err  # outside: the terminal's progress bar


def test_a_training_view_draws_the_models_classes_on_a_grid() -> None:
    data = make_moons(n=10, seed=0)
    model = MLP(2, [3, 1], seed=0)
    grid = decision_grid(model, data, resolution=5)
    assert len(grid.xs) == len(grid.ys) == 5 and len(grid.regions) == 5
    assert grid.xs[0] == pytest.approx(min(p[0] for p in data.x) - 0.5)
    assert {k for row in grid.regions for k in row} <= {0, 1}
    frames: list[str] = []
    view = TrainingView(lambda kind, payload: frames.append(payload), model, data, steps=1)
    fit(model, data, SGD(model.parameters(), lr=0.1), steps=1, on_step=view.update)
    assert json.loads(frames[0])["points"] == [list(p) for p in data.x]
