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
1.0, a NumPy float32 its float64 value), anything else is a ``TypeError``.
``.grad`` is a float in the array, unless something else is assigned (a
``Value`` after ``backward(create_graph=True)``, ``None``): that is kept as it
is, beside the array, and the store notes it, so code working on the arrays
knows to leave that element alone.

The parameters hold their store; the store does not hold its parameters
(it hands out the same one for an index while anything holds it), so a
model with stored parameters is freed by reference counting, as a model of
plain ``Value`` s is, without waiting for the cyclic collector.
"""

from __future__ import annotations

import array
import math
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

from opgrad._typed import Value
from opgrad.plugins.constant import LeafOnly


class StoredParameter(LeafOnly, Value):  # Value again: typed with the ops' operators
    """A leaf whose ``data`` and ``grad`` are element ``index`` of its store's arrays."""

    __slots__ = ("__weakref__", "_at", "_data", "_grads", "_store")

    _at: int
    _data: array.array[float]
    _grads: array.array[float]
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
        odd = self._store.odd_grads
        if odd and self._at in odd:
            return odd[self._at]
        return self._grads[self._at]

    @grad.setter
    def grad(self, value: Any) -> None:
        if type(value) is float:
            odd = self._store.odd_grads
            if odd:
                odd.pop(self._at, None)
            self._grads[self._at] = value
        elif isinstance(value, Real) and not isinstance(value, Value):
            self.grad = _real(value, "grad")
        else:
            self._store.keep_odd(self._at, value)

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
        # Pickled (and deep-copied) as its place in its store: the store comes along once.
        return (_element, (self._store, self._at, self.label))

    def __copy__(self) -> StoredParameter:
        """A new parameter with the same data, grad and label, in a store of its own (as
        ``copy.copy`` of a ``Value`` is a new, independent leaf)."""
        twin = ParameterStore([self.data])[0]
        twin.grad, twin.label = self.grad, self.label
        return twin


class ParameterStore:
    """``data`` and ``grad`` of n parameters as two flat ``array.array("d")``, and the
    n :class:`StoredParameter` viewing them (``store[i]``, ``store.parameters``).

    The size is fixed: code may hold views of the arrays (``numpy.frombuffer``).
    """

    __slots__ = ("__weakref__", "_made", "_zeros", "data", "grad", "odd_grads")

    data: array.array[float]
    grad: array.array[float]
    # The elements whose grad is not a float (a Value, None): kept here, not in ``grad``.
    odd_grads: dict[int, Any]
    _made: weakref.WeakValueDictionary[int, StoredParameter]  # the parameters alive now

    def __init__(self, values: Iterable[float]) -> None:
        data = array.array("d", [_real(v, "data") for v in values])
        self._build(data, array.array("d", bytes(8 * len(data))))

    def _build(self, data: array.array[float], grad: array.array[float]) -> None:
        self.data, self.grad, self.odd_grads = data, grad, {}
        self._zeros = array.array("d", bytes(8 * len(data)))
        self._made = weakref.WeakValueDictionary()

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> StoredParameter:
        """The parameter at ``index``: the same object for as long as anything holds it."""
        k = range(len(self.data))[index]  # IndexError, TypeError as for a tuple
        found = self._made.get(k)
        if found is None:
            found = self._made[k] = _new_parameter(self, k)
        return found

    def __iter__(self) -> Iterator[StoredParameter]:
        return (self[k] for k in range(len(self.data)))

    @property
    def parameters(self) -> tuple[StoredParameter, ...]:
        """Every parameter, in the store's order."""
        return tuple(self)

    def __repr__(self) -> str:
        return f"ParameterStore({len(self)} parameters)"

    @property
    def all_float(self) -> bool:
        """True when every parameter's grad is the float in ``grad`` (none holds a Value)."""
        return not self.odd_grads

    def floats_at(self, indices: Iterable[int]) -> bool:
        """True when the grads at ``indices`` are all the floats in ``grad``."""
        odd = self.odd_grads
        return not odd or odd.keys().isdisjoint(indices)

    def zero_grad(self) -> None:
        """Every parameter's grad to 0.0, in one slice assignment."""
        self.odd_grads.clear()
        self.grad[:] = self._zeros

    def keep_odd(self, k: int, grad: object) -> None:
        """Keep a grad that is not a float (a Value, None) for element ``k``."""
        self.odd_grads[k] = grad
        self.grad[k] = math.nan  # never read while odd; nan if summed by mistake

    def __reduce__(self) -> tuple[Any, ...]:
        # The numbers make the store first; the odd grads come after, as its state: such a
        # grad (a Value computed from these very parameters) then refers back to a store
        # that exists.
        made = (self.data.tobytes(), self.grad.tobytes())
        return (_restored, made, dict(self.odd_grads))

    def __setstate__(self, odd: dict[int, Any]) -> None:
        for k, grad in odd.items():
            self.keep_odd(k, grad)


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
    same parameters every step (an optimizer, a module's zero_grad)."""

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
    p._store, p._data, p._grads, p._at = store, store.data, store.grad, k
    p._made_by = p._in1 = p._in2 = None
    p.label = ""
    return p


def _restored(data: bytes, grad: bytes) -> ParameterStore:
    store = ParameterStore.__new__(ParameterStore)
    store._build(_floats(data), _floats(grad))
    return store


def _element(store: ParameterStore, k: int, label: str) -> StoredParameter:
    parameter = store[k]
    parameter.label = label
    return parameter


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
