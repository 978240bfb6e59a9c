"""The playground's examples: a few of its own, then the tutorial's ten lessons.

The lessons come from the tutorial notebook the kit ships (generated from
docs/tutorial.md), one example per lesson with its code cells in order, so
the playground shows what the tutorial shows. The browser has no matplotlib,
Graphviz, PyTorch or JAX: ``plot_function`` is taken from the playground,
which draws on the page, and from the first cell that needs one of the
others the rest of the lesson (which may use what that cell made) is kept as
comments saying so.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

LESSON = re.compile(r"^## (\d+)\. (.+)$", re.M)
PLAYGROUND_IMPORT = ("from opgrad.kit.playground import plot_function  "
                     "# draws on this page: the browser has no matplotlib")
# what a cell calls that the browser cannot run, and what that needs
NEEDS = {
    "Graphviz": re.compile(r"\bdraw_dot\("),
    "PyTorch": re.compile(r"\btorch\b|compare_with_torch\("),
    "JAX": re.compile(r"\bjax\b"),
    "matplotlib": re.compile(r"\bplot_decision_boundary\(|\bmatplotlib\b"),
}


@dataclass(frozen=True)
class Example:
    """One entry of the playground's picker."""

    title: str
    code: str


OWN = [
    Example("Thirty seconds: a graph and its gradients", '''\
from opgrad import Value
a, b = Value(2.0, label="a"), Value(-3.0, label="b")
c = (a * b + b ** 2 - a / b).tanh()
c.backward()
c.op, round(c.data, 6), round(a.grad, 6), round(b.grad, 6)
c'''),
    Example("Write your own op, and check it", '''\
import math, opgrad
from opgrad.testing import check_op

@opgrad.op(local_grads=lambda x, out: (opgrad.ops.tanh(x),),
           formula="d/dx logcosh(x) = tanh(x)", domain=(-5, 5))
def logcosh(x):
    return abs(x) + math.log1p(math.exp(-2.0 * abs(x))) - math.log(2.0)

y = opgrad.Value(1.0).logcosh()
y.backward()
print(round(y.data, 6), round(y.parents[0].grad, 6))
check_op("logcosh")'''),
    Example("Step through backprop: the explorer", '''\
from opgrad import Value
from opgrad.viz import explore

a, b = Value(2.0, label="a"), Value(-3.0, label="b")
explore((a * b + b * b).tanh())   # click the graph, then use the arrow keys'''),
    Example("Train the micrograd demo, live", '''\
from opgrad.nn import MLP, SGD, fit, linear_decay, make_moons

data = make_moons(n=100, noise=0.1, seed=0)
model = MLP(2, [16, 16, 1], seed=0)
optimizer = SGD(model.parameters(), lr=linear_decay(1.0, 0.1, steps=100))
history = fit(model, data, optimizer, steps=100, loss="hinge", compiled=True, live=True)
history[-1].accuracy'''),
]


def examples() -> list[Example]:
    """The playground's own examples, then one per tutorial lesson."""
    return [*OWN, *lessons(tutorial())]


def examples_json() -> str:
    """The examples as the page reads them."""
    return json.dumps([asdict(example) for example in examples()], indent=1)


def tutorial() -> dict[str, Any]:
    """The tutorial notebook shipped in the package (see docs/make_notebook.py)."""
    return dict(json.loads(resources.files("opgrad.kit").joinpath("tutorial.ipynb")
                           .read_text("utf-8")))


def lessons(notebook: dict[str, Any]) -> list[Example]:
    """One example per "## N. Title" heading: the code cells up to the next one."""
    found: list[tuple[str, list[str]]] = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            found += [(f"Lesson {n}: {title}", []) for n, title in LESSON.findall(source)]
        elif found:
            found[-1][1].append(source)
    return [Example(title, "\n\n".join(for_the_browser(cells))) for title, cells in found
            if cells]


def for_the_browser(cells: list[str]) -> list[str]:
    """A lesson's cells as the playground runs them: see the module's docstring."""
    needed = [[name for name, pattern in NEEDS.items() if pattern.search(cell)]
              for cell in cells]
    cells = [cell.replace("from opgrad.viz import plot_function", PLAYGROUND_IMPORT)
             for cell in cells]
    first = next((i for i, names in enumerate(needed) if names), len(cells))
    if first == len(cells):
        return cells
    note = (f"# needs {' and '.join(needed[first])}, which the browser kit does not have "
            "(the rest of this lesson uses it):")
    return [*cells[:first], "\n".join([note, *(f"#   {line}" for cell in cells[first:]
                                                for line in cell.splitlines())])]
