"""Every fenced Python block in the README and docs/ runs, and shows its real output.

Blocks with ``>>>`` prompts are doctests (their shown output must match);
other Python blocks are executed. The blocks of one file share a namespace
and run in order, in a temporary folder, with a fresh registry.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path
from types import ModuleType

import pytest

import opgrad
from opgrad.cli.ops_commands import markdown_table

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block."""
    text = path.read_text()
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in FENCE.finditer(text)]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 torch: ModuleType, matplotlib: ModuleType,
                                 graphviz: ModuleType, graphviz_dot: str) -> None:
    blocks = python_blocks(path)
    assert blocks, f"{path.name} has no python blocks"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=FLAGS)
    with opgrad.use_registry(opgrad.build_registry(autoload=False)):  # built-ins only
        for line, code in blocks:
            where = f"{path.name}, block at line {line}"
            if ">>>" in code:
                test = parser.get_doctest(code, namespace, where, str(path), line)
                result = runner.run(test, clear_globs=False)
                namespace.update(test.globs)  # DocTest ran on a copy: keep what it defined
                assert result.failed == 0, f"{where}: output differs (see the report above)"
            else:
                exec(compile(code, where, "exec"), namespace)  # the docs' own example code


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
