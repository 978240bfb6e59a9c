"""Writing the step's source: straight-line forward and backward, loops for groups.

Every name in the generated code is made here (``v12``, ``g12``, ``c3``...);
labels and op names appear only in comments, as ``ascii()`` text when they
are anything but plain identifiers, so no text from a user can become code.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from opgrad.compiler.inline import OpCode, render
from opgrad.compiler.regions import Graph, Group

MAX_INLINE_DEPTH = 40  # Python's parser refuses more than 200 nested parentheses


def comment_text(text: str) -> str:
    """``text`` as it may appear in a comment: plain identifiers as is, else ``ascii()``."""
    return text if text.isidentifier() and text.isascii() else ascii(text)


@dataclass
class Source:
    """Lines of generated code, and the op each line belongs to."""

    lines: list[str] = field(default_factory=list)
    line_ops: array[int] = field(default_factory=lambda: array("I", [0]))
    op_names: list[str] = field(default_factory=lambda: [""])

    def emit(self, indent: int, text: str, op: str = "") -> None:
        self.lines.append("    " * indent + text)
        if op and op not in self.op_names:
            self.op_names.append(op)
        self.line_ops.append(self.op_names.index(op) if op else 0)

    def op_at(self, line: int) -> str:
        """The op whose code is on ``line`` (1-based), or "?"."""
        index = self.line_ops[line] if 0 <= line < len(self.line_ops) else 0
        return self.op_names[index] if index else "?"


class Writer:
    """Writes forward and backward code of nodes into ``source`` at one indentation."""

    def __init__(self, graph: Graph, codes: list[OpCode | None], kept: list[bool],
                 source: Source, indent: int) -> None:
        self.graph, self.codes, self.kept = graph, codes, kept
        self.source, self.indent = source, indent
        self.value: dict[int, str] = {}  # a node's value: a name or a bracketed expression
        self.depth: dict[int, int] = {}
        self.gradient: dict[int, str] = {}  # a node's gradient: a name

    def emit(self, text: str, op: str = "") -> None:
        self.source.emit(self.indent, text, op)

    def forward(self, i: int) -> None:
        """The value of node ``i`` from its inputs' values."""
        code = self.codes[i]
        if code is None:  # a leaf: named where the step reads it
            return
        inputs = self.graph.inputs[i]
        expression = render(code.forward, [self.value[j] for j in inputs])
        depth = 1 + max(self.depth.get(j, 0) for j in inputs)
        if self.kept[i] or depth > MAX_INLINE_DEPTH:
            self.emit(f"v{i} = {expression}  # {comment_text(code.op.name)}", code.op.name)
            self.value[i], self.depth[i] = f"v{i}", 0
        else:
            self.value[i], self.depth[i] = f"({expression})", depth

    def backward(self, i: int) -> None:
        """Add node ``i``'s gradient times each partial to its inputs' gradients."""
        code = self.codes[i]
        upstream = self.gradient.get(i)
        if code is None or upstream is None:
            return
        op, masks = code.op.name, code.op.mask_zero_partials
        partials = self._partials(i, code)
        args = ", ".join(self.value[j] for j in [*self.graph.inputs[i], i])
        for k, (parent, partial) in enumerate(zip(self.graph.inputs[i], partials, strict=True)):
            # where a zero partial masks: always, or where the op's condition says so
            masked = "" if masks is False else f"d{i}_{k}"
            unless = f" or not {code.masks}({k}, {args})" if code.masks else ""
            term, sign = self._term(partial, upstream, op, masked, unless)
            self._contribute(parent, term, sign, upstream, op)

    def _partials(self, i: int, code: OpCode) -> list[str]:
        args = [self.value[j] for j in self.graph.inputs[i]] + [self.value[i]]
        if code.partials is not None:
            return [render(t, args) for t in code.partials]
        names = [f"d{i}_{k}" for k in range(code.op.arity)]
        self.emit(f"{', '.join(names)}, = {code.rule}({', '.join(args)})", code.op.name)
        return names

    def _term(self, partial: str, upstream: str, op: str, masked: str,
              unless: str) -> tuple[str, str]:
        """partial * upstream, and the sign it is added with (the chain rule, one edge).

        The same floats in the same order as backward(): a partial of 1.0 adds
        the upstream itself, -1.0 subtracts it (both round exactly alike). For
        an op that masks, the term is 0.0 where the partial is 0.0, whatever the
        upstream (nan too); ``masked`` names the partial's variable then, and
        ``unless`` is the test of the op's condition (`` or not ...``), if it has one.
        """
        if partial in ("1.0", "-1.0"):
            return upstream, "-" if partial == "-1.0" else "+"
        if masked:
            if not partial.isidentifier():
                self.emit(f"{masked} = {partial}", op)
                partial = masked
            return f"({partial} * {upstream} if {partial}{unless} else 0.0)", "+"
        factor = partial if partial.isidentifier() else f"({partial})"
        return f"{factor} * {upstream}", "+"

    def _contribute(self, parent: int, term: str, sign: str, upstream: str, op: str) -> None:
        """Add ``term`` to (or subtract it from) the parent's gradient."""
        if parent in self.gradient:
            self.emit(f"{self.gradient[parent]} {sign}= {term}", op)
        elif sign == "+" and term == upstream and self.graph.uses[parent] == 1:
            self.gradient[parent] = upstream  # a lone consumer passing its gradient on
        else:
            self.gradient[parent] = f"g{parent}"
            self.emit(f"g{parent} = {'-' if sign == '-' else ''}{term}", op)


