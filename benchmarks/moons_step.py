"""The micrograd demo's training step on opgrad and micrograd 0.1.0, side by side.

    pip install micrograd==0.1.0
    python benchmarks/moons_step.py [--rounds 5]

One step: 100 moons points, an MLP 2-16-16-1 built from scalar Values
(the same Python code for both engines), hinge loss + 1e-4 L2, full batch,
backward, SGD update. Engines alternate each round; medians are compared.
Memory: tracemalloc over one forward pass, divided by the nodes it made.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def make_moons(n: int, noise: float, seed: int) -> tuple[list[list[float]], list[float]]:
    """Two interleaved half circles, labels -1 / +1 (no scikit-learn)."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        upper = i % 2 == 0
        x = math.cos(t) if upper else 1.0 - math.cos(t)
        y = math.sin(t) if upper else 0.5 - math.sin(t)
        xs.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(-1.0 if upper else 1.0)
    return xs, ys


class Engine:
    """A Value class and the micrograd-shaped MLP built from it."""

    def __init__(self, name: str, value: Any, seed: int = 1337) -> None:
        self.name, self.value = name, value
        rng = random.Random(seed)
        widths = [2, 16, 16, 1]
        self.layers = [
            [([value(rng.uniform(-1, 1)) for _ in range(nin)], value(0.0)) for _ in range(nout)]
            for nin, nout in itertools.pairwise(widths)
        ]
        self.params = [p for layer in self.layers for w, b in layer for p in [*w, b]]

    def forward(self, x: list[Any]) -> Any:
        for index, layer in enumerate(self.layers):
            last = index == len(self.layers) - 1
            outs = []
            for w, b in layer:
                act = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)
                outs.append(act if last else act.relu())
            x = outs
        return x[0]

    def loss(self, xs: list[list[float]], ys: list[float]) -> Any:
        value = self.value
        scores = [self.forward([value(a), value(b)]) for a, b in xs]
        losses = [(1 + -y * s).relu() for y, s in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + 1e-4 * sum(p * p for p in self.params)

    def step(self, xs: list[list[float]], ys: list[float], lr: float = 0.01) -> float:
        loss = self.loss(xs, ys)
        for p in self.params:
            p.grad = 0.0
        loss.backward()
        for p in self.params:
            p.data -= lr * p.grad
        return float(loss.data)


def count_nodes(root: Any) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        parents = node.parents if hasattr(node, "parents") else node._prev
        for parent in parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def bytes_per_node(engine: Engine, xs: list[list[float]], ys: list[float]) -> float:
    gc.collect()
    tracemalloc.start()
    loss = engine.loss(xs, ys)
    retained, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return retained / count_nodes(loss)


def timed(step: Callable[[], object]) -> float:
    # Start each step from a clean heap: micrograd's graphs hold reference
    # cycles, and their garbage would otherwise be traced during the other
    # engine's step.
    gc.collect()
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def registry_cost(rounds: int = 200_000) -> tuple[float, float]:
    """Seconds per ``a * b`` through the registry binding vs a hard-coded op."""
    from opgrad import Value, default_registry
    from opgrad.core import make_node

    mul = default_registry()["mul"]

    def hardcoded_mul(x: Value, y: Value) -> Value:
        return make_node(x.data * y.data, mul, x, y)

    a, b = Value(1.5), Value(2.5)
    bound = min(_loop(lambda: a * b, rounds) for _ in range(3))
    direct = min(_loop(lambda: hardcoded_mul(a, b), rounds) for _ in range(3))
    return bound, direct


def _loop(call: Callable[[], Any], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        call()
    return (time.perf_counter() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    args = parser.parse_args()
    import micrograd.engine

    import opgrad

    xs, ys = make_moons(100, 0.1, seed=0)
    engines = [Engine("opgrad", opgrad.Value), Engine("micrograd", micrograd.engine.Value)]
    times: dict[str, list[float]] = {e.name: [] for e in engines}
    losses: dict[str, list[float]] = {e.name: [] for e in engines}
    for _ in range(args.rounds):
        for engine in engines:
            times[engine.name].append(timed(lambda e=engine: losses[e.name].append(e.step(xs, ys))))
    if any(abs(a - b) > 1e-9 * abs(b) for a, b in zip(*losses.values(), strict=True)):
        raise SystemExit(f"the engines disagree on the loss: {losses}")
    memory = {e.name: bytes_per_node(e, xs, ys) for e in engines}
    nodes = count_nodes(engines[0].loss(xs, ys))
    median = {name: statistics.median(ts) for name, ts in times.items()}
    print(f"moons step, MLP 2-16-16-1, {nodes} nodes, {args.rounds} rounds alternating")
    print(f"{'engine':<10} {'median s/step':>14} {'bytes/node':>11}")
    for name in median:
        print(f"{name:<10} {median[name]:>14.4f} {memory[name]:>11.1f}")
    print(f"speed-up opgrad vs micrograd: {median['micrograd'] / median['opgrad']:.2f}x")
    print(f"memory per node opgrad/micrograd: {memory['opgrad'] / memory['micrograd']:.3f}")
    bound, direct = registry_cost()
    print(
        f"a * b via registry binding: {bound * 1e9:.0f} ns, hard-coded op: {direct * 1e9:.0f} ns "
        f"(registry overhead {bound / direct:.2f}x)"
    )


if __name__ == "__main__":
    main()
