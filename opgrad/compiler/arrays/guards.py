"""Guards in the array step: the traced function's comparisons, checked many at once.

Comparisons with the same operator, the same sources and the same result
are checked by one array comparison; the first that now goes the other way
names itself in the ``StructureChanged`` error. The numbers compared with
are bound as constants, never written as text.
"""

from __future__ import annotations

from opgrad.compiler.arrays.access import Access
from opgrad.compiler.arrays.packing import Source
from opgrad.compiler.regions import Graph
from opgrad.core import Value
from opgrad.guards import Comparison

# (operator, result, left source, right source or None for numbers) -> guard numbers
Key = tuple[str, bool, Source, "Source | None"]


def write_guards(access: Access, graph: Graph, guards: list[Comparison]) -> list[str]:
    """The checks, written after the forward pass; returns each guard's message."""
    import numpy

    if not guards:
        return []
    access.emit("# guards: comparisons the traced function made on the data")
    packing, index, names = access.packing, graph.index, access.names
    batches: dict[Key, list[int]] = {}
    for k, (left, symbol, right, result) in enumerate(guards):
        source = packing.source_of(index[left])[0]
        if isinstance(right, Value):
            batches.setdefault((symbol, result, source, packing.source_of(index[right])[0]),
                               []).append(k)
        elif _as_float(right) is not None:
            batches.setdefault((symbol, result, source, None), []).append(k)
        else:  # an int no float equals (10**400): compared one by one, in Python
            number = names.bind(right)
            value = access.read(source, [packing.source_of(index[left])[1]])
            access.emit(f"if {'not ' if result else ''}(float({value}[0, 0]) {symbol} "
                        f"{number}): changed({k})")
    for (symbol, result, source, other), members in batches.items():
        lefts = access.read(source, [packing.source_of(index[guards[k][0]])[1]
                                     for k in members])
        if other is None:
            numbers = numpy.array([_as_float(guards[k][2]) for k in members])
            rights = names.array(numbers[:, None])
        else:
            rights = access.read(other, [packing.source_of(index[guards[k][2]])[1]  # type: ignore[index]  # a Value here
                                         for k in members])
        test = access.temp(f"({lefts} {symbol} {rights})[:, 0] != {result}")
        which = names.array(numpy.array(members, dtype=numpy.intp))
        access.emit(f"if {test}.any(): changed(int({which}[{test}.argmax()]))")
    return [_message(guard) for guard in guards]


def _as_float(number: object) -> float | None:
    """``number`` as the float equal to it, or None if no float is."""
    try:
        converted = float(number)  # type: ignore[arg-type]  # a real number
    except OverflowError:
        return None
    return converted if converted == number or converted != converted else None


def _message(guard: Comparison) -> str:
    left, symbol, right, result = guard
    shown = "another value" if isinstance(right, Value) else repr(right)
    label = f" {left.label!r}" if left.label else ""
    return (f"the traced function compared a value{label} {symbol} {shown} and got {result}; "
            f"with the current data it is {not result}, so its graph would differ: call "
            "opgrad.compile(fn) again")
