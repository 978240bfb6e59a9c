"""The same computation on opgrad Values and on torch float64 tensors, side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from opgrad import ops
from opgrad._optional import require
from opgrad.assembly import default_registry
from opgrad.core import Value
from opgrad.derivatives import grad
from opgrad.testing.opcheck import sample_points


def import_torch(purpose: str) -> ModuleType:
    """torch, or an ImportError naming the ``torch`` extra."""
    return require("torch", "torch", purpose)


@dataclass(frozen=True)
class TorchComparison:
    """Values and gradients from opgrad and from PyTorch, per input."""

    output: tuple[float, float]  # (opgrad, torch)
    inputs: tuple[float, ...]
    grads: tuple[tuple[float, float], ...]  # per input: (opgrad, torch)

    @property
    def max_difference(self) -> float:
        pairs = [self.output, *self.grads]
        return max(abs(a - b) for a, b in pairs)

    def __str__(self) -> str:
        lines = [f"{'':<10} {'opgrad':>22} {'torch (float64)':>22} {'difference':>11}",
                 _line("output", *self.output)]
        lines += [_line(f"d/dx{i}", *pair) for i, pair in enumerate(self.grads)]
        return "\n".join(lines)


def _line(name: str, ours: float, theirs: float) -> str:
    return f"{name:<10} {ours:>22.15g} {theirs:>22.15g} {abs(ours - theirs):>11.2g}"


def compare_with_torch(f: Callable[..., Any], inputs: Sequence[float]) -> TorchComparison:
    """Run ``f`` on Values and on torch float64 tensors; compare output and gradients.

    ``f`` must use only what both support: Python operators and the methods
    ``.tanh() .exp() .log() .relu() .sigmoid()``.
    """
    torch = import_torch("compare_with_torch")
    xs = [Value(float(v)) for v in inputs]
    out = f(*xs)
    ours = grad(out, xs)
    leaves = [torch.tensor(float(v), dtype=torch.float64, requires_grad=True) for v in inputs]
    reference = f(*leaves)
    theirs = torch.autograd.grad(reference, leaves, allow_unused=True)
    pairs = tuple((float(a), 0.0 if b is None else float(b.item()))
                  for a, b in zip(ours, theirs, strict=True))
    return TorchComparison((out.data, float(reference.item())), tuple(map(float, inputs)), pairs)


def torch_function(name: str, torch: ModuleType) -> Callable[..., Any] | None:
    """The PyTorch equivalent declared by op ``name`` (a dotted name under ``torch``
    such as "nn.functional.softplus", or a callable), or None if it declares none."""
    spec = default_registry()[name].torch
    if spec is None or callable(spec):
        return spec
    found: Any = torch
    try:
        for part in spec.split("."):
            found = getattr(found, part)
    except AttributeError:
        raise LookupError(f"op {name!r} declares torch={spec!r}, but torch has no "
                          f"torch.{spec}") from None
    if not callable(found):
        raise LookupError(f"op {name!r} declares torch={spec!r}, which is not callable")
    return found  # type: ignore[no-any-return]  # checked callable above


def compare_op_with_torch(name: str, points: int = 8, seed: int = 0) -> float | None:
    """Largest |opgrad - torch| over outputs and gradients of op ``name`` at sample points.

    None if the op declares no PyTorch equivalent.
    """
    torch = import_torch("comparing ops with PyTorch")
    reference = torch_function(name, torch)
    if reference is None:
        return None
    op = getattr(ops, name)
    worst = 0.0
    for point in sample_points(default_registry()[name], points, seed):
        comparison = compare_with_torch(lambda *xs, r=reference: _either(op, r, xs), point)
        worst = max(worst, comparison.max_difference)
    return worst


def _either(op: Callable[..., Any], reference: Callable[..., Any], xs: tuple[Any, ...]) -> Any:
    # The same op on Values (opgrad) or on tensors (its declared torch equivalent).
    return op(*xs) if isinstance(xs[0], Value) else reference(*xs)
