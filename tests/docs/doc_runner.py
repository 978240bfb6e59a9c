"""Run every fenced Python block of one Markdown file, in order, in this process.

    python tests/docs/doc_runner.py FILE.md [--each-block-alone]

A block that needs an optional package or program (torch, jax, matplotlib,
Graphviz) runs where it is installed and is skipped, with a line saying so,
where it is not, unless ``OPGRAD_REQUIRE_OPTIONAL=1`` (as in CI) makes that a
failure. Every other block always runs.

Blocks with ``>>>`` prompts are doctests whose shown output must match; a
block of pytest tests (``def test_...`` at the start of a line) is written to
a file in the current folder and run by pytest; other Python blocks are
executed. All blocks of the file share one namespace and a fresh registry
with what a new interpreter has (the built-in ops and the installed plugins),
as if pasted one by one into one new interpreter; with ``--each-block-alone``
every block gets its own namespace and registry, as if pasted into a new
interpreter of its own. Exits 1 and prints the report on failure. It is run
in a new interpreter per file, so a block cannot lean on a module something
else imported.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
TEST_FILE = re.compile(r"^def test_", re.M)  # a block that is a pytest file: run by pytest
# A block matching the pattern needs these modules (or, for "dot", Graphviz's program).
NEEDS = {
    r"import torch|from torch|to_torch|compare_with_torch": ("torch",),
    r"import jax|from jax|to_jax": ("jax",),
    r"torch\.onnx|onnxruntime": ("onnx", "onnxscript", "onnxruntime"),
    r"plot_function|plot_decision_boundary|matplotlib": ("matplotlib",),
    r"draw_dot": ("graphviz", "dot"),
    r"import numpy|backend=\"numpy\"|compiled=\"numpy\"|--backend numpy": ("numpy",),
}


def missing(code: str) -> list[str]:
    """What this block needs that is not installed here."""
    needed = {need for pattern, needs in NEEDS.items() if re.search(pattern, code)
              for need in needs}
    return sorted(need for need in needed if not installed(need))


def installed(need: str) -> bool:
    if need == "dot":
        return shutil.which("dot") is not None
    return importlib.util.find_spec(need) is not None


def run_test_file(code: str, name: str) -> int:
    """Run a block of pytest tests as the test file it shows, in a new pytest; 1 if it fails."""
    Path(name).write_text(code)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             name], capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        print(f"{name} failed under pytest:\n{result.stdout}{result.stderr}", file=sys.stderr)
    return int(result.returncode != 0)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block."""
    text = path.read_text()
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in FENCE.finditer(text)]


def run(path: Path, each_block_alone: bool = False) -> int:
    """Run the file's blocks; return the number of failures."""
    import opgrad  # imported here, as a reader's session would

    blocks = python_blocks(path)
    groups = [[block] for block in blocks] if each_block_alone else [blocks]
    failures = 0
    for group in groups:  # the registry of a new interpreter: built-ins and installed plugins
        with opgrad.use_registry(opgrad.build_registry()):
            failures += run_blocks(path, group, {"__name__": "__docs__"})
    return failures


def run_blocks(path: Path, blocks: list[tuple[int, str]], namespace: dict[str, object]) -> int:
    """Run ``blocks`` in order in ``namespace``; return the number of failed examples."""
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=FLAGS)
    failures = 0
    for line, code in blocks:
        where = f"{path.name}, block at line {line}"
        absent = missing(code)
        if absent:
            print(f"{where}: needs {', '.join(absent)}, not installed", file=sys.stderr)
            if os.environ.get("OPGRAD_REQUIRE_OPTIONAL") == "1":
                failures += 1
            continue
        if TEST_FILE.search(code):
            failures += run_test_file(code, f"test_{path.stem}_{line}.py")
        elif ">>>" in code:
            test = parser.get_doctest(code, namespace, where, str(path), line)
            failures += runner.run(test, clear_globs=False).failed
            namespace.update(test.globs)  # DocTest ran on a copy: keep what it defined
        else:
            exec(compile(code, where, "exec"), namespace)  # the docs' own example code
    return failures


if __name__ == "__main__":
    sys.exit(1 if run(Path(sys.argv[1]), "--each-block-alone" in sys.argv[2:]) else 0)
