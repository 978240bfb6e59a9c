"""Every fenced Python block in the README and docs/ runs, and shows its real output.

Each file runs in a new interpreter (tests/doc_runner.py), in a temporary
folder, so its blocks can only use what they import themselves.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

import opgrad
from opgrad.cli.ops_commands import markdown_table
from tests.cli.runner import command
from tests.conftest import optional
from tests.docs.doc_runner import NEEDS, missing, python_blocks

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "doc_runner.py"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ALONE = {"README.md"}  # a reader pastes README blocks one at a time into a fresh interpreter


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_runs(path: Path, tmp_path: Path) -> None:
    # Blocks needing an optional package run where it is installed (always in CI).
    assert python_blocks(path), f"{path.name} has no python blocks"
    if path.name == "plugins.md":  # its ops must not clash with the installed example plugin's
        optional("opgrad_extra_ops", "pip install -e examples/opgrad-extra-ops")
    alone = ["--each-block-alone"] if path.name in ALONE else []
    result = subprocess.run([sys.executable, str(RUNNER), str(path),
                             *alone], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, f"{path.name}:\n{result.stdout}\n{result.stderr}"


def test_a_block_needing_an_absent_package_is_the_only_one_left_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(NEEDS, r"no_such_module_xyz", ("no_such_module_xyz",))
    page = tmp_path / "page.md"
    page.write_text("```python\nimport no_such_module_xyz\n```\n\n```python\nx = 1\n```\n")
    first, second = (code for _, code in python_blocks(page))
    assert missing(first) == ["no_such_module_xyz"]
    assert missing(second) == []


def test_readme_ops_table_is_generated_from_the_registry() -> None:
    text = (ROOT / "README.md").read_text()
    start, end = "<!-- ops-table: start -->\n", "\n<!-- ops-table: end -->"
    assert start in text and end in text
    shown = text[text.index(start) + len(start): text.index(end)]
    builtins = opgrad.build_registry(autoload=False)
    assert shown == markdown_table(builtins.values()), (
        "the README's op table is stale: regenerate it with "
        "OPGRAD_DISABLE_PLUGIN_AUTOLOAD=1 opgrad ops --markdown")


def test_readme_quick_start_has_exactly_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text[text.index("## Quick start"):]
    block = re.search(r"```bash\n(.*?)```", quick, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line and not line.startswith("#")]
    assert commands == ['pip install -e . && opgrad train',
                        'pip install -e ".[test]" && pytest']


def test_every_plugin_example_types_its_hook() -> None:
    example = ROOT / "examples" / "opgrad-extra-ops" / "src" / "opgrad_extra_ops" / "__init__.py"
    for path in (ROOT / "README.md", ROOT / "docs" / "plugins.md", example):
        text = path.read_text()
        hooks = re.findall(r"^def register_ops\(.*$", text, re.M)
        assert hooks == ["def register_ops(register: RegisterOp) -> None:"], path.name
        assert "from opgrad.extend import RegisterOp, hookimpl" in text, path.name


def test_the_plugin_guide_shows_a_whole_pyproject() -> None:
    blocks = re.findall(r"^```toml\n(.*?)^```", (ROOT / "docs" / "plugins.md").read_text(),
                        re.M | re.S)
    (whole,) = [tomllib.loads(block) for block in blocks if "[build-system]" in block]
    assert whole["build-system"]["build-backend"] == "setuptools.build_meta"
    assert whole["project"]["dependencies"] == ["opgrad"]
    assert whole["project"]["entry-points"]["opgrad"] == {"smooth-ops": "opgrad_smooth_ops"}


NAMED_AS = {"torch": "PyTorch", "jax": "JAX", "matplotlib": "matplotlib",
            "graphviz": "graphviz package", "dot": "`dot` program"}


def test_the_tutorial_says_what_each_lesson_needs() -> None:
    text = (ROOT / "docs" / "tutorial.md").read_text()
    rows = dict(re.findall(r"^\| (\d+|the others) \| ([^|]+?) \|", text, re.M))
    lessons = re.findall(r"^## (\d+)\. .*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert [number for number, _ in lessons] == [str(n) for n in range(1, 11)]
    for number, section in lessons:
        code = "".join(re.findall(r"^```python\n(.*?)^```", section, re.M | re.S))
        needs = {need for pattern, found in NEEDS.items() if re.search(pattern, code)
                 for need in found}
        row = rows.get(number, rows["the others"])
        assert all(NAMED_AS[need] in row for need in needs), (number, needs, row)
        assert needs or number not in rows, f"lesson {number} is listed but needs nothing"
    assert rows["the others"] == "nothing more"


def extras_within(names: set[str], declared: dict[str, list[str]]) -> set[str]:
    """``names`` and every extra they name in turn (``all`` = ``opgrad[viz,...]``)."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        found.add(name)
        for requirement in declared[name]:
            inner = re.fullmatch(r"opgrad\[([\w,]+)\]", requirement)
            todo += [n for n in inner.group(1).split(",") if n not in found] if inner else []
    return found


def test_the_full_suite_command_installs_what_ci_installs() -> None:
    from opgrad._optional import TESTED_TORCH

    readme = (ROOT / "README.md").read_text()
    (debian, pip), = re.findall(r"^apt-get install -y (.+?) && pip install (.+)$", readme, re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    ci_debian = re.search(r"debian_packages=\((.*?)\)", ci)
    assert ci_debian is not None and debian.split() == ci_debian.group(1).split()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = re.search(r'-e "\.\[([\w,]+)\]"', pip)
    assert extras is not None
    ci_extras = {"test", *re.findall(r'-e "\.\[([\w,]+)\]"', ci)[0].split(",")}
    assert ci_extras <= extras_within(set(extras.group(1).split(",")),
                                      declared["optional-dependencies"])
    assert f"torch=={TESTED_TORCH}" in pip.split() and "examples/opgrad-extra-ops" in pip


def test_the_readme_command_line_examples_run(tmp_path: Path, matplotlib: ModuleType) -> None:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## The command line"):text.index("## Checking derivatives")]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None
    lines = block.group(1).splitlines()
    assert lines and all(line.startswith("opgrad ") for line in lines)
    for line in lines:  # in order: eval and --init use the model train saved
        result = command(*shlex.split(line)[1:], cwd=tmp_path)
        assert result.returncode == 0, f"{line}\n{result.stderr}"
    written = {p.name for p in tmp_path.iterdir()}
    assert {"plot.png", "model.json"} <= written and written & {"graph.svg", "graph.dot"}


def test_the_examples_in_opgrad_s_docstrings_run() -> None:
    # Module and function docstrings show examples too: they are run, so they cannot rot.
    import doctest
    import importlib
    import pkgutil

    import opgrad

    failed = 0
    for info in pkgutil.walk_packages(opgrad.__path__, "opgrad."):
        if info.name == "opgrad.__main__":  # importing it runs the command line
            continue
        try:
            module = importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # a module of an extra (the torch bridge's layers)
            required = os.environ.get("OPGRAD_REQUIRE_OPTIONAL") == "1"
            if required or exc.name is None or exc.name.startswith("opgrad"):
                raise
            continue  # its package is not installed here: CI installs it and runs it
        failed += doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed
    failed += doctest.testmod(opgrad).failed
    assert failed == 0
