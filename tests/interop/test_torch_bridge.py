"""``opgrad.interop.to_torch``: every registered op on tensors, differentiated by its own rule."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad.interop import BridgeError, to_torch
from opgrad.interop.tracing import at_trace_time
from opgrad.plugins.declaration import Op, declare_op
from opgrad.plugins.registry import Registry
from opgrad.testing import sample_points

OPS = sorted(opgrad.default_registry().values(), key=lambda op: op.name)
UNARY = [op for op in OPS if op.arity == 1]


def columns(torch: ModuleType, op: Op, count: int = 6, dtype: object = None) -> list[object]:
    """One float64 tensor per input, from points inside the op's domain, away from kinks."""
    points = sample_points(op, count, seed=3)
    return [torch.tensor(column, dtype=dtype or torch.float64, requires_grad=True)
            for column in zip(*points, strict=True)]


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_forward_and_grads_equal_the_op_on_floats(torch: ModuleType, op: Op) -> None:
    xs = columns(torch, op)
    out = to_torch(op)(*xs)
    out.sum().backward()
    for i, point in enumerate(zip(*[x.tolist() for x in xs], strict=True)):
        values = [opgrad.Value(v) for v in point]
        node = getattr(opgrad.ops, op.name)(*values)
        node.backward()
        assert out[i].item() == pytest.approx(node.data, rel=1e-12)
        for x, value in zip(xs, values, strict=True):
            assert x.grad[i].item() == pytest.approx(value.grad, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_gradcheck_and_gradgradcheck_with_broadcasting(torch: ModuleType, op: Op) -> None:
    xs = columns(torch, op, count=4)
    if op.arity > 1:  # the first input as a column: (4, 1) against (4,)
        xs[0] = xs[0].detach().reshape(4, 1).requires_grad_()
    bridged = to_torch(op)
    assert torch.autograd.gradcheck(bridged, tuple(xs))
    assert torch.autograd.gradgradcheck(bridged, tuple(xs))


@pytest.mark.parametrize("op", UNARY, ids=lambda op: op.name)
def test_vmap_of_grad_and_both_jvp_flavours(torch: ModuleType, op: Op) -> None:
    (x,) = columns(torch, op)
    x = x.detach()
    per_element = torch.func.vmap(torch.func.grad(to_torch(op)))(x)
    expected = [getattr(opgrad.ops, op.name) for _ in (0,)]
    for got, v in zip(per_element.tolist(), x.tolist(), strict=True):
        value = opgrad.Value(v)
        expected[0](value).backward()
        assert got == pytest.approx(value.grad, rel=1e-12, abs=1e-15)
    _, tangent = torch.func.jvp(to_torch(op, forward_mode=True), (x,), (torch.ones_like(x),))
    assert torch.allclose(tangent, per_element, rtol=1e-12, atol=0.0)
    with pytest.raises(NotImplementedError, match=rf"opgrad op '{op.name}': to_torch\('{op.name}'\)"
                       rf" has no forward mode \(torch.func.jvp.*use to_torch\('{op.name}', "
                       r"forward_mode=True\)"):  # the compile flavour has no jvp
        torch.func.jvp(to_torch(op), (x,), (torch.ones_like(x),))


def test_relu_and_where_mask_a_nan_gradient_like_torch(torch: ModuleType) -> None:
    def same(ours: Any, theirs: Any) -> bool:
        return bool(torch.equal(ours.isnan(), theirs.isnan())
                    and torch.equal(ours.nan_to_num(), theirs.nan_to_num()))

    x = torch.tensor([math.nan, -1.0, -0.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    nans = torch.full((5,), math.nan, dtype=torch.float64)
    grads = [torch.autograd.grad(f(x), x, nans)[0] for f in (to_torch("relu"), torch.relu)]
    assert same(*grads) and grads[0][1:4].tolist() == [0.0, 0.0, 0.0]
    tangents = [torch.func.jvp(f, (x.detach(),), (nans,))[1]
                for f in (to_torch("relu", forward_mode=True), torch.relu)]
    assert same(*tangents)
    held = torch.tensor([1.0, 0.0], dtype=torch.float64)
    a, b = (torch.ones(2, dtype=torch.float64, requires_grad=True) for _ in range(2))
    upstream = torch.full((2,), math.nan, dtype=torch.float64)
    ours = torch.autograd.grad(to_torch("where")(held, a, b), (a, b), upstream)
    theirs = torch.autograd.grad(torch.where(held != 0, a, b), (a, b), upstream)
    assert all(same(o, t) for o, t in zip(ours, theirs, strict=True))
    assert ours[0][1].item() == 0.0 == ours[1][0].item()


def test_float32_stays_float32_and_numbers_are_constants(torch: ModuleType) -> None:
    x = torch.linspace(0.5, 2.0, 5, dtype=torch.float32, requires_grad=True)
    out = to_torch("pow")(x, 3)
    out.sum().backward()
    assert out.dtype == x.grad.dtype == torch.float32
    assert torch.allclose(x.grad, 3 * x.detach() ** 2)


def test_the_gradient_is_the_rule_not_torchs_derivative(torch: ModuleType,
                                                        registry: Registry) -> None:
    # A deliberately wrong rule: the bridge must use it (check_op is what catches it).
    opgrad.register(math.sin, name="sine", torch="sin", local_grads=lambda x, out: (3.0 * x,),
                    formula="d/dx sine(x) = 3x (wrong on purpose)")
    x = torch.tensor([0.5, 1.0], dtype=torch.float64, requires_grad=True)
    to_torch("sine")(x).sum().backward()
    assert x.grad.tolist() == [1.5, 3.0]


def test_forward_from_operators_and_ops_calls_when_no_torch_is_declared(
        torch: ModuleType, registry: Registry) -> None:
    opgrad.register(lambda x: x * opgrad.ops.tanh(x), name="xtanh",
                    local_grads=lambda x, out: (opgrad.ops.tanh(x) + x * (1.0 - opgrad.ops.tanh(x)
                                                                          ** 2),),
                    formula="d/dx x tanh(x) = tanh(x) + x (1 - tanh(x)^2)")
    x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(to_torch("xtanh"), (x,))


def test_ops_functions_take_tensors_and_stay_differentiable(torch: ModuleType) -> None:
    x = torch.linspace(-2.0, 2.0, 5, dtype=torch.float64, requires_grad=True)
    y = opgrad.ops.sigmoid(x)
    (second,) = torch.autograd.grad(torch.autograd.grad(y.sum(), x, create_graph=True)[0].sum(), x)
    s = torch.sigmoid(x.detach())
    assert torch.allclose(second, s * (1 - s) * (1 - 2 * s), rtol=1e-12)
    assert opgrad.ops.where(x > 0.0, 1.0, 0.0).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]


def test_compiled_fullgraph_gives_the_eager_numbers(torch: ModuleType) -> None:
    relu, pow_ = to_torch("relu"), to_torch("pow")  # rules using where and opgrad.ops

    def loss(x: object, y: object) -> object:
        return (relu(x) * pow_(x.abs() + 0.5, y)).sum()  # type: ignore[attr-defined]

    x = torch.linspace(-2.0, 2.0, 7, dtype=torch.float64, requires_grad=True)
    y = torch.full((7,), 1.5, dtype=torch.float64, requires_grad=True)
    eager = torch.autograd.grad(loss(x, y), (x, y))
    compiled = torch.compile(loss, fullgraph=True)
    got = torch.autograd.grad(compiled(x, y), (x, y))
    for a, b in zip(got, eager, strict=True):
        assert torch.allclose(a, b, rtol=1e-12, atol=0.0)


def test_the_forward_mode_flavour_is_refused_by_fullgraph_compile(torch: ModuleType) -> None:
    # Why there are two flavours (docs/plugins.md): if PyTorch lifts this, merge them.
    compiled = torch.compile(to_torch("tanh", forward_mode=True), fullgraph=True)
    with pytest.raises(torch._dynamo.exc.Unsupported, match="jvp"):
        compiled(torch.ones(2, dtype=torch.float64, requires_grad=True))


def test_nothing_assumes_cpu(torch: ModuleType) -> None:
    x = torch.ones(3, device="meta", requires_grad=True)  # a device without data
    out = to_torch("tanh")(x)
    out.sum().backward()
    assert out.device.type == x.grad.device.type == "meta"


@pytest.mark.parametrize(("args", "message"), [
    (("1.0",), r"tanh\(\) takes torch tensors or numbers, got str"),
    ((2.0,), r"tanh\(\) on torch needs at least one tensor"),
])
def test_non_tensors_are_refused(torch: ModuleType, args: tuple[object, ...],
                                 message: str) -> None:
    with pytest.raises(TypeError, match=message):
        to_torch("tanh")(*args)


def test_integer_tensors_and_mixed_devices_are_refused(torch: ModuleType) -> None:
    with pytest.raises(TypeError, match=r"tanh\(\) takes floating tensors .* got a torch.int64"):
        to_torch("tanh")(torch.arange(3))
    with pytest.raises(TypeError, match=r"mul\(\) got tensors on different devices \(cpu, meta\)"):
        to_torch("mul")(torch.ones(2), torch.ones(2, device="meta"))
    with pytest.raises(TypeError, match=r"tanh\(\) takes numbers or Values, got list"):
        opgrad.ops.tanh([1.0, 2.0])


def test_an_op_that_cannot_run_on_tensors_fails_at_to_torch(torch: ModuleType,
                                                           registry: Registry) -> None:
    opgrad.register(math.erf, name="erf", local_grads=lambda x, out: (2.0,), formula="d/dx erf")
    with pytest.raises(BridgeError, match=r"op 'erf' cannot run on torch .* forward .* torch="):
        to_torch("erf")
    opgrad.register(lambda x: x * x, name="square", torch="square", formula="d/dx x^2 = 2x",
                    local_grads=lambda x, out: (2.0 * x if opgrad.value_of(x) > 0 else -2 * x,))
    with pytest.raises(BridgeError, match=r"op 'square' .* local_grads failed .*where"):
        to_torch("square")
    with pytest.raises(BridgeError, match=r"no op named 'nope'"):
        to_torch("nope")
    opgrad.register(math.sin, name="sine", torch="cos", local_grads=lambda x, out: (0.0,),
                    formula="d/dx sine (its torch= is wrong)")
    with pytest.raises(BridgeError, match=r"op 'sine' .* it gives .* but the op's forward gives"):
        to_torch("sine")
    opgrad.register(math.sin, name="sine2", torch="no_such_function", formula="d/dx sine2",
                    local_grads=lambda x, out: (0.0,))
    with pytest.raises(BridgeError, match=r"torch='no_such_function', but torch.no_such_function"):
        to_torch("sine2")


def test_missing_torch_names_the_extra(registry: Registry,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    opgrad.register(math.cos, name="cosine", local_grads=lambda x, out: (0.0,),
                    formula="d/dx cosine")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install torch==2\.13\.0"):
        to_torch("cosine")


def test_a_new_bridge_does_not_recompile_a_compiled_caller(torch: ModuleType,
                                                           registry: Registry) -> None:
    # opgrad.ops.tanh(tensor) looks its bridge up in the cache, as rules do in a backward.
    compiled = torch.compile(lambda x: opgrad.ops.tanh(x) * 2.0, backend="eager", fullgraph=True)
    x = torch.linspace(-1.0, 1.0, 3)
    opgrad.ops.tanh(x)  # its bridge is made eagerly first
    first = compiled(x)
    opgrad.register(lambda x: x * x * x, name="cube", local_grads=lambda x, out: (3.0 * x * x,),
                    formula="d/dx x^3 = 3x^2")
    to_torch("cube")  # the bridges' cache grows: compiled code must not guard on its size
    with torch._dynamo.config.patch(error_on_recompile=True):
        assert torch.equal(compiled(x), first)


def test_first_use_inside_a_fullgraph_compile(torch: ModuleType, tmp_path: Path) -> None:
    # A fresh interpreter: nothing bridged, opgrad.interop not even imported. Each compiled
    # function meets two ops for the first time (the second made while the first is traced).
    script = tmp_path / "first_use.py"
    script.write_text(textwrap.dedent("""
        import torch
        import opgrad

        def f(x):
            return opgrad.ops.tanh(x) * opgrad.ops.sigmoid(x)

        def g(x):
            from opgrad.interop import to_torch
            return to_torch("exp", export=True)(x) + to_torch("log")(x)

        for function in (f, g):
            x = torch.linspace(0.5, 2.0, 4, dtype=torch.float64, requires_grad=True)
            compiled = torch.compile(function, fullgraph=True, backend="eager")
            got = torch.autograd.grad(compiled(x).sum(), x)[0]
            expected = torch.autograd.grad(function(x).sum(), x)[0]
            assert torch.allclose(got, expected, rtol=1e-12), (got, expected)
        print("compiled at first use")
    """))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "compiled at first use"


@pytest.mark.parametrize("flavour", [{}, {"forward_mode": True}, {"export": True}], ids=str)
def test_an_identity_forward_bridges(torch: ModuleType, flavour: dict[str, bool]) -> None:
    # torch=lambda x: x returns its input: PyTorch refuses that input saved for backward.
    op = declare_op(lambda x: x, "tests", {"name": "same", "torch": lambda x: x,
                                           "local_grads": lambda x, out: (1.0,),
                                           "formula": "d/dx x = 1"})
    x = torch.linspace(-1.0, 1.0, 3, dtype=torch.float64, requires_grad=True)
    out = to_torch(op, **flavour)(x)
    (grad,) = torch.autograd.grad((out * out).sum(), x)
    assert torch.equal(out, x) and out is not x
    assert torch.equal(grad, 2 * x.detach())


@pytest.mark.parametrize("flavour", [{}, {"forward_mode": True}, {"export": True}], ids=str)
@pytest.mark.parametrize("aliasing", ["view_as", "detach", "reshape", "ellipsis"])
def test_a_forward_returning_a_view_of_its_input_bridges(
        torch: ModuleType, flavour: dict[str, bool], aliasing: str) -> None:
    # A custom op's output may share no memory with an input (the export flavour's
    # kernel copies it then); the other flavours take views as they are.
    forward = {"view_as": lambda x: x.view_as(x), "detach": lambda x: x.detach(),
               "reshape": lambda x: x.reshape(x.shape), "ellipsis": lambda x: x[...]}[aliasing]
    op = declare_op(lambda x: x, "tests", {"name": f"same_{aliasing}", "torch": forward,
                                           "local_grads": lambda x, out: (1.0,),
                                           "formula": "d/dx x = 1"})
    x = torch.linspace(-1.0, 1.0, 3, dtype=torch.float64, requires_grad=True)
    out = to_torch(op, **flavour)(x)
    (grad,) = torch.autograd.grad((out * out).sum(), x)
    assert torch.equal(out, x) and torch.equal(grad, 2 * x.detach())


@pytest.mark.parametrize("flavour", [{}, {"export": True}], ids=str)
def test_abs_follows_torch_at_zero_and_under_a_nan_gradient(torch: ModuleType,
                                                            flavour: dict[str, bool]) -> None:
    x = torch.tensor([-2.0, -0.0, 0.0, 3.0], dtype=torch.float64, requires_grad=True)
    for upstream in (torch.ones(4, dtype=torch.float64), torch.full((4,), math.nan)):
        ours = torch.autograd.grad(to_torch("abs", **flavour)(x), x, upstream)[0]
        theirs = torch.autograd.grad(torch.abs(x), x, upstream.double())[0]
        assert torch.equal(ours.isnan(), theirs.isnan())
        assert torch.equal(ours.nan_to_num(), theirs.nan_to_num())
    assert ours.isnan().tolist() == [True] * 4  # sign(0) * nan is nan in PyTorch too


def test_work_at_trace_time_is_marked_as_dynamo_marks_it(torch: ModuleType) -> None:
    # at_trace_time sets, without importing torch, what torch._dynamo.assume_constant_result
    # sets; if PyTorch renames it, first use inside a compiled function breaks: this says why.
    ours = at_trace_time(lambda: None)
    theirs = torch._dynamo.assume_constant_result(lambda: None)
    assert vars(ours) == vars(theirs) == {"_dynamo_marked_constant": True}
