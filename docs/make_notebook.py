"""docs/tutorial.ipynb, made from docs/tutorial.md: one source, two forms.

    python docs/make_notebook.py           # rebuild the notebook and run it (outputs saved)
    python docs/make_notebook.py --check   # exit 1 if a notebook drifted from the Markdown

It also writes opgrad/kit/tutorial.ipynb, the same cells without outputs:
the copy `opgrad kit` puts in the browser kit (package data, so an installed
opgrad has it).

The prose becomes Markdown cells; each ```python block (written as doctest
examples) becomes code cells without the prompts, one cell per shown
result, so the notebook displays what the Markdown shows. The notebook is
run in a real Jupyter kernel (nbclient and ipykernel) in a scratch folder,
so the files the lessons write do not land in docs/.
"""

from __future__ import annotations

import doctest
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
MARKDOWN, NOTEBOOK = DOCS / "tutorial.md", DOCS / "tutorial.ipynb"
KIT_NOTEBOOK = DOCS.parent / "opgrad" / "kit" / "tutorial.ipynb"
FENCE = re.compile(r"^```python\n(.*?)^```\n?", re.M | re.S)
DIRECTIVE = re.compile(r"\s*# doctest:.*$", re.M)


def cells(text: str) -> list[tuple[str, str]]:
    """(kind, source) of each cell: "markdown" for prose, "code" for examples."""
    found: list[tuple[str, str]] = []
    position = 0
    for match in FENCE.finditer(text):
        prose = text[position:match.start()].strip()
        if prose:
            found.append(("markdown", prose))
        found += [("code", code) for code in code_cells(match.group(1))]
        position = match.end()
    if text[position:].strip():
        found.append(("markdown", text[position:].strip()))
    return found


def code_cells(block: str) -> list[str]:
    """A doctest block as code cells, each ending at an example that shows a result."""
    examples = doctest.DocTestParser().get_examples(block)
    if not examples:  # a plain Python block
        return [block.strip()]
    done, current = [], []
    for example in examples:
        current.append(DIRECTIVE.sub("", example.source))
        if example.want:
            done.append("".join(current).rstrip("\n"))
            current = []
    if current:
        done.append("".join(current).rstrip("\n"))
    return done


def build() -> Any:
    """The notebook (without outputs) for the current Markdown."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "language_info": {"name": "python"}}
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    notebook.cells = [make[kind](source) for kind, source in cells(MARKDOWN.read_text())]
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # stable ids: rebuilding changes nothing that did not change
    return notebook


def execute(notebook: Any, folder: Path) -> Any:
    """Run every cell in a fresh Python kernel with ``folder`` as the working directory."""
    from nbclient import NotebookClient

    client = NotebookClient(notebook, timeout=600, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(folder)}})
    return client.execute()


def drift(committed: Any, fresh: Any) -> list[str]:
    """Where the committed notebook's cells differ from the Markdown's (empty: in sync)."""
    have = [(c.cell_type, c.source) for c in committed.cells]
    want = [(c.cell_type, c.source) for c in fresh.cells]
    if have == want:
        return []
    differ = [i for i, (a, b) in enumerate(zip(have, want, strict=False)) if a != b]
    return [f"{len(have)} cells, expected {len(want)}; first difference at cell "
            f"{differ[0] if differ else min(len(have), len(want))}"]


def main(argv: list[str]) -> int:
    import nbformat

    if argv == ["--check"]:
        stale = [(path, problem) for path in (NOTEBOOK, KIT_NOTEBOOK)
                 for problem in drift(nbformat.read(path, as_version=4), build())]
        for path, problem in stale:
            print(f"{path.name} is stale: {problem}; run python docs/make_notebook.py",
                  file=sys.stderr)
        return 1 if stale else 0
    nbformat.write(build(), KIT_NOTEBOOK)
    with tempfile.TemporaryDirectory() as folder:
        notebook = execute(build(), Path(folder))
    nbformat.write(notebook, NOTEBOOK)
    print(f"wrote {NOTEBOOK} and {KIT_NOTEBOOK}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
