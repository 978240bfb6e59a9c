"""``to_torch(op, fused=True)``: the eager backward runs the rule as one compiled kernel.

Each Inductor compile costs seconds, so the ops come from one module-scoped
registry and each fused bridge (cached by ``to_torch``) is compiled once here,
at its first eager backward.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

import opgrad
from opgrad.interop import FusedBackwardWarning, to_torch, to_torch_module
from opgrad.plugins.registry import Registry
from tests.conftest import optional


@pytest.fixture(scope="module")
def plugin_ops(torch: ModuleType) -> Registry:
    """The built-ins and the example plugin's ops (softplus, gelu), in a registry of their own."""
    extra_ops = optional("opgrad_extra_ops", "pip install -e examples/opgrad-extra-ops")
    registry = opgrad.build_registry(autoload=False)
    registry.add_plugin(extra_ops, name="opgrad-extra-ops")
    return registry


@pytest.fixture(scope="module")
def kernel_runs(torch: ModuleType) -> Iterator[Counter[str]]:
    """How often each compiled function ran (by name), with torch.compile itself unchanged."""
    runs: Counter[str] = Counter()
    real_compile = torch.compile

    def counting_compile(function: Callable[..., Any], **options: Any) -> Callable[..., Any]:
        compiled = real_compile(function, **options)

        def run(*args: Any) -> Any:
            result = compiled(*args)
            runs[function.__name__] += 1  # counted once it ran: a failed compile raises above
            return result

        return run

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch, "compile", counting_compile)
        yield runs


REFERENCES: dict[str, Callable[[Any, tuple[Any, ...]], Any]] = {
    "gelu": lambda torch, xs: torch.nn.functional.gelu(*xs, approximate="tanh"),
    "softplus": lambda torch, xs: torch.nn.functional.softplus(*xs),
    "pow": lambda torch, xs: xs[0] ** xs[1],
}


def inputs(torch: ModuleType, name: str) -> tuple[Any, ...]:
    """float64 inputs; pow's broadcast: a (3, 1) base against a (4,) exponent."""
    generator = torch.Generator().manual_seed(0)
    if name == "pow":
        base = torch.rand(3, 1, generator=generator, dtype=torch.float64) + 0.5
        return base, torch.linspace(-2.0, 2.0, 4, dtype=torch.float64)
    return (torch.linspace(-4.0, 4.0, 9, dtype=torch.float64),)


