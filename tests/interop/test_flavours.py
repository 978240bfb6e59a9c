"""The flavour table of docs/plugins.md, cell by cell: each cell's first word ("yes", "no",
"warns") is what running that transform on that flavour does here.

The op is sigmoid (a smooth op whose rule is its derivative), except for the export
row, which needs the straight-through op (its rule is not its forward's derivative).
DDP's row is tested by tests/interop/test_ddp.py, whose model has a layer of each flavour.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from opgrad.interop import InlinedRuleWarning, to_torch
from opgrad.plugins.declaration import declare_op
from tests.interop.conftest import STE
from tests.interop.ste_plugin import ste, straight_through

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
FLAVOURS: dict[str, dict[str, bool]] = {
    "`to_torch(op)`": {}, "`forward_mode=True`": {"forward_mode": True},
    "`fused=True`": {"fused": True}, "`export=True`": {"export": True},
}
Check = Callable[[ModuleType, dict[str, bool]], str]

STE_OPTIONS: dict[str, Any] = {"name": STE.name, "torch": STE.torch, "kinks": STE.kinks,
                               "formula": STE.formula}


def flavour_table() -> dict[tuple[str, str], str]:
    """(transform, flavour) -> the cell's first word, from the table in docs/plugins.md."""
    lines = DOC.read_text().split("| transform |", 1)[1].split("\n\n", 1)[0].splitlines()
    header = [cell.strip() for cell in lines[0].strip(" |").split("|")]
    cells = {}
    for line in lines[2:]:
        transform, *row = (cell.strip() for cell in line.strip(" |").split("|"))
        for flavour, cell in zip(header, row, strict=True):
            cells[transform, flavour] = re.match(r"\w+", cell).group()  # type: ignore[union-attr]
    return cells


def sigmoid_inputs(torch: ModuleType) -> Any:
    return torch.linspace(-3.0, 3.0, 7, dtype=torch.float64)


def expected_grad(torch: ModuleType, x: Any) -> Any:
    s = torch.sigmoid(x)
    return s * (1.0 - s)


def outcome(passed: Callable[[], bool], refusal: type[BaseException],
            message: str = "") -> str:
    """"yes" if ``passed()``, "no" if it raises ``refusal`` matching ``message``."""
    try:
        return "yes" if passed() else "wrong numbers"
    except refusal as exc:
        assert re.search(message, str(exc)), exc
        return "no"


def backward(torch: ModuleType, flavour: dict[str, bool]) -> str:
    x = sigmoid_inputs(torch).requires_grad_()
    to_torch("sigmoid", **flavour)(x).sum().backward()
    return "yes" if torch.allclose(x.grad, expected_grad(torch, x.detach())) else "no"


def gradchecks(torch: ModuleType, flavour: dict[str, bool]) -> str:
    f, x = to_torch("sigmoid", **flavour), sigmoid_inputs(torch).requires_grad_()
    return "yes" if torch.autograd.gradcheck(f, (x,)) and torch.autograd.gradgradcheck(
        f, (x,)) else "no"


def vmap(torch: ModuleType, flavour: dict[str, bool]) -> str:
    f, x = to_torch("sigmoid", **flavour), sigmoid_inputs(torch).reshape(7, 1).expand(7, 2)
    return "yes" if torch.allclose(torch.func.vmap(f)(x), torch.sigmoid(x)) else "no"


def vmap_of_grad(torch: ModuleType, flavour: dict[str, bool]) -> str:
    f, x = to_torch("sigmoid", **flavour), sigmoid_inputs(torch)
    return outcome(lambda: torch.allclose(torch.func.vmap(torch.func.grad(f))(x),
                                          expected_grad(torch, x)),
                   NotImplementedError, r"does not run under torch.func's gradients .*use "
                   r"to_torch\('sigmoid'\)")


