"""The backprop explorer: one self-contained HTML page to step through a graph.

Every number on the page comes from opgrad itself: the forward values from
the graph, each backward edge from :func:`opgrad.viz.backward_steps` (the
core's own ``partials_of``), each leaf's finite-difference estimate from
:func:`opgrad.testing.numerical_derivative` over the ops' own forwards. The
page makes no network request (everything is inline, and its Content
Security Policy forbids fetching anything) and treats every label, formula
and plugin name as text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from opgrad.core import Value, topological_order
from opgrad.plugins.constant import Constant
from opgrad.plugins.declaration import op_of
from opgrad.testing.numeric import numerical_derivative
from opgrad.viz.explain import backward_steps
from opgrad.viz.layout import BOX, PILL, arrange

MAX_NODES = 1000  # above this the page would be slow to lay out and to read
# JSON can hold these inside a <script> element only escaped: "</" would end it
# early, and U+2028/2029 end a line in older JavaScript parsers.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                   "\u2028": "\\u2028", "\u2029": "\\u2029"}


class GraphTooLargeError(ValueError):
    """The graph has more nodes than the explorer shows (:data:`MAX_NODES`)."""


@dataclass(frozen=True)
class Explorer:
    """An explorer page: its HTML, its node count, and where it was written (if anywhere).

    In a notebook it displays inline, in a sandboxed frame.
    """

    html: str
    nodes: int
    path: Path | None = None

    def __repr__(self) -> str:
        where = "None" if self.path is None else repr(str(self.path))
        return f"Explorer(nodes={self.nodes}, path={where})"

    def _repr_html_(self) -> str:
        return (f'<iframe title="opgrad backprop explorer" sandbox="allow-scripts" '
                f'style="width:100%;height:640px;border:1px solid #ddd" '
                f'srcdoc="{escape(self.html, quote=True)}"></iframe>')


def explore(root: Value, path: str | os.PathLike[str] | None = None) -> Explorer:
    """The backprop explorer for the graph under ``root``; written to ``path`` if given.

    Refuses graphs of more than :data:`MAX_NODES` nodes. The write is atomic:
    a file that cannot be written raises ``OSError`` naming it, and nothing
    is left half-written.
    """
    page = explorer_html(root)
    target = None if path is None else Path(path)
    if target is not None:
        write_atomically(target, page)
    return Explorer(page, len(topological_order(root)), target)


def explorer_html(root: Value) -> str:
    """The page as text: the template with the graph's data embedded as JSON."""
    payload = json.dumps(explorer_data(root), separators=(",", ":"), allow_nan=False)
    for char, escaped in _SCRIPT_ESCAPES.items():
        payload = payload.replace(char, escaped)
    template = resources.files("opgrad.viz").joinpath("explorer.html").read_text("utf-8")
    script = template[template.index("<script>") + 8:template.index("</script>\n</body>")]
    style = template[template.index("<style>") + 7:template.index("</style>")]
    policy = (f"default-src 'none'; script-src '{_sha256(script)}'; "
              f"style-src '{_sha256(style)}'")
    return template.replace("__POLICY__", policy).replace("__DATA__", payload)


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def explorer_data(root: Value) -> dict[str, Any]:
    """What the page shows: nodes with positions and values, then every backward edge."""
    if not isinstance(root, Value):
        raise TypeError(f"explore needs a Value, got {type(root).__name__}")
    count = len(topological_order(root))
    if count > MAX_NODES:
        raise GraphTooLargeError(
            f"explore: the graph has {count} nodes, more than the explorer shows "
            f"({MAX_NODES}); explore a smaller part (one neuron, one example) or draw it "
            f"with opgrad.viz.draw_dot")
    trace = backward_steps(root)
    layout = arrange(trace.order)
    estimates = finite_differences(trace.order)
    index = {node: i for i, node in enumerate(trace.order)}
    nodes = [_node(node, trace.names[node], trace.grads[node], layout.positions[i],
                   estimates.get(i), index) for i, node in enumerate(trace.order)]
    steps = [[s.at, s.into, s.slot, _number(s.local), _number(s.upstream),
              _number(s.product), _number(s.total)] for s in trace.steps]
    return {"root": trace.names[root], "width": layout.width, "height": layout.height,
            "box": BOX, "pill": PILL, "nodes": nodes, "steps": steps}


def _node(node: Value, name: str, grad: float, position: tuple[float, float],
          estimate: float | None, index: dict[Value, int]) -> dict[str, Any]:
    op = op_of(node)
    described: dict[str, Any] = {
        "name": name, "label": node.label, "data": _number(node.data), "grad": _number(grad),
        "x": position[0], "y": position[1],
        "parents": [index[p] for p in node.parents]}
    if type(node) is Constant:  # a number: no gradient, so nothing to show or estimate
        described["constant"] = True
    elif op is None:
        described["estimate"] = None if estimate is None else _number(estimate)
    else:
        described |= {"op": op.name, "symbol": op.operator or op.name, "formula": op.formula,
                      "plugin": op.plugin}
    return described


def _number(x: float) -> float | str:
    """JSON has no NaN or infinity: those travel as text ("NaN", "Infinity")."""
    return x if math.isfinite(x) else str(x).replace("inf", "Infinity").replace("nan", "NaN")


def finite_differences(order: list[Value]) -> dict[int, float | None]:
    """For each leaf (by position), the central-difference slope of the root's data.

    The graph is recomputed with the leaf moved, through each node's own
    op's forward; None where a move leaves an op's domain.
    """
    index = {node: i for i, node in enumerate(order)}
    return {i: _slope(order, index, i) for i, node in enumerate(order)
            if not node.parents and type(node) is not Constant}


def _slope(order: list[Value], index: dict[Value, int], leaf: int) -> float | None:
    def root_data(x: float) -> float:
        data = [node.data for node in order]
        data[leaf] = x
        for i, node in enumerate(order):
            op = op_of(node)
            if op is not None:
                data[i] = op.forward(*(data[index[p]] for p in node.parents))
        return float(data[-1])  # a complex result (pow of a negative base) raises here

    try:
        return numerical_derivative(root_data, order[leaf].data)
    except (ValueError, ArithmeticError, TypeError):  # outside an op's domain
        return None


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file, so no half-written page is left."""
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as exc:  # name the file asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, target)
    except BaseException as exc:  # even on Ctrl-C: no temporary file left behind
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OSError(exc.errno, exc.strerror, str(target)) from None
        raise