def gradients(torch: ModuleType, function: Callable[..., Any],
              xs: tuple[Any, ...]) -> tuple[Any, ...]:
    """d sum(w * function(*xs)) / d xs, with weights so that every output counts differently."""
    leaves = tuple(x.detach().clone().requires_grad_() for x in xs)
    out = function(*leaves)
    weights = torch.arange(1.0, out.numel() + 1.0, dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()
    return tuple(x.grad for x in leaves)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_the_fused_backward_gives_the_plain_and_the_reference_gradients(
        torch: ModuleType, plugin_ops: Registry, kernel_runs: Counter[str], name: str) -> None:
    op, xs = plugin_ops[name], inputs(torch, name)
    runs_before = kernel_runs[f"fused_backward_of_{name}"]
    fused = gradients(torch, to_torch(op, fused=True), xs)
    assert kernel_runs[f"fused_backward_of_{name}"] == runs_before + 1  # the kernel did it
    plain = gradients(torch, to_torch(op), xs)
    reference = gradients(torch, lambda *ys: REFERENCES[name](torch, ys), xs)
    for got, same, expected, x in zip(fused, plain, reference, xs, strict=True):
        assert got.shape == x.shape  # broadcasting undone (pow's base is (3, 1))
        assert torch.allclose(got, same, rtol=1e-14, atol=0.0)
        assert torch.allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_the_fused_backward_masks_a_nan_gradient_like_torch(
        torch: ModuleType, kernel_runs: Counter[str]) -> None:
    x = torch.tensor([math.nan, -1.0, -0.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    nans = torch.full((5,), math.nan, dtype=torch.float64)
    ours = torch.autograd.grad(to_torch("relu", fused=True)(x), x, nans)[0]
    theirs = torch.autograd.grad(torch.relu(x), x, nans)[0]
    assert kernel_runs["fused_backward_of_relu"] == 1
    assert torch.equal(ours.isnan(), theirs.isnan()) and ours[1:4].tolist() == [0.0] * 3
    # where's partials: the number 0.0 for the condition, tensors for the branches.
    held = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    a, b = (torch.ones(2, dtype=torch.float64, requires_grad=True) for _ in range(2))
    dc, da, db = torch.autograd.grad(to_torch("where", fused=True)(held, a, b), (held, a, b),
                                     nans[:2])
    assert kernel_runs["fused_backward_of_where"] == 1
    assert dc.tolist() == [0.0, 0.0] and da[1].item() == 0.0 == db[0].item()
    assert math.isnan(da[0].item()) and math.isnan(db[1].item())


def test_second_order_and_vmap_of_grad_use_the_plain_rule(
        torch: ModuleType, plugin_ops: Registry, kernel_runs: Counter[str]) -> None:
    gelu = to_torch(plugin_ops["gelu"], fused=True)
    (x,) = inputs(torch, "gelu")
    runs_before = kernel_runs["fused_backward_of_gelu"]
    assert torch.autograd.gradgradcheck(gelu, (x.requires_grad_(),))
    per_element = torch.func.vmap(torch.func.grad(gelu))(x.detach())
    (expected,) = gradients(torch, lambda y: REFERENCES["gelu"](torch, (y,)), (x,))
    (weighted,) = gradients(torch, gelu, (x,))  # weights 1..9: per_element * weight
    assert torch.allclose(per_element * torch.arange(1.0, 10.0, dtype=x.dtype), expected,
                          rtol=1e-12)
    assert torch.allclose(weighted, expected, rtol=1e-12)
    assert kernel_runs["fused_backward_of_gelu"] == runs_before + 1  # only the last backward


def test_the_backward_of_a_vmapped_forward_uses_the_plain_rule(
        torch: ModuleType, plugin_ops: Registry, kernel_runs: Counter[str]) -> None:
    # Its backward gets batched tensors with grad mode off: vmap's own rule, not the kernel.
    gelu = to_torch(plugin_ops["gelu"], fused=True)
    x = torch.linspace(-3.0, 3.0, 6, dtype=torch.float64).reshape(2, 3).requires_grad_()
    runs_before = kernel_runs["fused_backward_of_gelu"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FusedBackwardWarning)
        torch.func.vmap(gelu)(x).sum().backward()
    assert kernel_runs["fused_backward_of_gelu"] == runs_before
    (expected,) = gradients(torch, lambda y: REFERENCES["gelu"](torch, (y,)), (x,))
    assert torch.allclose(x.grad, expected / torch.arange(1.0, 7.0, dtype=x.dtype).reshape(2, 3),
                          rtol=1e-12)


def test_an_outer_fullgraph_compile_traces_the_plain_rule(
        torch: ModuleType, plugin_ops: Registry, kernel_runs: Counter[str]) -> None:
    gelu = to_torch(plugin_ops["gelu"], fused=True)

    def loss(x: Any) -> Any:
        return (gelu(x) * x).sum()

    x = torch.linspace(-3.0, 3.0, 7, dtype=torch.float64, requires_grad=True)
    eager = torch.autograd.grad(loss(x), x)
    runs_before = kernel_runs["fused_backward_of_gelu"]
    compiled = torch.autograd.grad(torch.compile(loss, fullgraph=True)(x), x)
    assert kernel_runs["fused_backward_of_gelu"] == runs_before  # fused by the outer compile
    assert torch.allclose(compiled[0], eager[0], rtol=1e-12, atol=0.0)


@pytest.fixture
def no_compiler(torch: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.compile failing as it does on a machine without a C++ compiler."""
    def failing_compile(function: Callable[..., Any], **options: Any) -> Callable[..., Any]:
        raise RuntimeError("no C++ compiler found")

    monkeypatch.setattr(torch, "compile", failing_compile)


@pytest.mark.usefixtures("no_compiler")
def test_a_failing_compile_warns_once_and_falls_back_to_the_plain_rule(
        torch: ModuleType, registry: Registry) -> None:
    opgrad.register(lambda x: x / (1.0 + abs(x)), name="softsign", torch="nn.functional.softsign",
                    local_grads=lambda x, out: ((1.0 - abs(out)) ** 2,),
                    formula="d/dx softsign(x) = (1 - |softsign(x)|)^2")

    softsign = to_torch("softsign", fused=True)  # compiles nothing yet: no failure here
    x = torch.linspace(-2.0, 2.0, 5, dtype=torch.float64, requires_grad=True)
    with pytest.warns(FusedBackwardWarning, match=r"opgrad op 'softsign': the fused backward "
                      r".* fell back to the plain rule .*RuntimeError: no C\+\+ compiler found"):
        softsign(x).sum().backward()
    expected = 1.0 / (1.0 + x.detach().abs()) ** 2
    assert torch.allclose(x.grad, expected, rtol=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once is enough: the next backwards are plain, quietly
        softsign(x).sum().backward()
    assert torch.allclose(x.grad, 2 * expected, rtol=1e-14)


def test_each_flavour_is_its_own_cached_bridge(torch: ModuleType) -> None:
    assert to_torch("tanh", fused=True) is to_torch("tanh", fused=True)
    assert to_torch_module("tanh", fused=True).function is to_torch("tanh", fused=True)
    assert to_torch("tanh", fused=True) is not to_torch("tanh")
    assert to_torch("tanh", forward_mode=True, fused=True) is not to_torch("tanh", fused=True)
    assert math.isclose(to_torch("tanh", fused=True)(torch.tensor(0.5)).item(), math.tanh(0.5),
                        rel_tol=1e-6)


@pytest.mark.usefixtures("no_compiler")
def test_an_error_of_the_rule_itself_is_raised_as_it_is(torch: ModuleType,
                                                        registry: Registry) -> None:
    def fragile_rule(x: Any, out: Any) -> tuple[Any]:
        if x.numel() > 3:  # the early check at to_torch uses 3 points: it passes
            raise ValueError("fragile's rule takes at most 3 elements")
        return (2.0 + 0.0 * x,)

    opgrad.register(lambda x: 2.0 * x, name="fragile", local_grads=fragile_rule,
                    formula="d/dx fragile(x) = 2")

    x = torch.ones(5, dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FusedBackwardWarning)  # not blamed on the fuser
        with pytest.raises(ValueError, match="fragile's rule takes at most 3 elements"):
            to_torch("fragile", fused=True)(x).sum().backward()
