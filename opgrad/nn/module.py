"""Module, Neuron, Layer, MLP: networks of scalar Values built from registered ops."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from opgrad import ops
from opgrad._typed import Value
from opgrad.assembly import default_registry
from opgrad.nn.store import ParameterStore, Placement, StoredParameter


class Module:
    """Base class: finds its parameters (Values, sub-modules, lists of them) by attribute.

    A parameter's label is its name in :meth:`state_dict` (``layers.0.neurons.3.w.1``),
    so graphs, ``explain`` and the explorer name it. The label is given when the
    parameter (or the list or module holding it) is assigned to an attribute, and
    renewed when that module is assigned inside another: a module built inside
    another one ends up with its full dotted names.
    """

    def __setattr__(self, name: str, item: object) -> None:
        super().__setattr__(name, item)
        if not name.startswith("_"):
            for key, parameter in _named(item, name):
                parameter.label = key

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """Every parameter with a dotted name such as ``layers.0.neurons.3.w.1``."""
        for name, item in vars(self).items():
            if not name.startswith("_"):
                yield from _named(item, f"{prefix}{name}")

    def parameters(self) -> list[Value]:
        """Every parameter, in a stable order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0 (a store holding only this module's
        parameters, as ``stored=True`` makes, in one slice assignment)."""
        Placement(self.parameters()).zero_grad()

    def _move_to_store(self, order: Sequence[Value]) -> None:
        """Put the parameters in ``order`` (each once) into one new store, in that order:
        each Value held by this module's attributes, lists and sub-modules is replaced
        by its stored twin (same data, grad and label). Only while building: anything
        holding the old Values would no longer see the module's."""
        store = ParameterStore(p.data for p in order)
        twins = dict(zip(map(id, order), store, strict=True))
        for old, new in zip(order, store, strict=True):
            new.grad, new.label = old.grad, old.label
        _replace(self, twins)

    def state_dict(self) -> dict[str, float]:
        """Parameter values by name (plain floats, JSON-ready)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set parameter values from ``state``; all names must match, all values be finite.

        Nothing is changed unless the whole state is valid.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict needs a mapping of parameter names to numbers "
                            f"(as state_dict() gives), got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = sorted(set(params) - set(state))
        unexpected = sorted(set(state) - set(params))
        if missing or unexpected:
            raise ValueError(
                f"state does not fit {type(self).__name__}: missing {missing[:5]}"
                f"{'...' if len(missing) > 5 else ''}, unexpected {unexpected[:5]}"
                f"{'...' if len(unexpected) > 5 else ''}")
        values = {name: _finite_number(name, state[name]) for name in params}
        for name, p in params.items():
            p.data = values[name]


def parameter_count(sizes: Sequence[int]) -> int:
    """The parameters of an MLP with these widths (input first): weights and a bias per unit.

    Computed from the numbers alone, so a size can be checked before anything is built.
    """
    return sum((nin + 1) * nout for nin, nout in itertools.pairwise(sizes))


def _named(item: object, name: str) -> Iterator[tuple[str, Value]]:
    if isinstance(item, Value):
        yield name, item
    elif isinstance(item, Module):
        yield from item.named_parameters(f"{name}.")
    elif isinstance(item, (list, tuple)):
        for index, element in enumerate(item):
            yield from _named(element, f"{name}.{index}")


def _replace(module: Module, twins: dict[int, StoredParameter]) -> None:
    """Each Value in ``twins`` that ``module`` holds (in an attribute, a list, a sub-module)
    becomes its twin; set directly, as the twin has the label already."""
    for name, item in vars(module).items():
        if not name.startswith("_"):
            vars(module)[name] = _replaced(item, twins)


def _replaced(item: Any, twins: dict[int, StoredParameter]) -> Any:
    if isinstance(item, Value):
        return twins.get(id(item), item)
    if isinstance(item, Module):
        _replace(item, twins)
    elif isinstance(item, list):
        item[:] = [_replaced(element, twins) for element in item]
    elif isinstance(item, tuple):
        return tuple(_replaced(element, twins) for element in item)
    return item


def _wants_store(stored: object) -> bool:
    if not isinstance(stored, bool):
        raise TypeError(f"stored must be True or False, got {type(stored).__name__}")
    return stored


def _finite_number(name: str, value: object) -> float:
    try:  # an int too large for a float is not a finite number either
        number = float(value) if isinstance(value, (int, float)) else math.nan
    except OverflowError:
        number = math.inf
    if isinstance(value, bool) or not math.isfinite(number):
        raise ValueError(f"parameter {name!r} must be a finite number, got {value!r}"[:300])
    return number


class UniformSource(Protocol):
    """Where weights are drawn from: a ``random.Random``, or the ``random`` module itself."""

    def uniform(self, a: float, b: float, /) -> float: ...


def _weights_source(rng: UniformSource | None) -> UniformSource:
    """``rng``, or Python's global ``random`` (so ``random.seed`` makes a model reproducible)."""
    return random if rng is None else rng


