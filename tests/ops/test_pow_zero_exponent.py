"""pow's base gets no gradient where the exponent is 0, a nan or inf one included, as in PyTorch.

PyTorch masks d/dx x^y where y == 0 (and nowhere else: at x = 0, y > 1 the
partial is 0 too, and a nan from above stays nan). pow declares that
condition (``mask_zero_partials`` as a function), and every path that
applies the chain rule honours it: backward (also with create_graph), the
compiled step of both backends, micrograd compatibility, explain, forward
mode, and the PyTorch and JAX bridges. Each is compared with PyTorch's own
pow in float64.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from types import ModuleType

import pytest

import opgrad
from opgrad import Value
from opgrad.compat.micrograd.engine import Value as CompatValue
from opgrad.viz.explain import backward_steps

BASES = (2.0, 0.0, -1.5, 1.0, 0.5, math.inf)
EXPONENTS = (0.0, -0.0, 2.0, 0.5, -1.0, 3.0)
UPSTREAMS = (math.nan, math.inf, -math.inf, 1.0)
Grads = tuple[float, float]


def points() -> list[tuple[float, float]]:
    """The (x, y) where opgrad's forward succeeds (a domain error may refuse instead of nan)."""
    found = []
    for x, y in itertools.product(BASES, EXPONENTS):
        try:
            Value(x) ** Value(y)
        except (ValueError, ZeroDivisionError):
            continue
        found.append((x, y))
    return found


def same(ours: float, theirs: float) -> bool:
    """nan is nan; a leaf's gradient is summed onto 0.0, so zero's sign is not compared."""
    if math.isnan(ours) or math.isnan(theirs):
        return math.isnan(ours) and math.isnan(theirs)
    return ours == theirs


def torch_grads(torch: ModuleType, x: float, y: float, upstream: float) -> Grads:
    base, exponent = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y))
    (base**exponent * upstream).backward()
    return base.grad.item(), exponent.grad.item()


def by_backward(x: float, y: float, upstream: float, kind: type[Value] = Value) -> Grads:
    a, b = kind(x), kind(y)
    (a**b * upstream).backward()
    return a.grad, b.grad


def by_create_graph(x: float, y: float, upstream: float) -> Grads:
    a, b = Value(x), Value(y)
    (a**b * upstream).backward(create_graph=True)
    return opgrad.value_of(a.grad), opgrad.value_of(b.grad)


def by_compiled(backend: str) -> Callable[[float, float, float], Grads]:
    def grads(x: float, y: float, upstream: float) -> Grads:
        a, b, u = Value(x), Value(y), Value(upstream)
        step = opgrad.compile(lambda: a**b * u, backend=backend)
        a.grad = b.grad = 0.0  # the trace ran a backward() of its own
        step()
        return a.grad, b.grad

    return grads


def by_explain(x: float, y: float, upstream: float) -> Grads:
    a, b = Value(x), Value(y)
    grads = backward_steps(a**b * upstream).grads
    return grads[a], grads[b]


ENGINES: dict[str, Callable[[float, float, float], Grads]] = {
    "backward": by_backward,
    "create_graph": by_create_graph,
    "compile-scalar": by_compiled("scalar"),
    "compile-numpy": by_compiled("numpy"),
    "micrograd-compat": lambda x, y, upstream: by_backward(x, y, upstream, CompatValue),
    "explain": by_explain,
}


@pytest.mark.parametrize("upstream", UPSTREAMS, ids=["nan", "inf", "-inf", "1"])
@pytest.mark.parametrize("engine", ENGINES)
def test_pow_gradients_match_torch(torch: ModuleType, request: pytest.FixtureRequest,
                                   engine: str, upstream: float) -> None:
    if engine == "compile-numpy":
        request.getfixturevalue("numpy")  # the extra (CI installs it, and requires it)
    for x, y in points():
        ours = ENGINES[engine](x, y, upstream)
        theirs = torch_grads(torch, x, y, upstream)
        assert all(map(same, ours, theirs)), (engine, x, y, upstream, ours, theirs)


def test_the_mask_is_only_where_the_exponent_is_zero(torch: ModuleType) -> None:
    """The two cases that tell pow's condition from masking every zero partial."""
    at_zero_exponent = by_backward(2.0, 0.0, math.nan)
    assert at_zero_exponent[0] == 0.0 and math.isnan(at_zero_exponent[1])
    at_zero_base = by_backward(0.0, 2.0, math.nan)  # the base's partial is 0 here too
    assert math.isnan(at_zero_base[0]) and math.isnan(at_zero_base[1])
    assert all(map(same, at_zero_exponent, torch_grads(torch, 2.0, 0.0, math.nan)))
    assert all(map(same, at_zero_base, torch_grads(torch, 0.0, 2.0, math.nan)))


def test_forward_mode_masks_a_nan_tangent_like_torch(torch: ModuleType) -> None:
    for x, y in points():
        _, ours = opgrad.jvp(lambda a, b: a**b, [x, y], [math.nan, 0.0])
        primal = (torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64))
        tangent = (torch.tensor(math.nan, dtype=torch.float64),
                   torch.zeros((), dtype=torch.float64))
        _, theirs = torch.func.jvp(torch.pow, primal, tangent)
        assert same(ours, theirs.item()), (x, y, ours, theirs)
