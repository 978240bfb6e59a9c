"""The names of the array step: no name from user code can meet a generated one.

Every object the code refers to (an op's function, a constant, an index
array) is bound under ``k<n>``; besides those, the namespace holds only
``numpy``, ``math``, ``changed`` and ``data_of``. The step's locals are one
other letter and digits (``a3``, ``g3``, ``t3``), plus ``leaves``, ``x``,
``gx``, ``loss``, ``leaf`` and ``gradient``. The names an op's forward or
rule reads are looked up once and bound as ``k<n>`` too, so whatever they
are called in the op's module (``values``, ``row``, ``a3``, ``x``), they
cannot shadow a local or be shadowed by one.
"""

from __future__ import annotations

import re
from typing import Any

from opgrad.compiler.inline import Constants

NUMPY = "numpy"
FIXED = frozenset({NUMPY, "math", "changed", "data_of"})  # in the namespace besides k<n>
LOCALS = re.compile(r"[agtv]\d+(_\d+)?|gv\d+|step|leaves|x|gx|loss|leaf|gradient")


class Names(Constants):
    """Objects the generated array code refers to, each bound once as ``k<n>``."""

    numpy = NUMPY

    def __init__(self) -> None:
        super().__init__()
        import numpy

        self.namespace[NUMPY] = numpy
        self._count = 0
        self._bound: dict[int, str] = {}
        self._keep: list[Any] = []  # bound objects stay alive, so their ids stay theirs

    def name(self, obj: object, hint: str = "") -> str:
        """The name bound to ``obj`` (the hint is ignored: every name is generated)."""
        return self.bind(obj)

    def bind(self, obj: object) -> str:
        found = self._bound.get(id(obj))
        if found is None:
            found = self._bound[id(obj)] = f"k{self._count}"
            self._count += 1
            self.namespace[found] = obj
            self._keep.append(obj)
        return found

    def array(self, values: Any) -> str:
        """A new name for an array (index arrays and constants are never shared by id)."""
        name = f"k{self._count}"
        self._count += 1
        self.namespace[name] = values
        return name