def _activation(name: str | None) -> Any:
    """The registered unary op called ``name`` (or None for a linear unit)."""
    if name is None:
        return None
    registry = default_registry()
    unary = sorted(n for n, op in registry.items() if op.arity == 1)
    if name not in registry or registry[name].arity != 1:
        raise ValueError(f"activation {name!r} is not a registered unary op (one of: "
                         f"{', '.join(unary)}; or None for linear)")
    return getattr(ops, name)


class Neuron(Module):
    """``activation(w . x + b)``: weights uniform in [-1, 1], bias 0 (as in micrograd).

    Weights come from ``rng``, or else from Python's global ``random``.
    ``stored=True`` keeps the parameters in one :class:`ParameterStore` (see :class:`MLP`).
    """

    def __init__(self, nin: int, activation: str | None = "relu",
                 rng: UniformSource | None = None, *, stored: bool = False) -> None:
        if not isinstance(nin, int) or nin < 1:
            raise ValueError(f"Neuron needs at least one input, got nin={nin!r}")
        rng = _weights_source(rng)
        self.w = [Value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self._act = _activation(activation)
        if _wants_store(stored):
            self._move_to_store([*self.w, self.b])

    def __call__(self, x: Sequence[Value | float]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        total = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return total if self._act is None else self._act(total)

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; always returns a list.

    ``stored=True`` keeps the parameters in one :class:`ParameterStore` (see :class:`MLP`).
    """

    def __init__(self, nin: int, nout: int, activation: str | None = "relu",
                 rng: UniformSource | None = None, *, stored: bool = False) -> None:
        if not isinstance(nout, int) or nout < 1:
            raise ValueError(f"Layer needs at least one neuron, got nout={nout!r}")
        rng = _weights_source(rng)
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]
        if _wants_store(stored):
            self._move_to_store(self._in_store_order())

    def _in_store_order(self) -> list[Value]:
        """The weights row by row (neuron by neuron), then the biases: the order in which
        the numpy backend reads them (``W @ x + b``), so that it reads the store's slice."""
        return [*(w for n in self.neurons for w in n.w), *(n.b for n in self.neurons)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        return [neuron(x) for neuron in self.neurons]

    def __repr__(self) -> str:
        first = self.neurons[0]
        return f"Layer({len(first.w)}, {len(self.neurons)}, activation={first.activation!r})"


class MLP(Module):
    """Layers of the given widths; hidden layers use ``activation``, the last is linear.

    Calling it returns the single output as a Value when the last width is 1,
    else the list of outputs. Weights are drawn from ``random.Random(seed)``, an
    independent generator; without ``seed`` from Python's global ``random``, so
    ``random.seed(...)`` before building makes the model reproducible.

    ``stored=True`` keeps every parameter in one :class:`ParameterStore`, layer by
    layer (the weights row by row, then the biases): the same numbers and gradients,
    but the numpy backend of :func:`opgrad.compile` reads them all as one array and
    adds their gradients in one operation, and :meth:`zero_grad` is one slice
    assignment. The dynamic engine is slower on them (properties instead of slots:
    forward and backward take about 1.3x the time), hence the choice.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str | None = "relu",
                 seed: int | None = None, *, stored: bool = False) -> None:
        if not nouts:
            raise ValueError("MLP needs at least one layer width in nouts")
        rng = _weights_source(None if seed is None else random.Random(seed))
        sizes = [nin, *nouts]
        _activation(activation)  # checked even when there is no hidden layer to use it
        self.activation = activation
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(nouts) - 1 else None, rng)
            for i in range(len(nouts))
        ]
        if _wants_store(stored):
            self._move_to_store([p for layer in self.layers for p in layer._in_store_order()])

    @property
    def sizes(self) -> list[int]:
        """Input width, then each layer's width."""
        return [len(self.layers[0].neurons[0].w), *(len(layer.neurons) for layer in self.layers)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """micrograd's convention: the output Value, or a list of them for several outputs
        (:meth:`outputs` always gives the list)."""
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def outputs(self, x: Sequence[Value | float]) -> list[Value]:
        """The last layer's outputs for the input ``x``, always as a list."""
        out: list[Value] = [v if isinstance(v, Value) else Value(v) for v in x]
        for layer in self.layers:
            out = layer(out)
        return out

    def to_torch(self, dtype: Any = None) -> Any:
        """A ``torch.nn.Module`` with these weights and the bridged activation (float64 unless
        ``dtype`` says otherwise): input (batch, nin), output (batch, nout). Needs torch."""
        from opgrad.interop import mlp_to_torch  # lazy: the bridge imports torch on use

        return mlp_to_torch(self, dtype)

    def __repr__(self) -> str:
        inner = "\n".join(f"  {layer!r}" for layer in self.layers)
        return f"MLP(\n{inner}\n)"
