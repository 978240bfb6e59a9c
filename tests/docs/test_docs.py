"""Every fenced Python block in the README and docs/ runs, and shows its real output.

Each file runs in a new interpreter (tests/doc_runner.py), in a temporary
folder, so its blocks can only use what they import themselves.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import opgrad
from opgrad.cli.ops_commands import markdown_table
from tests.docs.doc_runner import NEEDS, missing, python_blocks

ROOT = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).resolve().parent / "doc_runner.py"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ALONE = {"README.md"}  # a reader pastes README blocks one at a time into a fresh interpreter


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_runs(path: Path, tmp_path: Path) -> None:
    # Blocks needing an optional package run where it is installed (always in CI).
    assert python_blocks(path), f"{path.name} has no python blocks"
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
        module = importlib.import_module(info.name)
        failed += doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed
    failed += doctest.testmod(opgrad).failed
    assert failed == 0
