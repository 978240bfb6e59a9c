"""``to_torch(op, export=True)``: the op as the custom op ``torch.ops.opgrad.<name>``.

The straight-through op (forward clamp(x, -1, 1), rule 1; see conftest.py) shows
whether a rule survives: its rule is not the derivative of its forward, so a
program that inlined the forward differentiates to clamp's gradient instead.
"""

from __future__ import annotations

import gc
import math
import warnings
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad.interop import (
    BridgeError,
    InlinedRuleWarning,
    to_jax,
    to_torch,
    to_torch_module,
    tracing,
)
from opgrad.plugins.declaration import Op, declare_op
from opgrad.plugins.registry import Registry
from opgrad.testing import sample_points
from tests.interop import ste_plugin

OPS = sorted(opgrad.default_registry().values(), key=lambda op: op.name)


def columns(torch: ModuleType, op: Op, count: int = 4) -> tuple[Any, ...]:
    points = sample_points(op, count, seed=11)
    return tuple(torch.tensor(column, dtype=torch.float64, requires_grad=True)
                 for column in zip(*points, strict=True))


def ste_model(torch: ModuleType, activation: Any) -> Any:
    """Linear(3, 8) -> activation -> Linear(8, 1), float64, the same weights each time."""
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 8), activation,
                               torch.nn.Linear(8, 1)).double()


def input_grad(model: Any, x: Any) -> Any:
    x = x.detach().clone().requires_grad_()
    model(x).sum().backward()
    return x.grad


def rule_and_clamp_grads(torch: ModuleType, model: Any, x: Any) -> tuple[Any, Any]:
    """The input gradient through ``model`` with the straight-through rule, and with
    clamp's derivative, written in plain PyTorch: the references."""
    first, last = model[0], model[2]
    clamp = torch.nn.Sequential(first, torch.nn.Hardtanh(), last)
    through = torch.nn.Sequential(first, last)  # rule 1: the gradient skips the clamp
    return input_grad(through, x), input_grad(clamp, x)


@pytest.fixture
def x(torch: ModuleType) -> Any:
    """Inputs whose pre-activations leave [-1, 1], where the rule and clamp's gradient differ."""
    return torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 3


def layer(torch: ModuleType, function: Any) -> Any:
    """``function`` as a torch.nn.Module (no switch of flavour under export)."""
    class Layer(torch.nn.Module):  # type: ignore[name-defined,misc]  # torch is a fixture
        def forward(self, x: Any) -> Any:
            return function(x)

    return Layer()


@pytest.mark.parametrize("export", [True, False], ids=["export=True", "default module"])
def test_torch_export_keeps_the_straight_through_rule(torch: ModuleType, ste: Op, x: Any,
                                                      export: bool) -> None:
    # A bridged module of the default flavour runs the export flavour when exported.
    model = ste_model(torch, to_torch_module(ste, export=export))
    program = torch.export.export(model, (x,))
    targets = [node.target for node in program.graph.nodes if node.op == "call_function"]
    assert torch.ops.opgrad.ste.default in targets and torch.ops.aten.clamp.default not in targets
    rule, clamp = rule_and_clamp_grads(torch, model, x)
    assert not torch.allclose(rule, clamp)  # the inputs reach the clamp's flat parts
    assert torch.allclose(input_grad(program.module(), x), rule, rtol=1e-12, atol=0.0)
    assert torch.allclose(input_grad(model, x), rule, rtol=1e-12, atol=0.0)


def test_the_default_flavour_warns_once_when_torch_export_inlines_it(
        torch: ModuleType, ste: Op, x: Any) -> None:
    model = ste_model(torch, layer(torch, to_torch(ste)))
    with pytest.warns(InlinedRuleWarning, match=r"opgrad op 'ste': torch.export inlined "
                      r"to_torch\('ste'\).* not the op's rule .*to_torch\('ste', export=True\)"):
        program = torch.export.export(model, (x,))
    rule, clamp = rule_and_clamp_grads(torch, model, x)
    assert torch.allclose(input_grad(program.module(), x), clamp)  # what the warning says
    assert torch.allclose(input_grad(model, x), rule)  # eager keeps the rule
    with warnings.catch_warnings():
        warnings.simplefilter("error", InlinedRuleWarning)  # once per op
        torch.export.export(model, (x,))


@pytest.mark.parametrize("tracer", ["strict export", "jit.trace"])
def test_other_inlining_tracers_warn_too(torch: ModuleType, tracer: str,
                                         registry: Registry) -> None:
    # A fresh op per tracer: the warning comes once per op.
    op = declare_op(math.tanh, "tests", {"name": "ttanh", "torch": "tanh", "formula": "tanh'",
                                         "local_grads": lambda x, out: (1.0 - out * out,)})
    f, x = to_torch(op), torch.ones(2, dtype=torch.float64)
    with pytest.warns(InlinedRuleWarning, match=rf"'ttanh': torch.{tracer.split()[-1]}"):
        if tracer == "jit.trace":
            torch.jit.trace(f, (x,))
        else:
            torch.export.export(layer(torch, to_torch(op, forward_mode=True)), (x,), strict=True)


