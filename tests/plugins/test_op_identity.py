"""A node carries its op: tools read it from the node, whichever registry is active."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import opgrad
from opgrad.plugins.declaration import Op, op_of


def registered_elsewhere(name: str, rule: Callable[..., Any]) -> tuple[Callable[..., Any], Op]:
    """x^3 registered as ``name`` in a registry that is active only while registering."""
    registry = opgrad.build_registry(autoload=False)
    with opgrad.use_registry(registry):
        function = opgrad.register(lambda x: x * x * x, name=name, local_grads=rule,
                                   formula=f"d/dx {name}(x) = 3x^2")
    assert name not in opgrad.default_registry()
    return function, registry[name]


def cube_graph() -> tuple[opgrad.Value, opgrad.Value, Op]:
    cube, op = registered_elsewhere("cube", lambda x, out: (3.0 * x * x,))
    a = opgrad.Value(2.0, label="a")
    return a, cube(a) + a, op


def test_the_node_holds_the_declaration_read_only() -> None:
    a, y, cube = cube_graph()
    assert y.parents[0].declaration is cube
    assert op_of(y.parents[0]) is cube
    assert a.declaration is None and op_of(a) is None
    with pytest.raises(AttributeError):
        y.declaration = cube  # type: ignore[misc]  # the point: it is read-only


def test_explain_works_after_the_registry_is_swapped() -> None:
    _, y, _ = cube_graph()
    text = opgrad.viz.explain(y)
    assert "rule: d/dx cube(x) = 3x^2" in text
    assert text.endswith("dn2/da = 13")  # 3 * 2^2 + 1


def test_compile_works_after_the_registry_is_swapped() -> None:
    a, y, _ = cube_graph()
    step = opgrad.compile(lambda: y)  # traces the graph built above
    assert step() == 10.0
    assert a.grad == 13.0


def test_gradcheck_names_the_suspect_op_from_the_node() -> None:
    badcube, _ = registered_elsewhere("badcube", lambda x, out: (2.0 * x * x,))
    with pytest.raises(opgrad.testing.GradcheckError, match="suspect op 'badcube'"):
        opgrad.testing.gradcheck(lambda x: badcube(x), [1.5])
