"""Optimizers (SGD, Adam, AdamW) and learning-rate schedules."""

from __future__ import annotations

import array
import math
from collections.abc import Callable, Iterable

from opgrad._typed import Value
from opgrad.nn.store import Held, Placement

Schedule = Callable[[int], float]  # step index (0-based) -> learning rate


def linear_decay(start: float, end: float, steps: int) -> Schedule:
    """From ``start`` at step 0 to ``end`` at the last of ``steps`` steps (the demo: 1.0 -> 0.1)."""
    if steps < 1:
        raise ValueError(f"linear_decay needs at least one step, got {steps}")
    span = max(steps - 1, 1)
    return lambda step: start + (end - start) * min(step, span) / span


def _checked(owner: object, name: str, value: object, *, above_zero: bool = False,
            below_one: bool = False) -> float:
    """``value`` as a float if it is a finite number >= 0 (or > 0, and/or < 1), else a
    ValueError naming ``owner``'s argument ``name``."""
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value) and (value > 0 if above_zero else value >= 0)
          and not (below_one and value >= 1))
    if not ok:
        bounds = ("> 0" if above_zero else ">= 0") + (" and < 1" if below_one else "")
        raise ValueError(f"{type(owner).__name__}: {name} must be a finite number {bounds}, "
                         f"got {value!r}")
    return float(value)  # type: ignore[arg-type]  # checked just above


class Optimizer:
    """Holds parameters and a learning rate (a number or a schedule of the step index)."""

    def __init__(self, parameters: Iterable[Value], lr: float | Schedule) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError(f"{type(self).__name__} got no parameters to optimize")
        # Where they live (stored ones are worked on as arrays), for the list as it is now:
        # worked out again if self.parameters changes.
        self._placed_for, self._placed = list(self.parameters), Placement(self.parameters)
        self.lr = lr if callable(lr) else _checked(self, "lr (the learning rate)", lr,
                                                  above_zero=True)
        self.steps = 0

    @property
    def current_lr(self) -> float:
        """The learning rate the next ``step()`` will use."""
        return float(self.lr(self.steps) if callable(self.lr) else self.lr)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0."""
        self._placement().zero_grad()

    def step(self) -> None:
        """Update every parameter from its ``.grad``. A grad that is not a float stops the
        step: stored parameters are checked first and updated last, so none has moved."""
        lr, placed = self.current_lr, self._placement()
        if not all(held.store.floats_at(held.indices) for held in placed.stores):
            raise _not_float()
        for index, p in placed.plain:
            grad = p.grad
            if not isinstance(grad, float):
                raise _not_float()
            p.data = self._update(index, p.data, grad, lr)
        for held in placed.stores:
            self._update_stored(held, lr)
        self.steps += 1

    def _update_stored(self, held: Held, lr: float) -> None:
        """The same update on each stored parameter, the store's numbers read at once and
        written back at once (each one by one when this optimizer has only some of them)."""
        store = held.store
        data, grads = store.data.tolist(), store.grad.tolist()
        for index, k in zip(held.positions, held.indices, strict=True):
            data[k] = self._update(index, data[k], grads[k], lr)
        if held.whole:
            store.data[:] = array.array("d", data)
        else:
            for k in held.indices:
                store.data[k] = data[k]

    def _placement(self) -> Placement:
        """Where the parameters live, worked out again if ``self.parameters`` changed."""
        if self.parameters != self._placed_for:  # compares identities: Value has no __eq__
            self._placed_for, self._placed = list(self.parameters), Placement(self.parameters)
        return self._placed

    def _update(self, index: int, data: float, grad: float, lr: float) -> float:
        """The new value of parameter ``index`` from its value and gradient."""
        raise NotImplementedError


def _not_float() -> TypeError:
    return TypeError("optimizer step needs float grads; use backward() without create_graph "
                     "before stepping")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay (PyTorch's form)."""

    def __init__(self, parameters: Iterable[Value], lr: float | Schedule = 0.1,
                 momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(parameters, lr)
        self.momentum = _checked(self, "momentum", momentum)
        self.weight_decay = _checked(self, "weight_decay", weight_decay)
        self.velocity = [0.0] * len(self.parameters)

    def _update(self, index: int, data: float, grad: float, lr: float) -> float:
        g = grad + self.weight_decay * data
        if self.momentum:
            g = self.velocity[index] = self.momentum * self.velocity[index] + g
        return data - lr * g


class Adam(Optimizer):
    """Adam; ``weight_decay`` is added to the gradient (L2), as in torch.optim.Adam."""

    decoupled = False

    def __init__(self, parameters: Iterable[Value], lr: float | Schedule = 0.01,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(parameters, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), "
                             f"got {betas!r}")
        self.betas = (_checked(self, "betas[0]", betas[0], below_one=True),
                      _checked(self, "betas[1]", betas[1], below_one=True))
        self.eps = _checked(self, "eps", eps, above_zero=True)
        self.weight_decay = _checked(self, "weight_decay", weight_decay)
        self.m = [0.0] * len(self.parameters)
        self.v = [0.0] * len(self.parameters)

    def _update(self, index: int, data: float, grad: float, lr: float) -> float:
        (b1, b2), t = self.betas, self.steps + 1
        g = grad if self.decoupled else grad + self.weight_decay * data
        data = data * (1.0 - lr * self.weight_decay) if self.decoupled else data
        self.m[index] = b1 * self.m[index] + (1.0 - b1) * g
        self.v[index] = b2 * self.v[index] + (1.0 - b2) * g * g
        m_hat = self.m[index] / (1.0 - b1**t)
        v_hat = self.v[index] / (1.0 - b2**t)
        return data - lr * m_hat / (math.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (torch.optim.AdamW); default decay 0.01."""

    decoupled = True

    def __init__(self, parameters: Iterable[Value], lr: float | Schedule = 0.01,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(parameters, lr, betas, eps, weight_decay)
