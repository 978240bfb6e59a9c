"""A zero partial of relu or where stops the gradient, a nan or inf one too, as in PyTorch.

Every other op multiplies (0 * nan is nan, as PyTorch's mul gives). The same
convention holds in backward, backward(create_graph=True), jvp and compiled steps.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad import Value
from opgrad.core import BackwardError
from opgrad.plugins.errors import RegistrationError
from opgrad.plugins.registry import Registry

POINTS = (math.nan, -math.inf, -1.5, -0.0, 0.0, 2.0, math.inf)


def relu_grads_torch(torch: ModuleType, upstream: float) -> list[float]:
    x = torch.tensor(POINTS, dtype=torch.float64, requires_grad=True)
    (torch.relu(x) * upstream).sum().backward()
    return [float(g) for g in x.grad]


def relu_loss(xs: list[Value], upstream: Value) -> Value:
    return sum((x.relu() * upstream for x in xs), Value(0.0))


def same(ours: list[float], theirs: list[float]) -> bool:
    pairs = zip(ours, theirs, strict=True)
    return all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in pairs)


@pytest.mark.parametrize("upstream", [math.nan, math.inf, -math.inf, 1.0])
def test_relu_masks_like_torch(torch: ModuleType, upstream: float) -> None:
    xs = [Value(p) for p in POINTS]
    relu_loss(xs, Value(upstream)).backward()
    assert same([x.grad for x in xs], relu_grads_torch(torch, upstream))


def test_relu_masks_with_create_graph(torch: ModuleType) -> None:
    xs = [Value(p) for p in POINTS]
    relu_loss(xs, Value(math.nan)).backward(create_graph=True)
    assert same([opgrad.value_of(x.grad) for x in xs], relu_grads_torch(torch, math.nan))


@pytest.mark.parametrize("upstream", [math.nan, math.inf])
def test_compiled_relu_masks_like_backward(torch: ModuleType, upstream: float) -> None:
    xs, w = [Value(p) for p in POINTS], Value(upstream)
    step = opgrad.compile(lambda: relu_loss(xs, w))
    step()
    assert same([x.grad for x in xs], relu_grads_torch(torch, upstream))


def test_where_masks_the_branch_not_taken(torch: ModuleType) -> None:
    conditions = (1.0, 0.0, math.nan)  # nan is non-zero: it holds
    a, b = [Value(1.0) for _ in conditions], [Value(2.0) for _ in conditions]
    w = Value(math.nan)

    def loss() -> Value:
        terms = (opgrad.ops.where(c, x, y) * w for c, x, y in zip(conditions, a, b, strict=True))
        return sum(terms, Value(0.0))

    loss().backward()
    dynamic = [v.grad for v in a + b]
    for v in a + b:
        v.grad = 0.0
    opgrad.compile(loss)()
    held = torch.tensor(conditions, dtype=torch.float64) != 0
    ta = torch.ones(3, dtype=torch.float64, requires_grad=True)
    tb = torch.full((3,), 2.0, dtype=torch.float64, requires_grad=True)
    (torch.where(held, ta, tb) * math.nan).sum().backward()
    expected = [float(g) for g in torch.cat([ta.grad, tb.grad])]
    assert same(dynamic, expected) and same([v.grad for v in a + b], expected)


def test_mul_by_zero_still_gives_nan_like_torch() -> None:
    x = Value(3.0)
    (x * 0.0 * math.nan).backward()
    assert math.isnan(x.grad)  # torch: d(x * 0)/dx * nan = 0 * nan = nan


def test_jvp_masks_a_nan_tangent_at_a_dead_relu() -> None:
    _, tangent = opgrad.jvp(lambda x: x.relu(), [-1.0], [math.nan])
    assert tangent == 0.0 and type(tangent) is float
    _, tangent = opgrad.jvp(lambda x: x.relu(), [1.0], [math.nan])
    assert math.isnan(tangent)


def test_a_plugin_op_can_mask(registry: Registry) -> None:
    registry.register(lambda x: max(x, 0.0) * 2.0, "notebook", name="relu2",
                      local_grads=lambda x, out: (2.0 - (out <= 0.0) * 2.0,),
                      formula="d/dx 2 relu(x) = 2 if x > 0 else 0", mask_zero_partials=True)
    op = registry["relu2"]
    x = Value(-1.0)
    (getattr(x, "relu2")() * math.nan).backward()  # noqa: B009  # bound at registration
    assert op.mask_zero_partials and x.grad == 0.0


def test_mask_zero_partials_must_be_a_bool_or_a_condition(registry: Registry) -> None:
    with pytest.raises(RegistrationError, match="mask_zero_partials must be True, False or a "
                                                "function of the inputs and out"):
        registry.register(abs, "notebook", name="absolute", local_grads=lambda x, out: (1.0,),
                          formula="d/dx |x|", mask_zero_partials="yes")  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="mask_zero_partials takes 1 argument"):
        registry.register(abs, "notebook", name="absolute", local_grads=lambda x, out: (1.0,),
                          formula="d/dx |x|", mask_zero_partials=lambda x: (True,))


def register_scale(registry: Registry, masks: Any) -> None:
    """x * k, whose d/dx (that is, k) masks only where k is 0, as pow's does at y = 0."""
    registry.register(lambda x, k: x * k, "notebook", name="scale",
                      local_grads=lambda x, k, out: (k, x), mask_zero_partials=masks,
                      formula="d/dx (x * k) = k; d/dk (x * k) = x")


