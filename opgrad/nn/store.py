"""Parameters that live in one flat array: a model's numbers in one place.

A :class:`ParameterStore` holds the ``data`` and the ``grad`` of n parameters
as two ``array.array("d")``; each of its n :class:`StoredParameter` is a
``Value`` whose ``.data`` and ``.grad`` read and write its element there. To
the engine they are leaves like any other (an op's result is a plain
``Value``); what the store adds is that code holding the whole model can work
on the arrays at once: the numpy backend reads every parameter with one slice
and adds every gradient with one array operation, and zeroing the gradients
is one slice assignment.

``.data`` holds floats only: a real number is converted (``p.data = 1`` stores
1.0), anything else is a ``TypeError``. ``.grad`` is a float in the array, unless
something else is assigned (a ``Value`` after ``backward(create_graph=True)``,
``None``): that is kept as it is, on the parameter itself, and the store
notes the parameter, so code working on the arrays knows to leave it alone.
"""

from __future__ import annotations

import array
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from opgrad._typed import Value
from opgrad.plugins.constant import LeafOnly

_GRAD_SLOT: Any = Value.__dict__["grad"]  # the slot each Value has; here it keeps odd grads


class StoredParameter(LeafOnly, Value):  # Value again: typed with the ops' operators
    """A leaf whose ``data`` and ``grad`` are element ``index`` of its store's arrays."""

    __slots__ = ("_at", "_data", "_grads", "_odd", "_store")

    _at: int
    _data: array.array[float]
    _grads: array.array[float]
    _odd: bool  # True while grad is not a float (then kept in the inherited slot)
    _store: ParameterStore

    def __init__(self, data: float, label: str = "") -> None:
        raise TypeError("a StoredParameter is made by its store: ParameterStore([...])[i]")

    @property  # in place of the slot: reads the store
    def data(self) -> float:
        return self._data[self._at]

    @data.setter
    def data(self, value: float) -> None:
        if type(value) is not float:
            value = _real(value, "data")
        self._data[self._at] = value

    @property  # in place of the slot: reads the store
    def grad(self) -> Any:
        if self._odd:
            return _GRAD_SLOT.__get__(self)
        return self._grads[self._at]

    @grad.setter
    def grad(self, value: Any) -> None:
        if type(value) is float:
            if self._odd:
                self._store.forget_odd(self)
            self._grads[self._at] = value
        elif isinstance(value, Real) and not isinstance(value, Value):
            self.grad = _real(value, "grad")
        else:
            self._store.keep_odd(self, value)

    @property
    def store(self) -> ParameterStore:
        """The store this parameter lives in."""
        return self._store

    @property
    def index(self) -> int:
        """Its element in the store's ``data`` and ``grad``."""
        return self._at

    @property
    def __opgrad_store__(self) -> tuple[ParameterStore, int]:
        """Its store and index, for code that works on the store's arrays at once (the
        numpy backend of opgrad.compile, which cannot import opgrad.nn: nn imports it)."""
        return self._store, self._at

    def __reduce__(self) -> tuple[Any, ...]:
        # Copied or pickled as its place in its store: the store comes along once.
        return (_element, (self._store, self._at))


