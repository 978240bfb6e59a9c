"""Each pack's forward and backward as array code.

An op pack runs its op's array form on its inputs' rows; a sum pack adds its
operands' rows, and turns each group of products into a matrix product
where one side has no columns (the parameters) and the other side's rows are
the same for every member (the layer's inputs): ``k3 @ a2``. The backward
adds each partial times the pack's gradient to the inputs' gradients; a
matrix product's are two matrix products.
"""

from __future__ import annotations

import functools

from opgrad.compiler.arrays.access import Access
from opgrad.compiler.arrays.forms import Forms
from opgrad.compiler.arrays.packing import BATCHLESS, Lanes, Pack, Source
from opgrad.compiler.inline import render
from opgrad.compiler.writer import comment_text
from opgrad.plugins.declaration import Op

Product = tuple[Source, Source, list[Lanes], list[Lanes]]


class PackWriter:
    """Writes packs forward and backward; remembers what the backward reads again."""

    def __init__(self, access: Access, forms: Forms, needs: dict[Source, bool]) -> None:
        self.access, self.forms, self.needs = access, forms, needs
        self.args: dict[int, list[str]] = {}  # per op pack: its inputs' expressions
        self.matmuls: dict[tuple[int, int], tuple[str, str, bool]] = {}  # weights, rows, swapped

    def forward(self, pack: Pack) -> None:
        access = self.access
        rows, columns = len(pack.members), pack.columns
        if pack.op is not None:
            access.op = pack.op.name
            form = self.forms.of(pack.op)
            args = [self._kept(access.read(s, lanes)) for s, lanes in pack.inputs]
            self.args[pack.id] = args
            expression = render(form.forward, args)
            comment = f"{rows} x {comment_text(pack.op.name)}"
        else:
            access.op = "sum"
            if rows == 1:
                self._sort_single(pack)
            expression = " + ".join(self._sum_terms(pack))
            comment = f"{rows} sums"
        if not self._full(pack):
            expression = f"{access.names.numpy}.broadcast_to({expression}, ({rows}, {columns}))"
        access.emit(f"a{pack.id} = {expression}  # {comment}")

    def _sort_single(self, pack: Pack) -> None:
        """A single sum's operands in the order of their arrays (a sum may be reordered):
        consecutive operands then read as a slice."""
        position = self.access.position
        pack.plain = [(s, [sorted(lanes[0], key=functools.partial(position, s))])
                      for s, lanes in pack.plain]
        products = []
        for a, b, la, lb in pack.products:
            keys = [position(a, lane) for lane in la[0]]
            order = sorted(range(len(keys)), key=keys.__getitem__)
            products.append((a, b, [[la[0][k] for k in order]], [[lb[0][k] for k in order]]))
        pack.products = products

    def _kept(self, expression: str) -> str:
        """A read the backward will need again: computed once if it gathers."""
        return self.access.temp(expression) if "[k" in expression else expression

    def _full(self, pack: Pack) -> bool:
        """True if some input has the pack's rows and some has its columns (else the result
        would be smaller than the pack, and is broadcast)."""
        reads = [*pack.inputs, *((s, [row[0] for row in ls]) for s, ls in pack.plain),
                 *((s, [row[0] for row in ls]) for a, b, la, lb in pack.products
                   for s, ls in ((a, la), (b, lb)))]
        columns = pack.columns == 1 or any(s[0] not in BATCHLESS for s, _ in reads)
        rows = len(pack.members) == 1 or any(len(set(lanes)) > 1 for _, lanes in reads) or any(
            len(ls[0]) > 1 for _, ls in pack.plain) or any(
            len(la[0]) > 1 for _, _, la, _ in pack.products)
        return columns and rows

    def _sum_terms(self, pack: Pack) -> list[str]:
        access, terms = self.access, []
        for source, lanes in pack.plain:
            if len(lanes[0]) == 1:
                terms.append(access.read(source, [row[0] for row in lanes]))
            elif len(lanes) == 1:  # one sum of many: its operands as rows, added up
                terms.append(f"{access.read(source, lanes[0], exact=True)}.sum(0, keepdims=True)")
            else:
                terms.append(f"{access.read_matrix(source, lanes)}.sum(1)")
        for k, product in enumerate(pack.products):
            terms.append(self._product(pack, k, product))
        return terms

    def _product(self, pack: Pack, k: int, product: Product) -> str:
        access = self.access
        a, b, la, lb = product
        if len(la[0]) == 1:
            return (f"{access.read(a, [row[0] for row in la])} * "
                    f"{access.read(b, [row[0] for row in lb])}")
        for swapped, (sa, sb, ra, rb) in enumerate([(a, b, la, lb), (b, a, lb, la)]):
            if sa[0] in BATCHLESS and all(row == rb[0] for row in rb):
                weights = self._kept(access.weights(sa, ra))
                rows = self._kept(access.read(sb, rb[0], exact=True))
                self.matmuls[pack.id, k] = (weights, rows, bool(swapped))
                return f"{weights} @ {rows}"
        return f"({access.read_matrix(a, la)} * {access.read_matrix(b, lb)}).sum(1)"

    def backward(self, pack: Pack) -> None:
        gradient = f"g{pack.id}"
        if gradient not in self.access.started:
            return  # nothing reached it (it leads to no leaf that needs a gradient)
        if pack.op is not None:
            self._op_backward(pack, pack.op, gradient)
        else:
            self.access.op = "sum"
            self._sum_backward(pack, gradient)

    def _op_backward(self, pack: Pack, op: Op, gradient: str) -> None:
        access = self.access
        access.op = op.name
        form = self.forms.of(op)
        args = [*self.args[pack.id], f"a{pack.id}"]
        wanted = [self.needs[s] for s, _ in pack.inputs]
        if form.partials is None:
            names = [f"t{pack.id}_{k}" for k in range(len(wanted))]
            access.emit(f"{', '.join(names)}, = {form.rule}({', '.join(args)})")
            partials = names
        else:
            partials = [render(p, args) if want else "" for p, want in
                        zip(form.partials, wanted, strict=True)]
        for (source, lanes), partial, want in zip(pack.inputs, partials, wanted, strict=True):
            if want:
                term = _times(partial, gradient)
                access.add(source, lanes, term, pack.columns, fresh=term != gradient)

    def _sum_backward(self, pack: Pack, gradient: str) -> None:
        access, rows, columns = self.access, len(pack.members), pack.columns
        numpy = access.names.numpy
        for source, lanes in pack.plain:
            if not self.needs[source]:
                continue
            width = len(lanes[0])
            if width == 1:
                access.add(source, [row[0] for row in lanes], gradient, columns)
            elif rows == 1:
                spread = f"{numpy}.broadcast_to({gradient}, ({width}, {columns}))"
                access.add(source, lanes[0], spread, columns)
            else:
                spread = (f"{numpy}.broadcast_to({gradient}[:, None, :], "
                          f"({rows}, {width}, {columns}))")
                access.add_matrix(source, lanes, spread, columns)
        for k, product in enumerate(pack.products):
            self._product_backward(pack, k, product, gradient)

    def _product_backward(self, pack: Pack, k: int, product: Product, gradient: str) -> None:
        access, columns = self.access, pack.columns
        a, b, la, lb = product
        if len(la[0]) == 1:
            ra, rb = [row[0] for row in la], [row[0] for row in lb]
            if self.needs[a]:
                access.add(a, ra, f"{access.read(b, rb)} * {gradient}", columns, fresh=True)
            if self.needs[b]:
                access.add(b, rb, f"{access.read(a, ra)} * {gradient}", columns, fresh=True)
            return
        if (pack.id, k) in self.matmuls:
            weights, rows, swapped = self.matmuls[pack.id, k]
            left, right = ((b, lb), (a, la)) if swapped else ((a, la), (b, lb))
            if self.needs[left[0]]:
                access.add_weights(left[0], left[1], f"{gradient} @ {rows}.T")
            if self.needs[right[0]]:
                access.add(right[0], right[1][0], f"{weights}.T @ {gradient}", columns,
                           fresh=True)
            return
        spread = f"{gradient}[:, None, :]"
        if self.needs[a]:
            access.add_matrix(a, la, f"{access.read_matrix(b, lb)} * {spread}", columns)
        if self.needs[b]:
            access.add_matrix(b, lb, f"{access.read_matrix(a, la)} * {spread}", columns)


def _times(partial: str, gradient: str) -> str:
    """The chain rule's term for one edge: partial times upstream gradient."""
    if partial in ("1.0", "1"):
        return gradient
    if partial in ("-1.0", "-1"):
        return f"-{gradient}"
    factor = partial if partial.isidentifier() else f"({partial})"
    return f"{factor} * {gradient}"