def fullgraph_compile(torch: ModuleType, flavour: dict[str, bool]) -> str:
    f, x = to_torch("sigmoid", **flavour), sigmoid_inputs(torch).requires_grad_()
    compiled = torch.compile(lambda v: f(v) * v, fullgraph=True, backend="aot_eager")

    def same() -> bool:
        (grad,) = torch.autograd.grad(compiled(x).sum(), x)
        s = torch.sigmoid(x.detach())
        return bool(torch.allclose(grad, expected_grad(torch, x.detach()) * x.detach() + s))

    return outcome(same, torch._dynamo.exc.Unsupported, "jvp")


def jvp(torch: ModuleType, flavour: dict[str, bool]) -> str:
    f, x = to_torch("sigmoid", **flavour), sigmoid_inputs(torch)
    return outcome(lambda: torch.allclose(torch.func.jvp(f, (x,), (torch.ones_like(x),))[1],
                                          expected_grad(torch, x)),
                   NotImplementedError, r"has no forward mode .*forward_mode=True")


def torch_export(torch: ModuleType, flavour: dict[str, bool]) -> str:
    # A fresh straight-through op each time: the warning comes once per op.
    op = declare_op(ste, "tests", {**STE_OPTIONS, "local_grads": straight_through})
    f = to_torch(op, **flavour)

    class Model(torch.nn.Module):  # type: ignore[name-defined,misc]  # torch is a fixture
        def forward(self, x: Any) -> Any:
            return f(x)

    x = sigmoid_inputs(torch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        program = torch.export.export(Model(), (x,))
    warned = any(isinstance(w.message, InlinedRuleWarning) for w in caught)
    leaf = x.clone().requires_grad_()
    (grad,) = torch.autograd.grad(program.module()(leaf).sum(), leaf)
    kept = torch.equal(grad, torch.ones_like(x))  # the rule; clamp's gradient has zeros
    assert warned != kept, "a flavour that loses the rule must warn, one that keeps it not"
    return "yes" if kept else "warns"


def onnx(torch: ModuleType, flavour: dict[str, bool]) -> str:
    import onnxruntime

    f = to_torch("sigmoid", **flavour)

    class Model(torch.nn.Module):  # type: ignore[name-defined,misc]  # torch is a fixture
        def forward(self, x: Any) -> Any:
            return f(x)

    x = sigmoid_inputs(torch)
    program = torch.onnx.export(Model().eval(), (x,), dynamo=True, verbose=False)
    session = onnxruntime.InferenceSession(program.model_proto.SerializeToString())
    (out,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    return "yes" if torch.allclose(torch.from_numpy(out), torch.sigmoid(x)) else "no"


CHECKS: dict[str, Check] = {
    "`backward()`": backward,
    "`gradcheck`, `gradgradcheck`": gradchecks,
    "`torch.func.vmap`": vmap,
    "`torch.func.grad`, `vmap(grad(...))`": vmap_of_grad,
    "`torch.compile(..., fullgraph=True)`": fullgraph_compile,
    "`torch.func.jvp`, `jacfwd`": jvp,
    "`torch.export`": torch_export,
    "`torch.onnx.export(..., dynamo=True)`": onnx,
}
TESTED_ELSEWHERE = {"`DistributedDataParallel`": "tests/interop/test_ddp.py"}


def test_the_table_has_a_row_per_transform_and_a_column_per_flavour() -> None:
    table = flavour_table()
    assert {transform for transform, _ in table} == set(CHECKS) | set(TESTED_ELSEWHERE)
    assert {flavour for _, flavour in table} == set(FLAVOURS)
    assert all(table[row, flavour] == "yes" for row in TESTED_ELSEWHERE for flavour in FLAVOURS)


@pytest.mark.parametrize("flavour", FLAVOURS)
@pytest.mark.parametrize("transform", CHECKS)
def test_each_cell_says_what_happens(torch: ModuleType, onnxruntime: ModuleType,
                                     transform: str, flavour: str) -> None:
    assert CHECKS[transform](torch, FLAVOURS[flavour]) == flavour_table()[transform, flavour]
