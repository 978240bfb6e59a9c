"""Run every fenced Python block of one Markdown file, in order, in this process.

    python tests/doc_runner.py FILE.md

Blocks with ``>>>`` prompts are doctests whose shown output must match; other
Python blocks are executed. All blocks of the file share one namespace and a
fresh registry of the built-in ops. Exits 1 and prints the report on failure.
It is run in a new interpreter per file, so a block cannot lean on a module
that something else happened to import.
"""

from __future__ import annotations

import doctest
import re
import sys
from pathlib import Path

FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block."""
    text = path.read_text()
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in FENCE.finditer(text)]


def run(path: Path) -> int:
    """Run the file's blocks; return the number of failures."""
    import opgrad  # imported here, as a reader's session would

    namespace: dict[str, object] = {"__name__": "__docs__"}
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=FLAGS)
    failures = 0
    with opgrad.use_registry(opgrad.build_registry(autoload=False)):  # built-ins only
        for line, code in python_blocks(path):
            where = f"{path.name}, block at line {line}"
            if ">>>" in code:
                test = parser.get_doctest(code, namespace, where, str(path), line)
                failures += runner.run(test, clear_globs=False).failed
                namespace.update(test.globs)  # DocTest ran on a copy: keep what it defined
            else:
                exec(compile(code, where, "exec"), namespace)  # the docs' own example code
    return failures


if __name__ == "__main__":
    sys.exit(1 if run(Path(sys.argv[1])) else 0)