def scale(x: Value, k: Value) -> Value:
    """The op registered by :func:`register_scale`, as the method it binds on Value."""
    result: Value = getattr(x, "scale")(k)  # noqa: B009  # bound at registration
    return result


@pytest.mark.parametrize("compiled", [False, True], ids=["backward", "compiled"])
def test_a_plugin_op_can_mask_where_its_condition_holds(registry: Registry,
                                                        compiled: bool) -> None:
    register_scale(registry, lambda x, k, out: (k == 0.0, False))
    x, k, upstream = Value(3.0), Value(0.0), Value(math.nan)

    def loss() -> Value:
        return scale(x, k) * upstream

    if compiled:
        step = opgrad.compile(loss)
        x.grad = k.grad = 0.0
        step()
    else:
        loss().backward()
    assert x.grad == 0.0 and math.isnan(k.grad)  # k's partial (x = 3) is not 0: nan flows
    x.data, k.data, x.grad, k.grad = 0.0, 1.0, 0.0, 0.0  # now k's partial is 0, unmasked
    step() if compiled else loss().backward()
    assert math.isnan(x.grad) and math.isnan(k.grad)


@pytest.mark.parametrize("compiled", [False, True], ids=["backward", "compiled"])
@pytest.mark.parametrize(("masks", "problem"), [
    (lambda x, k, out: (1.0 / k, False), "ZeroDivisionError"),  # at k = 0
    (lambda x, k, out: (k == 0.0,), "1 condition"),
], ids=["raises", "one-condition"])
def test_a_failing_condition_names_the_op(registry: Registry, compiled: bool, masks: Any,
                                          problem: str) -> None:
    register_scale(registry, masks)
    x, k = Value(3.0), Value(1.0)

    def step() -> None:
        scale(x, k).backward()

    if compiled:
        step = opgrad.compile(lambda: scale(x, k))  # type: ignore[assignment]
    k.data = 0.0  # now d/dx is 0, and the condition is asked
    with pytest.raises(BackwardError, match=rf"op 'scale'.*mask_zero_partials failed.*{problem}"):
        step()


def test_the_numpy_backend_asks_a_condition_when_built(registry: Registry,
                                                       numpy: ModuleType) -> None:
    """Its array code needs no mask (a nan or inf step goes back to backward()), so it asks
    each condition once while building: a broken one fails there, as backward() would."""
    register_scale(registry, lambda x, k, out: (k == 0.0,))  # one condition for two inputs
    x, k = Value(3.0), Value(1.0)  # no partial is 0: backward() never asks the condition
    with pytest.raises(BackwardError, match=r"op 'scale'.*mask_zero_partials failed.*"
                                            r"1 condition"):
        opgrad.compile(lambda: scale(x, k), backend="numpy")
