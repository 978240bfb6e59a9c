"""Every fenced Python block in the README and docs/ runs, and shows its real output.

Each file runs in a new interpreter (tests/doc_runner.py), in a temporary
folder, so its blocks can only use what they import themselves.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import opgrad
from opgrad.cli.ops_commands import markdown_table
from tests.doc_runner import python_blocks

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_runs(path: Path, tmp_path: Path, torch: ModuleType,
                                 matplotlib: ModuleType, graphviz: ModuleType,
                                 graphviz_dot: str) -> None:
    assert python_blocks(path), f"{path.name} has no python blocks"
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "doc_runner.py"), str(path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, f"{path.name}:\n{result.stdout}\n{result.stderr}"


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