class ParameterStore:
    """``data`` and ``grad`` of n parameters as two flat ``array.array("d")``, and the
    n :class:`StoredParameter` viewing them (``store[i]``, ``store.parameters``).

    The size is fixed: code may hold views of the arrays (``numpy.frombuffer``).
    """

    __slots__ = ("_odd", "_zeros", "data", "grad", "parameters")

    data: array.array[float]
    grad: array.array[float]
    parameters: tuple[StoredParameter, ...]
    _odd: set[int]  # the elements whose grad is not a float (kept on the parameter)

    def __init__(self, values: Iterable[float]) -> None:
        data = array.array("d", [_real(v, "data") for v in values])
        self._build(data, array.array("d", bytes(8 * len(data))))

    def _build(self, data: array.array[float], grad: array.array[float]) -> None:
        self.data, self.grad, self._odd = data, grad, set()
        self._zeros = array.array("d", bytes(8 * len(data)))
        self.parameters = tuple(_new_parameter(self, k) for k in range(len(data)))

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> StoredParameter:
        return self.parameters[index]

    def __iter__(self) -> Iterator[StoredParameter]:
        return iter(self.parameters)

    def __repr__(self) -> str:
        return f"ParameterStore({len(self)} parameters)"

    @property
    def all_float(self) -> bool:
        """True when every parameter's grad is the float in ``grad`` (none holds a Value)."""
        return not self._odd

    def zero_grad(self) -> None:
        """Every parameter's grad to 0.0, in one slice assignment."""
        for k in list(self._odd):
            self.parameters[k].grad = 0.0
        self.grad[:] = self._zeros

    def keep_odd(self, parameter: StoredParameter, grad: object) -> None:
        """Keep a grad that is not a float (a Value, None) on ``parameter`` itself."""
        _GRAD_SLOT.__set__(parameter, grad)
        parameter._odd = True
        self._odd.add(parameter._at)
        self.grad[parameter._at] = math.nan  # never read while odd; nan if summed by mistake

    def forget_odd(self, parameter: StoredParameter) -> None:
        """``parameter``'s grad is a float again: drop the odd one it held."""
        _GRAD_SLOT.__delete__(parameter)
        parameter._odd = False
        self._odd.discard(parameter._at)

    def __reduce__(self) -> tuple[Any, ...]:
        # The numbers and labels make the store (and its parameters) first; the odd grads
        # come after, as its state: such a grad (a Value computed from these very
        # parameters) then refers back to a store that exists.
        made = (self.data.tobytes(), self.grad.tobytes(), [p.label for p in self.parameters])
        return (_restored, made, {k: self.parameters[k].grad for k in sorted(self._odd)})

    def __setstate__(self, odd: dict[int, Any]) -> None:
        for k, grad in odd.items():
            self.parameters[k].grad = grad


@dataclass
class Held:
    """The parameters of one store in a list: their positions in the list, their indices
    in the store, and whether they are all of the store's."""

    store: ParameterStore
    positions: list[int] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    whole: bool = False


class Placement:
    """Where each of a list of parameters lives: :class:`Held` for each store, and the
    other parameters with their positions. Worked out once, for code that handles the
    same parameters every step (an optimizer)."""

    def __init__(self, parameters: Sequence[Value]) -> None:
        found: dict[int, Held] = {}
        self.plain: list[tuple[int, Value]] = []
        for position, p in enumerate(parameters):
            if isinstance(p, StoredParameter):
                held = found.setdefault(id(p.store), Held(p.store))
                held.positions.append(position)
                held.indices.append(p.index)
            else:
                self.plain.append((position, p))
        for held in found.values():
            held.whole = len(set(held.indices)) == len(held.store)
        self.stores = list(found.values())

    def zero_grad(self) -> None:
        """Each parameter's grad to 0.0: a store whose every parameter is here in one slice
        assignment, the others one by one."""
        for held in self.stores:
            if held.whole:
                held.store.zero_grad()
            else:
                for k in held.indices:
                    held.store[k].grad = 0.0
        for _, p in self.plain:
            p.grad = 0.0


def _new_parameter(store: ParameterStore, k: int) -> StoredParameter:
    p = object.__new__(StoredParameter)
    p._store, p._data, p._grads, p._at, p._odd = store, store.data, store.grad, k, False
    p._made_by = p._in1 = p._in2 = None
    p.label = ""
    return p


def _restored(data: bytes, grad: bytes, labels: list[str]) -> ParameterStore:
    store = ParameterStore.__new__(ParameterStore)
    store._build(_floats(data), _floats(grad))
    for parameter, label in zip(store.parameters, labels, strict=True):
        parameter.label = label
    return store


def _element(store: ParameterStore, k: int) -> StoredParameter:
    return store.parameters[k]


def _floats(raw: bytes) -> array.array[float]:
    found = array.array("d")
    found.frombytes(raw)
    return found


def _real(value: object, what: str) -> float:
    """``value`` as a float, or the TypeError saying a parameter holds numbers."""
    if isinstance(value, Real) and not isinstance(value, Value):
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"a stored parameter's {what} got {type(value).__name__} too "
                             "large for a float") from None
    raise TypeError(f"a stored parameter's {what} is a real number, got "
                    f"{type(value).__name__}: {value!r}")