def test_compile_and_onnx_keep_quiet(torch: ModuleType, onnxruntime: ModuleType,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # torch.compile keeps an autograd.Function's backward; ONNX has no gradients to lose.
    # (No op counts as warned about already: otherwise this could not fail.)
    monkeypatch.setattr(tracing, "_warned", set())
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), layer(torch, to_torch("sigmoid")))
    x = torch.ones(3, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.compile(model, backend="aot_eager", fullgraph=True)(x).sum().backward()
        torch.onnx.export(model.eval(), (x,), dynamo=True, verbose=False)
    assert not [w for w in caught if issubclass(w.category, InlinedRuleWarning)]


def test_mlp_to_torch_exports_a_plugin_activation_with_its_rule(
        torch: ModuleType, registry: Registry, x: Any) -> None:
    registry.add_plugin(ste_plugin, name="ste-plugin")
    mlp = opgrad.nn.MLP(3, [8, 1], activation="ste", seed=0)
    model = mlp.to_torch()
    with warnings.catch_warnings():
        warnings.simplefilter("error", InlinedRuleWarning)
        program = torch.export.export(model, (x,))
    assert torch.ops.opgrad.ste.default in [node.target for node in program.graph.nodes]
    rule, clamp = rule_and_clamp_grads(torch, model, x)
    assert not torch.allclose(rule, clamp)
    assert torch.allclose(input_grad(program.module(), x), rule, rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
def test_opcheck_gradcheck_and_gradgradcheck(torch: ModuleType, op: Op) -> None:
    xs = columns(torch, op)
    if op.arity > 1:  # the first input as a column: (4, 1) against (4,)
        xs = (xs[0].detach().reshape(4, 1).requires_grad_(), *xs[1:])
    bridged = to_torch(op, export=True)
    overload = getattr(torch.ops.opgrad, op.name).default
    results = torch.library.opcheck(overload, xs)
    assert set(results.values()) == {"SUCCESS"}, results
    assert torch.autograd.gradcheck(bridged, xs)
    assert torch.autograd.gradgradcheck(bridged, xs)


def test_vmap_passes_the_batch_dimension_through_in_one_call(torch: ModuleType) -> None:
    calls: list[tuple[int, ...]] = []

    def scaled_pow(x: Any, y: Any) -> Any:
        calls.append(tuple(x.shape))
        return x ** y

    op = declare_op(lambda x, y: x ** y, "tests", {
        "name": "cpow", "torch": scaled_pow, "domain": ((0.5, 3.0), (-2.0, 2.0)),
        "local_grads": lambda x, y, out: (y * x ** (y - 1.0), out * opgrad.ops.log(x)),
        "formula": "as pow"})
    f = to_torch(op, export=True)
    base = torch.rand(2, 3, dtype=torch.float64) + 0.5  # batched along dim 1: 3 rows of (2,)
    exponent = torch.linspace(-1.0, 1.0, 4, dtype=torch.float64).reshape(4, 1)  # not batched
    calls.clear()
    got = torch.func.vmap(f, in_dims=(1, None))(base, exponent)
    assert calls == [(3, 1, 2)]  # one call: the batch first, then the broadcast dimensions
    expected = torch.stack([base[:, i] ** exponent for i in range(3)])
    assert got.shape == (3, 4, 2) and torch.allclose(got, expected, rtol=1e-14)


def test_one_registration_per_op_and_name(torch: ModuleType, monkeypatch: pytest.MonkeyPatch,
                                          registry: Registry) -> None:
    def make(scale: float) -> Op:
        return declare_op(lambda x: scale * x, "notebook", {
            "name": "scaled", "torch": lambda x: scale * x, "local_grads": lambda x, out: (scale,),
            "formula": f"d/dx {scale} x = {scale}"})

    old, new = make(2.0), make(3.0)
    first = to_torch(old, export=True)
    registrations: list[str] = []
    real = torch.library.custom_op

    def counting(name: str, *args: Any, **options: Any) -> Any:
        if name.startswith("opgrad::"):  # not torch's own, made as modules are imported
            registrations.append(name)
        return real(name, *args, **options)

    monkeypatch.setattr(torch.library, "custom_op", counting)
    assert to_torch(old, export=True) is first and registrations == []  # the same op again
    x = torch.ones(2, dtype=torch.float64, requires_grad=True)
    changed = to_torch(new, export=True)  # a changed op: the name now runs it
    assert registrations == ["opgrad::scaled"]
    assert torch.ops.opgrad.scaled(x).tolist() == [3.0, 3.0] == changed(x).tolist()
    with pytest.raises(BridgeError, match=r"torch.ops.opgrad.scaled now runs another op named "
                       r"'scaled' .* call to_torch\(op, export=True\) again"):
        first(x)
    assert torch.autograd.grad(changed(x).sum(), x)[0].tolist() == [3.0, 3.0]
    layer = to_torch_module(new, export=True)  # a layer asks to_torch at each call:
    to_torch(old, export=True)  # when its op is replaced,
    assert layer(x).tolist() == [3.0, 3.0]  # it registers its own again
    assert registrations == ["opgrad::scaled"] * 3


@pytest.mark.parametrize(("name", "why"), [("ünï", "is not ASCII"),
                                           ("name", "is an attribute of torch.ops.opgrad")])
def test_names_a_torch_schema_cannot_take_are_refused(torch: ModuleType, name: str,
                                                      why: str) -> None:
    op = declare_op(lambda x: x, "tests", {"name": name, "local_grads": lambda x, out: (1.0,),
                                           "formula": "d/dx x = 1"})
    assert to_torch(op)(torch.ones(1)).item() == 1.0  # the other flavours take any name
    with pytest.raises(BridgeError, match=rf"op '{name}' cannot be the custom op "
                       rf"torch.ops.opgrad.{name}: its name {why}.* under another name \(name="):
        to_torch(op, export=True)


def test_export_takes_no_forward_mode_and_no_fused(torch: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"to_torch\('tanh', export=True\) is a custom op: "
                       r"it takes no forward_mode=True"):
        to_torch("tanh", export=True, forward_mode=True)


def onnx_outputs(torch: ModuleType, onnxruntime: ModuleType, model: Any, x: Any) -> Any:
    program = torch.onnx.export(model.eval(), (x,), dynamo=True, verbose=False)
    session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    return torch.from_numpy(out)


def test_onnx_runs_the_straight_through_op_to_the_same_numbers(
        torch: ModuleType, onnxruntime: ModuleType, ste: Op, x: Any) -> None:
    model = ste_model(torch, to_torch_module(ste, export=True))
    assert torch.allclose(onnx_outputs(torch, onnxruntime, model, x), model(x),
                          rtol=1e-12, atol=1e-15)


def test_onnx_translates_an_op_whose_replaced_namesake_was_collected(
        torch: ModuleType, onnxruntime: ModuleType) -> None:
    def make(scale: float) -> Op:
        return declare_op(lambda x: scale * x, "notebook", {
            "name": "rescaled", "torch": lambda x: scale * x,
            "local_grads": lambda x, out: (scale,), "formula": f"d/dx {scale} x = {scale}"})

    to_torch(make(2.0), export=True)  # a notebook cell, then the same cell changed
    model = to_torch_module(make(3.0), export=True)
    gc.collect()  # the replaced definition goes whenever the collector runs
    x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
    assert onnx_outputs(torch, onnxruntime, model, x).tolist() == (3.0 * x).tolist()


def test_onnx_translates_every_registered_op(torch: ModuleType,
                                             onnxruntime: ModuleType) -> None:
    class Every(torch.nn.Module):  # type: ignore[name-defined,misc]  # torch is a fixture
        def __init__(self) -> None:
            super().__init__()
            self.functions = [(op, to_torch(op, export=True)) for op in OPS]

        def forward(self, x: Any) -> Any:
            return torch.stack([f(*(x[i] for i in range(op.arity)))
                                for op, f in self.functions])

    # float32: onnxruntime has no float64 Softplus. In every op's domain (log: x > 0).
    x = torch.rand(3, 5, dtype=torch.float32) + 0.5
    model = Every()
    assert torch.allclose(onnx_outputs(torch, onnxruntime, model, x), model(x),
                          rtol=1e-6, atol=1e-7)


def test_onnx_refuses_a_forward_it_cannot_trace_naming_the_op(
        torch: ModuleType, onnxruntime: ModuleType) -> None:
    op = declare_op(lambda x: 2.0 * x, "tests", {
        "name": "twice", "local_grads": lambda x, out: (2.0,), "formula": "d/dx 2x = 2",
        "torch": lambda x: x * 2.0 if x.sum().item() > -math.inf else x})
    model = to_torch_module(op, export=True).eval()
    with pytest.raises(torch.onnx.OnnxExporterError, match=r"op 'twice' cannot be exported to "
                       r"ONNX: its torch=<function .* failed when traced .* without .item\(\)"):
        torch.onnx.export(model, (torch.ones(3, dtype=torch.float64),), dynamo=True,
                          verbose=False)


def test_jax_export_keeps_the_rule_with_vjp_order_1(jax64: ModuleType, ste: Op) -> None:
    jax = jax64
    f = jax.jit(to_jax(ste))
    x = jax.numpy.linspace(-3.0, 3.0, 7)
    exported = jax.export.export(f)(jax.ShapeDtypeStruct(x.shape, x.dtype))
    loaded = jax.export.deserialize(exported.serialize(vjp_order=1))
    assert loaded.call(x).tolist() == [-1.0, -1.0, -1.0, 0.0, 1.0, 1.0, 1.0]
    assert jax.grad(lambda v: loaded.call(v).sum())(x).tolist() == [1.0] * 7  # the rule
    assert jax.grad(lambda v: v.clip(-1.0, 1.0).sum())(x).tolist() != [1.0] * 7  # not clamp's
