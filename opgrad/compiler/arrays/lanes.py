"""Index text for reading rows of an array and for adding into them.

A pack reads each input's rows in one step: all of them (``a3``), a slice
(``a3[2:18]``, ``a3[0:32:2]``), one row repeated (``a3[4:5]``, broadcast),
or, failing those, an index array bound as a constant (``a3[k7]``). Adding a
gradient back uses the same forms; an index array that repeats a row adds
with ``numpy.add.at`` (plain ``+=`` would keep only one of the repeats).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from opgrad.compiler.arrays.names import Names


def rows_index(lanes: Sequence[int], size: int, names: Names, exact: bool = False) -> str:
    """The subscript (without brackets) picking ``lanes`` from an axis of ``size``;
    "" for all of them in order, a slice when they are evenly spaced, one row when they
    are all the same (to broadcast; unless ``exact``)."""
    import numpy

    count = len(lanes)
    if count == size and all(lane == k for k, lane in enumerate(lanes)):
        return ""
    if count == 1 or (not exact and all(lane == lanes[0] for lane in lanes)):
        return f"{lanes[0]}:{lanes[0] + 1}"
    step = lanes[1] - lanes[0]
    if step > 0 and all(b - a == step for a, b in itertools.pairwise(lanes)):
        end = lanes[0] + step * count
        return f"{lanes[0]}:{end}" if step == 1 else f"{lanes[0]}:{end}:{step}"
    return names.array(numpy.array(lanes, dtype=numpy.intp))


def read(array: str, lanes: Sequence[int], size: int, names: Names, exact: bool = False) -> str:
    """``array``'s rows ``lanes`` (a repeated row stays one row, to broadcast, unless
    ``exact``)."""
    index = rows_index(lanes, size, names, exact)
    return f"{array}[{index}]" if index else array


def read_column(vector: str, lanes: Sequence[int], size: int, names: Names,
                exact: bool = False) -> str:
    """Elements ``lanes`` of a 1-D ``vector`` as a column (rows, 1)."""
    index = rows_index(lanes, size, names, exact)
    return f"{vector}[{index}, None]" if index else f"{vector}[:, None]"


def repeats(lanes: Sequence[int]) -> bool:
    return len(set(lanes)) != len(lanes)


def add_rows(target: str, lanes: Sequence[int], size: int, value: str,
             names: Names) -> str:
    """The statement adding ``value`` (one row per lane) to rows ``lanes`` of ``target``."""
    if len(lanes) > 1 and all(lane == lanes[0] for lane in lanes):
        return f"{target}[{lanes[0]}] += ({value}).sum(0)"
    index = rows_index(lanes, size, names)
    if not index:
        return f"{target} += {value}"
    if repeats(lanes):
        return f"{names.numpy}.add.at({target}, {index}, {value})"
    return f"{target}[{index}] += {value}"


def matrix_index(lanes: list[list[int]], names: Names) -> tuple[str, bool]:
    """A (members, k) index of rows: a slice, True, when the rows are one contiguous block
    in order (to be reshaped), else an index array bound as a constant, False."""
    import numpy

    flat = [lane for row in lanes for lane in row]
    start = flat[0]
    if all(lane == start + k for k, lane in enumerate(flat)):
        return f"{start}:{start + len(flat)}", True
    return names.array(numpy.array(lanes, dtype=numpy.intp)), False


def read_matrix(array: str, lanes: list[list[int]], names: Names, batch: bool) -> str:
    """Rows ``lanes[m][k]`` of ``array`` as (members, k, columns), or (members, k, 1)
    for a 1-D array (``batch`` False)."""
    index, block = matrix_index(lanes, names)
    if block:
        return f"{array}[{index}].reshape({len(lanes)}, {len(lanes[0])}, {-1 if batch else 1})"
    return f"{array}[{index}]" if batch else f"{array}[{index}, None]"


def add_matrix(target: str, lanes: list[list[int]], value: str, names: Names,
               batch: bool) -> str:
    """Add ``value`` (members, k[, columns]) into rows ``lanes[m][k]`` of ``target``."""
    index, block = matrix_index(lanes, names)
    if block:
        shape = f"-1, {target}.shape[1]" if batch else "-1"
        return f"{target}[{index}] += ({value}).reshape({shape})"
    if repeats([lane for row in lanes for lane in row]):
        return f"{names.numpy}.add.at({target}, {index}, {value})"
    return f"{target}[{index}] += {value}"
