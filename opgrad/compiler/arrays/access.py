"""Reading a pack's inputs from their sources, and adding gradients back to them.

Arrays in the step: ``a<k>`` pack k (rows x columns of its domain),
``v<d>`` domain d's varying inputs (slot x columns), ``x`` the live leaves
(a vector), and values fixed when compiling, bound as constants. Their
gradients: ``g<k>``, ``gv<d>``, ``gx``. A source without columns (``x``, a
constant, another domain's pack read element by element) broadcasts over
the columns when read, and its gradient is summed over them.
"""

from __future__ import annotations

from collections.abc import Sequence

from opgrad.compiler.arrays.lanes import (
    add_matrix,
    add_rows,
    matrix_index,
    read,
    read_column,
    read_matrix,
    repeats,
)
from opgrad.compiler.arrays.names import Names
from opgrad.compiler.arrays.packing import BATCHLESS, Packing, Source
from opgrad.compiler.writer import Source as Lines


class Access:
    """Reads and gradient updates of sources, written into ``lines`` at one indentation."""

    def __init__(self, packing: Packing, names: Names, layout: dict[int, int],
                 lines: Lines) -> None:
        self.packing, self.names, self.layout, self.lines = packing, names, layout, lines
        self.started: set[str] = set()  # gradient arrays assigned so far
        self.op = ""  # the op whose code is being written (for error locations)
        self._temps = 0

    def emit(self, text: str, indent: int = 2) -> None:
        self.lines.emit(indent, text, self.op)

    def temp(self, expression: str) -> str:
        """``expression`` computed once, in a new local."""
        name = f"t{self._temps}"
        self._temps += 1
        self.emit(f"{name} = {expression}")
        return name

    def value(self, source: Source) -> str:
        kind, k = source
        return {"pack": f"a{k}", "flat": f"a{k}", "varying": f"v{k}", "live": "x"}[kind]

    def gradient(self, source: Source) -> str:
        kind, k = source
        return {"pack": f"g{k}", "flat": f"g{k}", "varying": f"gv{k}", "live": "gx"}[kind]

    def rows(self, source: Source) -> int:
        kind, k = source
        if kind in ("pack", "flat"):
            return len(self.packing.packs[k].members)
        if kind == "varying":
            return len(self.packing.domains[k].varying)
        return len(self.layout)

    def _columns(self, source: Source) -> int:
        return self.packing.packs[source[1]].columns

    def position(self, source: Source, lane: int) -> int:
        """Where ``lane`` of ``source`` sits in its array (live leaves: in ``x``)."""
        return self.layout[lane] if source[0] == "live" else lane

    def _positions(self, lanes: Sequence[int]) -> list[int]:
        return [self.layout[node] for node in lanes]

    def _constants(self, lanes: Sequence[int], shape: tuple[int, ...]) -> str:
        import numpy

        nodes = self.packing.graph.nodes
        return self.names.array(numpy.array([nodes[n].data for n in lanes]).reshape(shape))

    def _pairs(self, source: Source, flats: Sequence[int]) -> str:
        """Index text of elements ``flats`` (row * columns + column) of a 2-D pack."""
        import numpy

        columns = self._columns(source)
        rows, cols = [f // columns for f in flats], [f % columns for f in flats]
        if all(r == rows[0] for r in rows) and all(
                c == cols[0] + k for k, c in enumerate(cols)):
            return f"{rows[0]}, {cols[0]}:{cols[-1] + 1}"
        shape = (len(flats),)
        return (f"{self.names.array(numpy.array(rows).reshape(shape))}, "
                f"{self.names.array(numpy.array(cols).reshape(shape))}")

    def read(self, source: Source, lanes: Sequence[int], exact: bool = False) -> str:
        """Rows ``lanes`` of the source, shaped (rows, columns or 1); a row read by every
        member is read once, to broadcast, unless ``exact``."""
        kind = source[0]
        if kind == "const":
            return self._constants(lanes, (len(lanes), 1))
        if kind == "live":
            return read_column("x", self._positions(lanes), self.rows(source), self.names,
                               exact)
        if kind == "flat":
            return f"{self.value(source)}[{self._pairs(source, lanes)}, None]"
        return read(self.value(source), lanes, self.rows(source), self.names, exact)

    def read_matrix(self, source: Source, lanes: list[list[int]]) -> str:
        """Rows ``lanes[m][k]`` of the source as (members, k, columns or 1)."""
        kind = source[0]
        if kind == "const":
            flat = [n for row in lanes for n in row]
            return self._constants(flat, (len(lanes), len(lanes[0]), 1))
        if kind == "live":
            return read_matrix("x", [self._positions(row) for row in lanes], self.names, False)
        if kind == "flat":
            pairs = self._pairs(source, [f for row in lanes for f in row])
            return f"{self.value(source)}[{pairs}].reshape({len(lanes)}, {len(lanes[0])}, 1)"
        return read_matrix(self.value(source), lanes, self.names, True)

    def weights(self, source: Source, lanes: list[list[int]]) -> str:
        """A source without columns read as a (members, k) matrix (the left of a product)."""
        kind = source[0]
        if kind == "const":
            flat = [n for row in lanes for n in row]
            return self._constants(flat, (len(lanes), len(lanes[0])))
        if kind == "flat":
            pairs = self._pairs(source, [f for row in lanes for f in row])
            return f"{self.value(source)}[{pairs}].reshape({len(lanes)}, {len(lanes[0])})"
        index, block = matrix_index([self._positions(row) for row in lanes], self.names)
        return f"x[{index}].reshape({len(lanes)}, {len(lanes[0])})" if block else f"x[{index}]"

    def _start(self, target: str, shape: str) -> None:
        if target not in self.started:
            self.emit(f"{target} = {self.names.numpy}.zeros({shape})")
            self.started.add(target)

    def start_live(self) -> None:
        self._start("gx", str(len(self.layout)))

    def add(self, source: Source, lanes: Sequence[int], value: str, columns: int,
            fresh: bool = False) -> None:
        """Add ``value`` (rows like ``lanes``, ``columns`` columns) to the source's gradient;
        ``fresh``: the value is a new array, which may become the gradient itself."""
        kind = source[0]
        if kind == "const":
            return
        target = self.gradient(source)
        if kind in BATCHLESS:
            value = _summed(value, columns)
            if kind == "live":
                self.emit(add_rows("gx", self._positions(lanes), len(self.layout), value,
                                   self.names))
                return
            self._add_pairs(source, list(lanes), value)
            return
        size = self.rows(source)
        if target not in self.started and len(lanes) == size and list(lanes) == list(range(size)):
            self.emit(f"{target} = {value if fresh else f'{self.names.numpy}.array({value})'}")
            self.started.add(target)
            return
        self._start(target, f"({size}, {columns})")
        self.emit(add_rows(target, lanes, size, value, self.names))

    def add_matrix(self, source: Source, lanes: list[list[int]], value: str,
                   columns: int) -> None:
        """Add ``value`` (members, k, columns) to rows ``lanes[m][k]`` of the gradient."""
        kind = source[0]
        if kind == "const":
            return
        if kind in BATCHLESS:
            self.add_weights(source, lanes, _summed(value, columns))
            return
        target = self.gradient(source)
        self._start(target, f"({self.rows(source)}, {columns})")
        self.emit(add_matrix(target, lanes, value, self.names, True))

    def add_weights(self, source: Source, lanes: list[list[int]], value: str) -> None:
        """Add ``value`` (members, k) to a source without columns."""
        kind = source[0]
        if kind == "live":
            self.emit(add_matrix("gx", [self._positions(row) for row in lanes], value,
                                 self.names, False))
        elif kind == "flat":
            self._add_pairs(source, [f for row in lanes for f in row], f"({value}).reshape(-1)")

    def _add_pairs(self, source: Source, flats: list[int], value: str) -> None:
        target = self.gradient(source)
        pack = self.packing.packs[source[1]]
        self._start(target, f"({len(pack.members)}, {pack.columns})")
        pairs = self._pairs(source, flats)
        if repeats(flats):
            self.emit(f"{self.names.numpy}.add.at({target}, ({pairs}), {value})")
        else:
            self.emit(f"{target}[{pairs}] += {value}")


def _summed(value: str, columns: int) -> str:
    """``value`` summed over its last axis (the columns), for a source without them."""
    return f"({value})[..., 0]" if columns == 1 else f"({value}).sum(-1)"