def kept_values(graph: Graph, codes: list[OpCode | None], groups: list[Group]) -> list[bool]:
    """Which values get a variable; the rest are pasted into their single consumer."""
    keep = [uses != 1 or code is None for uses, code in zip(graph.uses, codes, strict=True)]
    for i in graph.exposed:
        keep[i] = True
    for i, code in enumerate(codes):
        if code is not None:
            for k in code.needs:
                keep[graph.inputs[i][k] if k < code.op.arity else i] = True
    for group in groups:
        for node in [*group.shared, *(n for row in group.varying for n in row),
                     *(region[-1] for region in group.instances)]:
            keep[node] = True
    return keep


def tuple_text(names: list[str]) -> str:
    """A tuple display that is valid for any number of names."""
    return f"({', '.join(names)},)" if names else "()"


def write_block(number: int, group: Group, graph: Graph, codes: list[OpCode | None],
                kept: list[bool], source: Source) -> None:
    """One group as a generator: every instance forward (one branch per kind), then,
    given the roots' gradients, every instance backward in reverse order."""
    shared = [f"s{n}" for n in group.shared]
    writers = [_kind_writer(group, t, graph, codes, kept, source) for t in group.templates]
    source.emit(0, f"def block{number}(shared, rows):")
    counts = [group.kinds.count(kind) for kind in range(len(group.templates))]
    source.emit(1, f"# {len(group.instances)} regions of {len(group.templates)} kind(s): "
                   + ", ".join(f"{c} x {len(group.instances[t])} nodes"
                               for c, t in zip(counts, group.templates, strict=True)))
    source.emit(1, f"{tuple_text(shared)} = shared")
    source.emit(1, "saved, outs = [], []")
    source.emit(1, "for kind, row in rows:")
    named = [_kind_forward(kind, group, w, graph) for kind, w in enumerate(writers)]
    source.emit(1, "start, rows = yield outs")
    source.emit(1, f"{tuple_text(['g' + a for a in shared])} = start")
    source.emit(1, "back = []")
    source.emit(1, "for (kind, values), row in zip(reversed(saved), reversed(rows)):")
    for kind, w in enumerate(writers):
        _kind_backward(kind, group, w, named[kind])
    source.emit(1, "back.reverse()")
    source.emit(1, f"yield {tuple_text(['g' + a for a in shared])}, back")


def _kind_writer(group: Group, template: int, graph: Graph, codes: list[OpCode | None],
                 kept: list[bool], source: Source) -> Writer:
    """A writer for one kind, its inputs named: s<node> if shared, a<slot> if not."""
    writer = Writer(graph, codes, kept, source, 3)
    is_shared = set(group.shared).__contains__
    for slot, node in enumerate(group.slots[template]):
        writer.value[node] = f"s{node}" if is_shared(node) else f"a{slot}"
    return writer


def _varying_names(group: Group, kind: int) -> list[str]:
    template = group.templates[kind]
    return [f"a{group.slots[template].index(n)}" for n in group.varying[template]]


def _kind_forward(kind: int, group: Group, writer: Writer, graph: Graph) -> list[str]:
    """The forward branch of one kind; returns the names its backward reads back."""
    region = group.instances[group.templates[kind]]
    varying = _varying_names(group, kind)
    writer.source.emit(2, f"{'if' if kind == 0 else 'elif'} kind == {kind}:")
    writer.source.emit(3, f"{tuple_text(varying)} = row")
    for i in region:
        writer.forward(i)
    shown = [region[-1], *(i for i in region[:-1] if i in graph.exposed)]
    named = varying + [f"v{i}" for i in region if writer.value[i] == f"v{i}"]
    writer.source.emit(3, f"saved.append(({kind}, {tuple_text(named)}))")
    writer.source.emit(3, f"outs.append({tuple_text([writer.value[i] for i in shown])})")
    return named


def _kind_backward(kind: int, group: Group, writer: Writer, named: list[str]) -> None:
    """The backward branch of one kind: shared gradients add up across the loop."""
    template = group.templates[kind]
    region, varying = group.instances[template], _varying_names(group, kind)
    writer.source.emit(2, f"{'if' if kind == 0 else 'elif'} kind == {kind}:")
    writer.source.emit(3, f"{tuple_text(named)} = values")
    writer.source.emit(3, f"{tuple_text(['up', *('g' + a for a in varying)])} = row")
    inputs = group.slots[template]
    writer.gradient = {node: "g" + writer.value[node] for node in inputs}
    writer.gradient[region[-1]] = "up"
    for i in reversed(region):
        writer.backward(i)
    writer.source.emit(3, f"back.append({tuple_text(['g' + a for a in varying])})")
