"""Random expression trees over the registered ops, and independent references.

A tree is ``("var", i)``, ``("const", c)`` or ``(op_name, child, ...)``. The
same tree is evaluated on Values (opgrad), on floats (each op's forward, for
finite differences) and on torch float64 tensors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

import opgrad
from opgrad.plugins.declaration import Op
from opgrad.plugins.registry import Registry

Tree = tuple[Any, ...]
N_VARS = 3
KINK_MARGIN = 1e-3
DOMAIN_MARGIN = 0.05


def trees(registry: Registry, max_leaves: int = 12) -> st.SearchStrategy[Tree]:
    """Expression trees whose inner nodes are drawn from every op in ``registry``."""
    leaves = st.one_of(
        st.tuples(st.just("var"), st.integers(0, N_VARS - 1)),
        st.tuples(st.just("const"), st.floats(-2.0, 2.0)),
    )
    ops = sorted(registry.values(), key=lambda op: op.name)

    def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        return st.one_of(
            [st.tuples(st.just(op.name), *[children] * op.arity) for op in ops]
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)


def points() -> st.SearchStrategy[list[float]]:
    """Values for the tree's variables."""
    return st.lists(st.floats(-2.0, 2.0), min_size=N_VARS, max_size=N_VARS)


def evaluate(tree: Tree, env: Sequence[Any], call: Callable[[str, list[Any]], Any]) -> Any:
    """The tree's value, with ``call(op_name, args)`` applying each op."""
    kind = tree[0]
    if kind == "var":
        return env[tree[1]]
    if kind == "const":
        return tree[1]
    return call(kind, [evaluate(child, env, call) for child in tree[1:]])


def opgrad_call(name: str, args: list[Any]) -> Any:
    return getattr(opgrad.ops, name)(*args)


def float_call(registry: Registry) -> Callable[[str, list[Any]], float]:
    return lambda name, args: registry[name].forward(*map(float, args))


def torch_call(torch: Any, registry: Registry) -> Callable[[str, list[Any]], Any]:
    from opgrad.testing.torch_compare import torch_function

    def call(name: str, args: list[Any]) -> Any:
        function = torch_function(name, torch)
        tensors = [a if torch.is_tensor(a) else torch.tensor(a, dtype=torch.float64) for a in args]
        return function(*tensors)

    return call


def well_conditioned(root: opgrad.Value, registry: Registry) -> bool:
    """True if every op input is inside its domain and away from kinks and overflow."""
    for node in opgrad.topological_order(root):
        if not math.isfinite(node.data) or abs(node.data) > 1e3:
            return False
        if node.op and not _inputs_ok(registry[node.op], [p.data for p in node.parents]):
            return False
    return True


def _inputs_ok(op: Op, inputs: list[float]) -> bool:
    for x, (lo, hi) in zip(inputs, op.domain, strict=True):
        if not lo + DOMAIN_MARGIN < x < hi - DOMAIN_MARGIN:
            return False
    return all(abs(x - kink) > KINK_MARGIN for x in inputs for kink in op.kinks)


def build(tree: Tree, point: Sequence[float], registry: Registry) -> tuple[Any, list[Any]]:
    """The tree on Values at ``point``; rejects (hypothesis ``assume``) ill-posed draws."""
    xs = [opgrad.Value(v) for v in point]
    try:
        out = evaluate(tree, xs, opgrad_call)
    except ValueError:
        assume(False)
    assume(isinstance(out, opgrad.Value) and well_conditioned(out, registry))
    return out, xs


def tree_loss(tree: Tree, point: Sequence[float], registry: Registry
              ) -> tuple[Callable[[], Any], list[opgrad.Value]]:
    """The tree as a loss over leaves at ``point`` (rejecting ill-posed draws), and them."""
    build(tree, point, registry)
    leaves = [opgrad.Value(v) for v in point]
    return lambda: evaluate(tree, leaves, opgrad_call) + 0.0 * leaves[0], leaves


def repeated_trees(kinds: Sequence[Tree], point: Sequence[float], constants: Sequence[float],
                   registry: Registry) -> tuple[Callable[[], Any], list[opgrad.Value]]:
    """A loss over one copy of a tree per constant (the trees taking turns), over two
    shared leaves: repeated regions, of one kind or interleaved kinds; and the leaves.
    Rejects (hypothesis ``assume``) ill-posed draws."""
    for k, c in enumerate(constants):
        build(kinds[k % len(kinds)], [*point[:2], c], registry)
    leaves = [opgrad.Value(v) for v in point[:2]]

    def loss() -> Any:
        copies = [evaluate(kinds[k % len(kinds)], [*leaves, opgrad.Value(c)], opgrad_call)
                  for k, c in enumerate(constants)]
        return sum(copies, 0.0 * leaves[0]) * leaves[1]

    return loss, leaves

