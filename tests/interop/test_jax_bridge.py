"""``opgrad.interop.to_jax``: every registered op as a ``jax.custom_jvp`` from its own rule."""

from __future__ import annotations

import math
import sys
from types import ModuleType

import pytest

import opgrad
from opgrad.interop import to_jax
from opgrad.plugins.declaration import Op
from opgrad.plugins.registry import Registry
from opgrad.testing import sample_points

OPS = sorted(opgrad.default_registry().values(), key=lambda op: op.name)


def columns(jax: ModuleType, op: Op, count: int = 5) -> list[object]:
    points = sample_points(op, count, seed=5)
    return [jax.numpy.asarray(column) for column in zip(*points, strict=True)]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_check_grads_to_second_order_both_modes(jax64: ModuleType, op: Op) -> None:
    from jax.test_util import check_grads

    xs = columns(jax64, op)
    check_grads(to_jax(op), tuple(xs), order=2, modes=["fwd", "rev"])


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_jit_vmap_grad_equal_the_op_on_floats(jax64: ModuleType, op: Op) -> None:
    jax = jax64
    xs = columns(jax, op)
    bridged = to_jax(op)
    out = jax.jit(bridged)(*xs)
    grads = jax.vmap(jax.grad(bridged, argnums=tuple(range(op.arity))))(*xs)
    for i, point in enumerate(zip(*[x.tolist() for x in xs], strict=True)):
        values = [opgrad.Value(v) for v in point]
        node = getattr(opgrad.ops, op.name)(*values)
        node.backward()
        assert float(out[i]) == pytest.approx(node.data, rel=1e-12)
        for g, value in zip(grads, values, strict=True):
            assert float(g[i]) == pytest.approx(value.grad, rel=1e-12, abs=1e-15)


def test_relu_masks_a_nan_cotangent_like_jax_nn_relu(jax64: ModuleType) -> None:
    jax = jax64
    x = jax.numpy.array([math.nan, -1.0, -0.0, 0.0, 2.0])
    cotangent = jax.numpy.full(5, math.nan)
    ours = jax.vjp(to_jax("relu"), x)[1](cotangent)[0]
    theirs = jax.vjp(jax.nn.relu, x)[1](cotangent)[0]
    # Where x <= 0 both give 0; at x = 2 both pass the nan on. (At x = nan opgrad's relu
    # follows PyTorch: relu'(nan) = 1, so the nan passes; jax.nn.relu gives 0 there.)
    assert ours.tolist()[1:4] == theirs.tolist()[1:4] == [0.0, 0.0, 0.0]
    assert math.isnan(ours.tolist()[4]) and math.isnan(theirs.tolist()[4])
    assert math.isnan(ours.tolist()[0])
    mul = jax.vjp(to_jax("mul"), x, jax.numpy.zeros(5))[1](cotangent)[0]
    assert all(math.isnan(v) for v in mul.tolist())  # mul multiplies: 0 * nan is nan


def test_ops_functions_take_jax_arrays_under_jit(jax64: ModuleType) -> None:
    jax = jax64
    x = jax.numpy.linspace(-2.0, 2.0, 5)
    second = jax.jit(jax.grad(jax.grad(lambda v: opgrad.ops.tanh(v))))(0.5)
    t = opgrad.ops.tanh(0.5)
    assert float(second) == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)
    assert opgrad.ops.where(x > 0.0, 1.0, 0.0).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_bad_input_is_a_type_error_naming_the_op(jax: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"tanh\(\) takes floating arrays, got a int32"):
        to_jax("tanh")(jax.numpy.arange(3, dtype=jax.numpy.int32))
    with pytest.raises(TypeError, match=r"tanh\(\) takes JAX or NumPy arrays or numbers, got str"):
        to_jax("tanh")("x")


def test_missing_jax_names_the_extra(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    opgrad.register(math.cos, name="cosine", local_grads=lambda x, out: (0.0,),
                    formula="d/dx cosine")
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(ImportError, match=r"pip install 'opgrad\[jax\]'"):
        to_jax("cosine")
