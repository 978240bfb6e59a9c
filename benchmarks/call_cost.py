"""What one op call costs: built-in operators and methods, and a notebook-registered op.

    python benchmarks/call_cost.py

Each row is the best of three loops of the same call; the peer, measured in
the same run, is a hard-coded node (the engine's own ``make_node``, no
registry, no checks), so the ratio is what dispatch through the plugin
layer adds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import opgrad
from opgrad.core import make_node

ROUNDS = 200_000


def _loop(call: Callable[[], Any], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        call()
    return (time.perf_counter() - start) / rounds


def best(call: Callable[[], Any], rounds: int = ROUNDS) -> float:
    """Seconds per call, the best of three loops."""
    return min(_loop(call, rounds) for _ in range(3))


def rows(rounds: int = ROUNDS) -> list[tuple[str, float]]:
    """(what, seconds per call) for each measured call, the hard-coded peer first."""
    with opgrad.use_registry(opgrad.build_registry(autoload=False)):
        # A plugin op as a notebook user registers it.
        opgrad.register(lambda x: math.log1p(math.exp(x)), name="softplus_bench",
                        local_grads=lambda x, out: (1.0 - opgrad.ops.exp(-out),),
                        formula="d/dx softplus(x) = sigmoid(x)")
        return measure(rounds)


def measure(rounds: int) -> list[tuple[str, float]]:
    mul = opgrad.default_registry()["mul"]
    a, b = opgrad.Value(1.5), opgrad.Value(2.5)
    return [
        ("hard-coded node (peer)", best(lambda: make_node(a.data * b.data, mul, a, b), rounds)),
        ("a * b", best(lambda: a * b, rounds)),
        ("a.tanh()", best(lambda: a.tanh(), rounds)),
        ("a.softplus_bench() (plugin method)", best(lambda: a.softplus_bench(), rounds)),
        ("opgrad.ops.tanh(a)", best(lambda: opgrad.ops.tanh(a), rounds)),
    ]


def report(rounds: int = ROUNDS) -> None:
    """Print each call's cost and its ratio to the hard-coded node."""
    measured = rows(rounds)
    peer = measured[0][1]
    for what, seconds in measured:
        print(f"{what:<38} {seconds * 1e9:7.0f} ns  ({seconds / peer:.2f}x the hard-coded node)")


if __name__ == "__main__":
    report()
