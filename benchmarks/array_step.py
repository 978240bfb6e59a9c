"""opgrad.compile(fn, backend="numpy") against hand-written NumPy and PyTorch, side by side.

    python benchmarks/array_step.py            # the rows, the 64,64 row and the scaling table
    python benchmarks/array_step.py --quick    # one round of the moons rows (CI)

(``benchmarks/moons_step.py`` runs the same after its own rows.)

The step: the micrograd demo's loss (100 moons points, MLP 2-16-16-1 built
from scalar Values, hinge + 1e-4 L2) and every parameter's gradient, the
parameters' ``.grad`` zeroed first; no update, so every step computes the
same numbers and every engine must agree on the loss. Peers: the same
model written by hand in NumPy (float64 arrays, gradients by hand), and
PyTorch autograd on float64 tensors. Engines alternate within each round;
medians of all steps are compared, and the ratios printed.

In the moons rows and the scaling table the numpy backend's model keeps its
parameters in one ``ParameterStore`` (as ``MLP(..., stored=True)`` does),
which it reads and writes as arrays; the scalar backend's has plain Values,
which it reads faster one by one. The scaling table also times the numpy
backend on plain Values; the spiral row runs both backends on one plain MLP.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import operator
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy
from moons_step import CompiledEngine, Engine, _peak_rss_mb, make_moons

import opgrad

ROUNDS, STEPS = 7, 20  # rounds of STEPS steps per engine, engines taking turns


class ArrayEngine(CompiledEngine):
    """opgrad.compile(..., backend="numpy"), or the scalar backend: zero grads, one step.

    ``stored``: the parameters live in one ``opgrad.nn.ParameterStore``, layer by layer
    (weights row by row, then biases), as ``opgrad.nn.MLP(..., stored=True)`` keeps them.
    """

    def __init__(self, name: str, widths: list[int], backend: str, stored: bool = False) -> None:
        super().__init__(name, opgrad.Value, widths)
        self.backend = backend
        self.store = self._stored() if stored else None

    def _stored(self) -> opgrad.nn.ParameterStore:
        order = [p for layer in self.layers
                 for p in [*(w for ws, _ in layer for w in ws), *(b for _, b in layer)]]
        store = opgrad.nn.ParameterStore(p.data for p in order)
        twin = dict(zip(map(id, order), store, strict=True))
        self.layers = [[([twin[id(w)] for w in ws], twin[id(b)]) for ws, b in layer]
                       for layer in self.layers]
        self.params = [twin[id(p)] for p in self.params]
        return store

    def zero_grad(self) -> None:
        if self.store is None:
            super().zero_grad()
        else:
            self.store.zero_grad()

    def compile(self, xs: list[list[float]], ys: list[float]) -> float:
        start, cpu = time.perf_counter(), time.process_time()
        self.compiled = opgrad.compile(lambda: self.loss(xs, ys), backend=self.backend)
        self.compile_cpu = time.process_time() - cpu
        return time.perf_counter() - start

    def gradients(self, xs: list[list[float]], ys: list[float]) -> float:
        self.zero_grad()
        return self.compiled()


class HandNumpy:
    """The same model and loss in NumPy, gradients written by hand."""

    def __init__(self, engine: Engine, xs: list[list[float]], ys: list[float]) -> None:
        self.x, self.y = numpy.array(xs), numpy.array(ys)
        self.layers = [(numpy.array([[w.data for w in ws] for ws, _ in layer]),
                        numpy.array([b.data for _, b in layer])) for layer in engine.layers]

    def gradients(self, xs: list[list[float]], ys: list[float]) -> float:
        h, inputs, pre = self.x, [], []
        for k, (w, b) in enumerate(self.layers):
            inputs.append(h)
            z = h @ w.T + b
            pre.append(z)
            h = z if k == len(self.layers) - 1 else numpy.maximum(z, 0.0)
        margin = 1.0 - self.y * h[:, 0]
        squares = sum(float((w * w).sum() + (b * b).sum()) for w, b in self.layers)
        loss = float(numpy.maximum(margin, 0.0).mean()) + 1e-4 * squares
        grad = ((margin > 0.0) * -self.y / len(self.y))[:, None]
        self.grads = []
        for k in reversed(range(len(self.layers))):
            w, b = self.layers[k]
            if k < len(self.layers) - 1:
                grad = grad * (pre[k] > 0.0)
            self.grads.append((grad.T @ inputs[k] + 2e-4 * w, grad.sum(0) + 2e-4 * b))
            grad = grad @ w
        return loss


class TorchBatched:
    """The same model and loss as PyTorch float64 tensors, differentiated by autograd."""

    def __init__(self, engine: Engine, xs: list[list[float]], ys: list[float]) -> None:
        import torch

        self.torch = torch
        self.x = torch.tensor(xs, dtype=torch.float64)
        self.y = torch.tensor(ys, dtype=torch.float64)
        self.layers = [(torch.tensor([[w.data for w in ws] for ws, _ in layer],
                                     dtype=torch.float64, requires_grad=True),
                        torch.tensor([b.data for _, b in layer], dtype=torch.float64,
                                     requires_grad=True)) for layer in engine.layers]

    def gradients(self, xs: list[list[float]], ys: list[float]) -> float:
        h = self.x
        for k, (w, b) in enumerate(self.layers):
            w.grad = b.grad = None
            z = h @ w.T + b
            h = z if k == len(self.layers) - 1 else z.relu()
        data_loss = (1.0 - self.y * h[:, 0]).relu().mean()
        loss = data_loss + 1e-4 * sum((w * w).sum() + (b * b).sum() for w, b in self.layers)
        loss.backward()
        return float(loss.item())


def interleaved(engines: dict[str, Any], xs: list[list[float]], ys: list[float],
                rounds: int, steps: int) -> dict[str, float]:
    """Median seconds per step of each engine, taking turns; all must agree on the loss."""
    times: dict[str, list[float]] = {name: [] for name in engines}
    losses: dict[str, float] = {}
    for engine in engines.values():
        engine.gradients(xs, ys)  # warm: first calls allocate, fill caches
    for _ in range(rounds):
        for name, engine in engines.items():
            gc.collect()
            for _ in range(steps):
                start = time.perf_counter()
                losses[name] = engine.gradients(xs, ys)
                times[name].append(time.perf_counter() - start)
    reference = losses[next(iter(losses))]
    for name, loss in losses.items():
        if not math.isnan(loss) and not math.isclose(loss, reference, rel_tol=1e-9):
            raise SystemExit(f"{name} gives the loss {loss!r}, the others {reference!r}")
    return {name: statistics.median(ts) for name, ts in times.items()}


def engines_for(widths: list[int], xs: list[list[float]], ys: list[float],
                with_torch: bool) -> dict[str, Any]:
    numpy_step = ArrayEngine("numpy", widths, "numpy", stored=True)
    found: dict[str, Any] = {"opgrad.compile, backend numpy": numpy_step,
                             "hand-written NumPy": HandNumpy(numpy_step, xs, ys)}
    if with_torch:
        try:
            found["torch autograd, float64 tensors"] = TorchBatched(numpy_step, xs, ys)
        except ImportError:
            print("(torch is not installed: no torch row)")
    return found


def moons_rows(rounds: int, steps: int, with_torch: bool) -> None:
    """Target 1 (the step against its peers) and target 2 (building it)."""
    xs, ys = make_moons(100, 0.1, seed=0)
    engines = engines_for([2, 16, 16, 1], xs, ys, with_torch)
    scalar = ArrayEngine("scalar", [2, 16, 16, 1], "scalar")
    engines["opgrad.compile, scalar backend"] = scalar
    builds: dict[str, list[float]] = {"numpy": [], "scalar": [], "numpy cpu": [], "scalar cpu": []}
    for _ in range(rounds):  # cold builds, taking turns
        for engine in (engines["opgrad.compile, backend numpy"], scalar):
            gc.collect()
            builds[engine.backend].append(engine.compile(xs, ys))
            builds[f"{engine.backend} cpu"].append(engine.compile_cpu)
    median = interleaved(engines, xs, ys, rounds, steps)
    mine = median["opgrad.compile, backend numpy"]
    print(f"moons step, MLP 2-16-16-1, loss and all gradients (grads zeroed first); {rounds} "
          f"rounds of {steps} steps, engines alternating; the losses agree")
    print("| engine | median us/step | time / numpy backend's |")
    print("|---|---:|---:|")
    for name, seconds in median.items():
        print(f"| {name} | {seconds * 1e6:.0f} | {seconds / mine:.2f}x |")
    build = {k: statistics.median(v) for k, v in builds.items()}
    print(f"| target | measured | ratio | target |\n|---|---:|---:|---:|\n"
          f"| numpy backend / hand-written NumPy | {mine * 1e6:.0f} us / "
          f"{median['hand-written NumPy'] * 1e6:.0f} us | "
          f"{mine / median['hand-written NumPy']:.2f}x | <= 2x |")
    print(f"| scalar backend / numpy backend | {median['opgrad.compile, scalar backend'] * 1e6:.0f}"
          f" us / {mine * 1e6:.0f} us | {median['opgrad.compile, scalar backend'] / mine:.1f}x "
          "| >= 10x |")
    if "torch autograd, float64 tensors" in median:
        torch_s = median["torch autograd, float64 tensors"]
        print(f"| torch autograd float64 / numpy backend | {torch_s * 1e6:.0f} us / "
              f"{mine * 1e6:.0f} us | {torch_s / mine:.2f}x | > 1x |")
    cpu = build["numpy cpu"] / build["scalar cpu"]
    print(f"| build: numpy / scalar backend, wall (CPU) | {build['numpy']:.3f} s / "
          f"{build['scalar']:.3f} s ({build['numpy cpu']:.3f} / {build['scalar cpu']:.3f}) | "
          f"{build['numpy'] / build['scalar']:.2f}x ({cpu:.2f}x) | <= 1x |")


def spiral_row(rounds: int) -> None:
    """Target 3: cross-entropy over 3 classes, against backward() and the scalar backend."""
    from opgrad.nn import DATASETS, MLP, outputs_and_loss

    data = DATASETS["spiral"](n=100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 3], seed=0)
    params = model.parameters()
    steps = {b: opgrad.compile(lambda: outputs_and_loss(model, data, "cross-entropy", 1e-4),
                               backend=b) for b in ("numpy", "scalar")}
    model.zero_grad()
    outputs_and_loss(model, data, "cross-entropy", 1e-4)[0].backward()
    want = [p.grad for p in params]
    model.zero_grad()
    steps["numpy"]()
    got = [p.grad for p in params]
    scale = max(abs(g) for g in want)
    worst = max(abs(a - b) / max(abs(b), scale) for a, b in zip(got, want, strict=True))
    times: dict[str, list[float]] = {b: [] for b in steps}
    for _ in range(rounds):
        for backend, step in steps.items():
            for _ in range(10):
                model.zero_grad()
                start = time.perf_counter()
                step()
                times[backend].append(time.perf_counter() - start)
    m = {b: statistics.median(ts) for b, ts in times.items()}
    print(f"| spiral 3 classes, MLP 2-16-16-3, cross-entropy: scalar / numpy backend | "
          f"{m['scalar'] * 1e6:.0f} us / {m['numpy'] * 1e6:.0f} us | "
          f"{m['scalar'] / m['numpy']:.1f}x | >= 3x |")
    print(f"| its gradients against backward(): largest difference / largest gradient | "
          f"{worst:.1e} | | <= 1e-12 |")


def scale_one(width: int, mode: str) -> None:
    """In a fresh process: build one step (numpy, numpy on plain Values, or scalar), time
    it; print JSON."""
    xs, ys = make_moons(100, 0.1, seed=0)
    widths = [2, width, width, 1]
    backend = mode.removesuffix("-plain")  # numpy-plain: the parameters as plain Values
    engine = ArrayEngine(mode, widths, backend, stored=mode == "numpy")
    row: dict[str, float] = {"build_s": engine.compile(xs, ys), "build_cpu": engine.compile_cpu,
                             "nodes": engine.compiled.nodes, "peak_mb": _peak_rss_mb()}
    if backend == "numpy":
        peers = {"numpy": engine, "hand": HandNumpy(engine, xs, ys),
                 "io": ValueIO(engine.compiled.leaves)}
        median = interleaved(peers, xs, ys, 5, 10)
        row.update(step_s=median["numpy"], hand_s=median["hand"], io_s=median["io"])
    print(json.dumps(row))


class ValueIO:
    """What the step spends on the parameters outside the array code: zeroing their grads,
    reading their data, adding their gradients (the same code as the generated step: for
    parameters in one store, a slice assignment, a view and one array addition; for plain
    Values, a Python loop over them)."""

    def __init__(self, leaves: list[opgrad.Value]) -> None:
        self.leaves = leaves
        self.data_of = operator.attrgetter("data")
        stores = {id(p.store): p.store for p in leaves if isinstance(p, opgrad.nn.StoredParameter)}
        self.store = next(iter(stores.values())) if len(stores) == 1 else None
        if self.store is not None and len(self.store) != len(leaves):
            raise SystemExit("the step's leaves are not exactly one store's parameters")

    def gradients(self, xs: list[list[float]], ys: list[float]) -> float:
        if self.store is not None:
            self.store.zero_grad()
            x = numpy.frombuffer(self.store.data, dtype=numpy.float64)
            if self.store.all_float:
                numpy.frombuffer(self.store.grad, dtype=numpy.float64)[:] += x
            return math.nan
        for leaf in self.leaves:
            leaf.grad = 0.0
        x = numpy.fromiter(map(self.data_of, self.leaves), float, len(self.leaves))
        for leaf, gradient in zip(self.leaves, x.tolist(), strict=True):
            leaf.grad += gradient
        return math.nan  # no loss


def _scale_row(width: int, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--scale-one", str(width), mode],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def scaling(widths: list[int]) -> None:
    """Targets 4 and 5: the 64,64 model, and how the numpy backend grows (fresh processes)."""
    print("| hidden widths | nodes | build s numpy (CPU) | build s scalar (CPU) | peak MB numpy | "
          "peak MB scalar | step us (of which parameters' data and grads) | hand-written NumPy "
          "us | ratio | step us on plain Values (of which their data and grads) | its ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for width in widths:
        mine, scalar = _scale_row(width, "numpy"), _scale_row(width, "scalar")
        plain = _scale_row(width, "numpy-plain")
        print(f"| {width},{width} | {mine['nodes']:.0f} | {mine['build_s']:.2f} "
              f"({mine['build_cpu']:.2f}) | {scalar['build_s']:.2f} ({scalar['build_cpu']:.2f}) | "
              f"{mine['peak_mb']:.0f} | {scalar['peak_mb']:.0f} | {mine['step_s'] * 1e6:.0f} "
              f"({mine['io_s'] * 1e6:.0f}) | "
              f"{mine['hand_s'] * 1e6:.0f} | {mine['step_s'] / mine['hand_s']:.2f}x | "
              f"{plain['step_s'] * 1e6:.0f} ({plain['io_s'] * 1e6:.0f}) | "
              f"{plain['step_s'] / plain['hand_s']:.2f}x |")


def run(quick: bool, with_torch: bool = True, rounds: int = ROUNDS) -> None:
    """The rows (one short round with ``quick``), then the spiral, 64,64 and scaling rows."""
    moons_rows(1 if quick else rounds, 5 if quick else STEPS, with_torch)
    spiral_row(1 if quick else rounds)
    if not quick:
        scaling([8, 16, 32, 64])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round, no scaling")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--no-torch", action="store_true", help="leave torch out")
    parser.add_argument("--scale-one", nargs=2, metavar=("WIDTH", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_one:
        scale_one(int(args.scale_one[0]), args.scale_one[1])
        return
    run(args.quick, not args.no_torch, args.rounds)


if __name__ == "__main__":
    main()

