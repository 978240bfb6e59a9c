"""The backprop explorer: one self-contained HTML page to step through a graph.

Every number on the page comes from opgrad itself: the forward values from
the graph, each backward edge from :func:`opgrad.viz.backward_steps` (the
core's own ``partials_of``), each leaf's finite-difference estimate from
:func:`opgrad.testing.numerical_derivative` over the ops' own forwards. A
network's graph is drawn by its neurons, layers and samples
(:mod:`opgrad.viz.groups`), closed neurons standing for their nodes, so the
page holds an element only for what is drawn. The page makes no network
request (everything is inline, and its Content Security Policy forbids
fetching anything) and treats every label, formula and plugin name as text.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from opgrad.core import Value, topological_order
from opgrad.files import write_file
from opgrad.plugins.constant import Constant
from opgrad.plugins.declaration import Op, op_of
from opgrad.viz.estimates import finite_differences
from opgrad.viz.explain import backward_steps
from opgrad.viz.groups import Grouping, forward_order, grouping
from opgrad.viz.layout import BOX, COLUMN, MARGIN, PILL, ROW, place_nested

MAX_NODES = 10_000  # above this the page would be slow to build and to read
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

    Refuses graphs of more than :data:`MAX_NODES` nodes. The page is written
    by :func:`opgrad.files.write_file` (atomic, only over a regular file): a
    file that cannot be written raises ``OSError`` naming it, and nothing is
    left half-written.
    """
    page = explorer_html(root)
    target = None if path is None else Path(path)
    if target is not None:
        write_file(target, page)
    return Explorer(page, len(topological_order(root)), target)


def explorer_html(root: Value) -> str:
    """The page as text: the template, its style and script, the graph's data as JSON."""
    payload = json.dumps(explorer_data(root), separators=(",", ":"), allow_nan=False)
    for char, escaped in _SCRIPT_ESCAPES.items():
        payload = payload.replace(char, escaped)
    folder = resources.files("opgrad.viz")
    html, style, drawing, stepping = (folder.joinpath(name).read_text("utf-8") for name in (
        "explorer.html", "explorer.css", "explorer.js", "explorer-steps.js"))
    script = drawing + stepping  # one script: the second part uses the first's names
    policy = (f"default-src 'none'; script-src '{_sha256(script)}'; "
              f"style-src '{_sha256(style)}'")
    filled = {"POLICY": policy, "STYLE": style, "SCRIPT": script, "DATA": payload}
    # One pass, so that no text put in (a label, say) is itself taken for a placeholder.
    return re.sub(r"__(POLICY|STYLE|SCRIPT|DATA)__", lambda m: filled[m.group(1)], html)


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def explorer_data(root: Value) -> dict[str, Any]:
    """What the page shows: the op table, the nodes with their values, the groups, and
    every backward edge (``[at, into, slot, local, upstream, product, total]``)."""
    if not isinstance(root, Value):
        raise TypeError(f"explore needs a Value, got {type(root).__name__}")
    count = len(topological_order(root))
    if count > MAX_NODES:
        raise GraphTooLargeError(
            f"explore: the graph has {count} nodes, more than the explorer shows "
            f"({MAX_NODES}); explore a smaller part (fewer samples, one neuron) or draw it "
            f"with opgrad.viz.draw_dot")
    trace = backward_steps(root)
    index = {node: i for i, node in enumerate(trace.order)}
    inputs = [[index[p] for p in node.parents] for node in trace.order]
    grouped = grouping(trace.order, inputs)
    forward, node_at, group_at = _placed(inputs, grouped)
    ops = _ops(trace.order)
    estimates = finite_differences(trace.order)
    nodes = [_node(node, trace.names[node], trace.grads[node], node_at[i], grouped.group_of[i],
                   estimates.get(i), inputs[i], ops) for i, node in enumerate(trace.order)]
    steps = [[s.at, s.into, s.slot, _number(s.local), _number(s.upstream),
              _number(s.product), _number(s.total)] for s in trace.steps]
    return {"root": trace.names[root], "box": BOX, "pill": PILL,
            "grid": {"column": COLUMN, "row": ROW, "margin": MARGIN},
            "ops": [_op(op) for op in ops], "nodes": nodes, "steps": steps,
            "groups": _groups(grouped, group_at),
            "forward": forward if grouped.groups else None}


def _placed(inputs: list[list[int]], grouped: Grouping
            ) -> tuple[list[int], list[tuple[int, int]], list[tuple[int, int]]]:
    """The order of the forward pass, and each node's and group's column and row."""
    forward = forward_order(inputs, grouped.group_of)
    first = [0] * len(inputs)
    for k, i in enumerate(forward):
        first[i] = k
    node_at, group_at = place_nested(inputs, grouped.group_of,
                                     [g.parent for g in grouped.groups], first)
    return forward, node_at, group_at


def _ops(order: list[Value]) -> dict[Op, int]:
    """Each op of the graph, numbered in order of first use."""
    found: dict[Op, int] = {}
    for op in map(op_of, order):
        if op is not None and op not in found:
            found[op] = len(found)
    return found


def _op(op: Op) -> dict[str, str]:
    return {"name": op.name, "symbol": op.operator or op.name, "formula": op.formula,
            "plugin": op.plugin}


def _node(node: Value, name: str, grad: float, at: tuple[int, int], group: int | None,
          estimate: float | None, inputs: list[int], ops: dict[Op, int]) -> dict[str, Any]:
    op = op_of(node)
    described: dict[str, Any] = {"name": name, "label": node.label, "data": _number(node.data),
                                 "grad": _number(grad), "parents": inputs, "at": at}
    if group is not None:
        described["group"] = group
    if type(node) is Constant:  # a number: no gradient, so nothing to show or estimate
        described["constant"] = True
    elif op is None:
        described["estimate"] = None if estimate is None else _number(estimate)
    else:
        described["op"] = ops[op]
    return described


def _groups(grouped: Grouping, at: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """The groups; a module's group that holds nodes itself (a neuron) starts closed."""
    holds_nodes = {g for g in grouped.group_of if g is not None}
    return [{"path": g.path, "title": g.title, "parent": g.parent, "at": at[k],
             "open": "/" in g.path or k not in holds_nodes}
            for k, g in enumerate(grouped.groups)]


def _number(x: float) -> float | str:
    """JSON has no NaN or infinity: those travel as text ("NaN", "Infinity")."""
    return x if math.isfinite(x) else str(x).replace("inf", "Infinity").replace("nan", "NaN")
