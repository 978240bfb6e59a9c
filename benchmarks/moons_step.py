"""The micrograd demo's training step on every engine, side by side in one run.

    pip install micrograd==0.1.0 torch==2.13.0   # the peers (torch is optional)
    python benchmarks/moons_step.py              # full run: ~5 minutes
    python benchmarks/moons_step.py --quick      # one round, no end-to-end, no scaling
    python benchmarks/array_step.py              # only the numpy backend's rows

One step: 100 moons points, an MLP 2-16-16-1 built from scalar values (the
same Python code and the same initial weights for every engine), hinge loss
+ 1e-4 L2, full batch, backward, SGD update. Engines alternate within each
round and every step starts from a collected heap; medians are compared.
All engines must agree on the loss at every step, or the run stops.

Engines: micrograd 0.1.0 (the peer); torch scalar mode (0-d float64
tensors); opgrad dynamic as plain user code; opgrad dynamic the way
opgrad.nn.fit runs a step (collector paused: opgrad graphs have no cycles);
opgrad.compile (traced once, generated code per step).

Then micrograd's demo.ipynb itself (tests/compat/micrograd_demo.py: its
model, loss and training loop, learning rate schedule included) on micrograd
0.1.0 and, with only the imports changed, on opgrad.compat.micrograd, steps
alternating: both must agree on the loss (to 1e-12) and accuracy at every step.

Then the compile targets, as ratios measured in the same run: a notebook-
registered softplus activation against relu (both compiled), a graph made
only of notebook-registered ops (compiled against dynamic), compiling
against one dynamic step, `opgrad train` (compiled by default) end to end against
micrograd, and compile time and peak memory as the hidden width grows.
"""

from __future__ import annotations

import argparse
import functools
import gc
import itertools
import json
import math
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import call_cost

import opgrad

ROUNDS = 5
DEMO_STEPS, DEMO_QUICK_STEPS = 100, 3  # all of the notebook's steps; a few with --quick


def make_moons(n: int, noise: float, seed: int) -> tuple[list[list[float]], list[float]]:
    """Two interleaved half circles, labels -1 / +1 (no scikit-learn)."""
    data = opgrad.nn.make_moons(n, noise, seed)
    return data.x, data.signed_labels()


class Engine:
    """A value type and the micrograd-shaped MLP built from it (micrograd's own code shape)."""

    def __init__(self, name: str, value: Callable[[float], Any], widths: list[int],
                 seed: int = 1337, activation: str = "relu") -> None:
        self.name, self.value, self.activation = name, value, activation
        rng = random.Random(seed)
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
                outs.append(act if last else getattr(act, self.activation)())
            x = outs
        return x[0]

    def loss(self, xs: list[list[float]], ys: list[float]) -> Any:
        value = self.value
        scores = [self.forward([value(a), value(b)]) for a, b in xs]
        losses = [(1 + -y * s).relu() for y, s in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + 1e-4 * sum(p * p for p in self.params)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0

    def update(self, lr: float) -> None:
        for p in self.params:
            p.data -= lr * p.grad

    def step(self, xs: list[list[float]], ys: list[float], lr: float = 0.01) -> float:
        loss = self.loss(xs, ys)
        self.zero_grad()
        loss.backward()
        self.update(lr)
        return float(loss.data)


class PausedEngine(Engine):
    """opgrad's step as opgrad.nn.fit runs it: the cyclic collector paused."""

    def step(self, xs: list[list[float]], ys: list[float], lr: float = 0.01) -> float:
        with opgrad.gc_paused():
            return super().step(xs, ys, lr)


class CompiledEngine(Engine):
    """opgrad.compile: traced once (timed separately), then generated code each step."""

    def compile(self, xs: list[list[float]], ys: list[float]) -> float:
        start, cpu = time.perf_counter(), time.process_time()
        self.compiled = opgrad.compile(lambda: self.loss(xs, ys))
        self.compile_cpu = time.process_time() - cpu  # CPU seconds: robust to a busy machine
        return time.perf_counter() - start

    def step(self, xs: list[list[float]], ys: list[float], lr: float = 0.01) -> float:
        self.zero_grad()
        loss = self.compiled()
        self.update(lr)
        return loss


class TorchEngine(Engine):
    """PyTorch on the same scalar graph: every value a 0-d float64 tensor."""

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def update(self, lr: float) -> None:
        import torch

        with torch.no_grad():
            for p in self.params:
                p -= lr * p.grad

    def step(self, xs: list[list[float]], ys: list[float], lr: float = 0.01) -> float:
        loss = self.loss(xs, ys)
        self.zero_grad()
        loss.backward()
        self.update(lr)
        return float(loss.item())


def engines(widths: list[int], with_torch: bool) -> list[Engine]:
    import micrograd.engine

    found = [Engine("micrograd", micrograd.engine.Value, widths),
             Engine("opgrad dynamic", opgrad.Value, widths),
             PausedEngine("opgrad dynamic, gc paused", opgrad.Value, widths),
             CompiledEngine("opgrad compiled", opgrad.Value, widths)]
    if with_torch:
        try:
            import torch
        except ImportError:
            print("(torch is not installed: no torch row)")
        else:
            def tensor(x: float) -> Any:
                return torch.tensor(x, dtype=torch.float64, requires_grad=True)

            found.insert(1, TorchEngine("torch scalar", tensor, widths))
    return found


def timed(step: Callable[[], object], cpu: list[float] | None = None) -> float:
    # Start each step from a clean heap: micrograd's graphs hold reference
    # cycles, and their garbage would otherwise be traced during another step.
    gc.collect()
    start, started = time.perf_counter(), time.process_time()
    step()
    if cpu is not None:
        cpu.append(time.process_time() - started)
    return time.perf_counter() - start


def count_nodes(root: Any) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        node = stack.pop()
        for parent in node.parents if hasattr(node, "parents") else node._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def bytes_per_node(forward: Callable[[], Any]) -> float:
    """Memory held by one forward graph (tracemalloc), divided by its nodes."""
    gc.collect()
    tracemalloc.start()
    loss = forward()
    retained, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return retained / count_nodes(loss)


def compare(rounds: int, with_torch: bool) -> dict[str, float]:
    xs, ys = make_moons(100, 0.1, seed=0)
    runners = engines([2, 16, 16, 1], with_torch)
    times: dict[str, list[float]] = {e.name: [] for e in runners}
    losses: dict[str, list[float]] = {e.name: [] for e in runners}
    compile_times = []
    for _ in range(rounds):
        for engine in runners:
            if isinstance(engine, CompiledEngine):
                compile_times.append(engine.compile(xs, ys))
            times[engine.name].append(
                timed(lambda e=engine: losses[e.name].append(e.step(xs, ys))))
    reference = losses["micrograd"]
    for name, values in losses.items():
        if any(not math.isclose(a, b, rel_tol=1e-9) for a, b in zip(values, reference,
                                                                    strict=True)):
            raise SystemExit(f"{name} disagrees with micrograd on the loss: {values}")
    median = {name: statistics.median(ts) for name, ts in times.items()}
    nodes = count_nodes(runners[-1].loss(xs, ys))
    memory = {"micrograd": bytes_per_node(lambda: runners[0].loss(xs, ys)),
              "opgrad": bytes_per_node(lambda: runners[-1].loss(xs, ys))}
    print(f"moons step, MLP 2-16-16-1: {nodes} nodes; {rounds} rounds, engines alternating; "
          "losses agree at every step")
    print("| engine | median s/step | speed-up vs micrograd | bytes/node |")
    print("|---|---:|---:|---:|")
    for name, seconds in median.items():
        per_node = memory["opgrad"] if name.startswith("opgrad dynamic") else (
            memory["micrograd"] if name == "micrograd" else math.nan)
        shown = "" if math.isnan(per_node) else f"{per_node:.0f}"
        print(f"| {name} | {seconds:.4f} | {median['micrograd'] / seconds:.1f}x | {shown} |")
    print(f"memory per node, opgrad / micrograd: {memory['opgrad'] / memory['micrograd']:.3f}")
    print(f"opgrad.compile of the step (trace + generate + compile): median "
          f"{statistics.median(compile_times):.2f} s")
    return median


def micrograd_demo(steps: int) -> None:
    """micrograd's demo on micrograd 0.1.0 and through opgrad.compat.micrograd, alternating."""
    import micrograd.engine
    import micrograd.nn

    from opgrad.compat.micrograd import engine, nn

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's tests
    from tests.compat.micrograd_demo import Demo

    demos = {"micrograd 0.1.0": Demo(micrograd.engine, micrograd.nn),
             "opgrad.compat.micrograd": Demo(engine, nn)}
    times: dict[str, list[float]] = {name: [] for name in demos}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in demos}
    for k in range(steps):
        for name, demo in demos.items():
            times[name].append(timed(lambda d=demo, r=results[name], k=k: r.append(d.step(k))))
    worst = _demo_disagreement(*results.values())
    print(f"micrograd's demo.ipynb, {steps} of its steps, alternating: loss and accuracy agree "
          f"at every step (largest loss difference {worst:.1e})")
    print("| engine | median s/step | speed-up vs micrograd | bytes/node |")
    print("|---|---:|---:|---:|")
    peer = statistics.median(times["micrograd 0.1.0"])
    for name, demo in demos.items():
        seconds = statistics.median(times[name])
        memory = bytes_per_node(lambda d=demo: d.loss()[0])
        print(f"| {name} | {seconds:.4f} | {peer / seconds:.1f}x | {memory:.0f} |")


def _demo_disagreement(reference: list[tuple[float, float]],
                       compat: list[tuple[float, float]]) -> float:
    """The largest loss difference; stops the run if any step differs by more than 1e-12."""
    worst = 0.0
    for k, ((loss, accuracy), (compat_loss, compat_accuracy)) in enumerate(
            zip(reference, compat, strict=True)):
        worst = max(worst, abs(loss - compat_loss))
        if abs(loss - compat_loss) > 1e-12 or accuracy != compat_accuracy:
            raise SystemExit(f"step {k}: micrograd gives loss {loss!r}, accuracy {accuracy}; "
                             f"opgrad.compat {compat_loss!r}, {compat_accuracy}")
    return worst


def end_to_end(micrograd_step: float) -> None:
    """`opgrad train` (compiled by default: 100 steps, compile included) as a user runs it,
    and `opgrad train --no-compile` (the dynamic engine)."""
    import resource

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    for extra in ([], ["--no-compile"]):
        start, cpu = time.perf_counter(), children_cpu()
        subprocess.run([sys.executable, "-m", "opgrad", "train", "--quiet", *extra],
                       check=True, capture_output=True)
        seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
        label = "opgrad train " + " ".join(extra)
        print(f"{label.strip()}: {seconds:.2f} s end to end ({cpu:.2f} CPU s; process start, "
              f"import, data, {'' if extra else 'compile, '}100 steps); micrograd's 100 steps: "
              f"{100 * micrograd_step:.1f} s (100 x its median step) -> "
              f"{100 * micrograd_step / seconds:.1f}x (target compiled: >= 100x)")


def notebook_ops() -> None:
    """Ops registered the way a notebook user writes them: lambdas, no templates."""
    if "softplus_nb" in opgrad.default_registry():
        return
    opgrad.register(lambda x: math.log1p(math.exp(x)), name="softplus_nb",
                    local_grads=lambda x, out: (1.0 - opgrad.ops.exp(-out),),
                    formula="d/dx softplus(x) = sigmoid(x) = 1 - exp(-softplus(x))")
    opgrad.register(lambda x, y: x * y, name="nb_mul", local_grads=lambda x, y, out: (y, x),
                    formula="d/dx (x * y) = y; d/dy (x * y) = x")
    opgrad.register(lambda x, y: x + y, name="nb_add",
                    local_grads=lambda x, y, out: (1.0, 1.0),
                    formula="d/dx (x + y) = 1; d/dy (x + y) = 1")


def compile_targets(rounds: int) -> None:
    """Softplus (a notebook op) against relu, both compiled; compiling against one step."""
    notebook_ops()
    xs, ys = make_moons(100, 0.1, seed=0)
    dynamic = PausedEngine("dynamic", opgrad.Value, [2, 16, 16, 1])
    relu = CompiledEngine("relu", opgrad.Value, [2, 16, 16, 1])
    softplus = CompiledEngine("softplus", opgrad.Value, [2, 16, 16, 1], activation="softplus_nb")
    times: dict[str, list[float]] = {"dynamic": [], "relu": [], "softplus": [],
                                     "compile relu": [], "compile softplus": [],
                                     "cpu dynamic": [], "cpu compile": []}
    for _ in range(rounds):
        times["dynamic"].append(timed(lambda: dynamic.step(xs, ys), times["cpu dynamic"]))
        for engine in (relu, softplus):
            gc.collect()
            times[f"compile {engine.name}"].append(engine.compile(xs, ys))  # cold: a new trace
        for _ in range(10):  # steps take milliseconds: many, alternating, against noise
            for engine in (relu, softplus):
                times[engine.name].append(timed(lambda e=engine: e.step(xs, ys)))
        times["cpu compile"].append(relu.compile_cpu)
    m = {name: statistics.median(ts) for name, ts in times.items()}
    print("| compile target | measured | ratio | target |")
    print("|---|---:|---:|---:|")
    print(f"| compiled step, softplus (notebook op) / relu | {m['softplus']:.4f} s / "
          f"{m['relu']:.4f} s | {m['softplus'] / m['relu']:.2f}x | <= 1.3x |")
    print(f"| compile the moons step (cold) / one dynamic step | {m['compile relu']:.3f} s / "
          f"{m['dynamic']:.3f} s | {m['compile relu'] / m['dynamic']:.2f}x | <= 5x |")
    print(f"| the same in CPU seconds (less sensitive to a busy machine) | "
          f"{m['cpu compile']:.3f} s / {m['cpu dynamic']:.3f} s | "
          f"{m['cpu compile'] / m['cpu dynamic']:.2f}x | <= 5x |")
    print(f"| compile the softplus step (cold) / one dynamic step | "
          f"{m['compile softplus']:.3f} s / {m['dynamic']:.3f} s | "
          f"{m['compile softplus'] / m['dynamic']:.2f}x | |")
    notebook_graph(rounds)


def notebook_graph(rounds: int) -> None:
    """A graph made only of notebook-registered ops: compiled against dynamic."""
    xs, _ = make_moons(64, 0.1, seed=0)
    rng = random.Random(0)
    layers = [[([opgrad.Value(rng.uniform(-1, 1)) for _ in range(nin)], opgrad.Value(0.0))
               for _ in range(nout)] for nin, nout in itertools.pairwise([2, 16, 16, 1])]
    params = [p for layer in layers for w, b in layer for p in [*w, b]]
    mul, add, softplus = opgrad.ops.nb_mul, opgrad.ops.nb_add, opgrad.ops.softplus_nb

    def loss() -> opgrad.Value:
        total = opgrad.Value(0.0)
        for x in xs:
            h: list[Any] = [opgrad.Value(v) for v in x]
            for layer in layers:
                h = [softplus(functools.reduce(add, map(mul, w, h), b)) for w, b in layer]
            total = add(total, h[0])
        return total

    def dynamic_step() -> None:
        with opgrad.gc_paused():
            loss().backward()

    compiled = opgrad.compile(loss)
    dynamic_s = statistics.median(timed(dynamic_step) for _ in range(rounds))
    compiled_s = statistics.median(timed(compiled) for _ in range(rounds))
    for p in params:
        p.grad = 0.0
    print(f"| notebook ops only ({compiled.nodes} nodes of nb_mul, nb_add, softplus_nb): "
          f"compiled / dynamic | {compiled_s:.4f} s / {dynamic_s:.4f} s | "
          f"{dynamic_s / compiled_s:.1f}x faster | >= 5x |")


def scaling(widths: list[int]) -> None:
    """Compile time and peak memory as the hidden width grows (one process per width)."""
    print("| hidden widths | nodes/step | compile s (CPU s) | peak MB compiling | "
          "peak MB dynamic step | dynamic step s | compiled steps/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for width in widths:
        row = [_scale_row(width, mode) for mode in ("compiled", "dynamic")]
        print(f"| {width},{width} | {row[0]['nodes']:.0f} | {row[0]['compile_s']:.2f} "
              f"({row[0]['compile_cpu']:.2f}) | {row[0]['peak_mb']:.0f} | "
              f"{row[1]['peak_mb']:.0f} | {row[1]['step_s']:.2f} | {1 / row[0]['step_s']:.0f} |")


def _scale_row(width: int, mode: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--scale-one", str(width), mode],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def scale_one(width: int, mode: str) -> None:
    """In a fresh process: compile (or run dynamically) one step; print JSON."""
    xs, ys = make_moons(100, 0.1, seed=0)
    row: dict[str, float] = {}
    if mode == "compiled":
        engine = CompiledEngine("compiled", opgrad.Value, [2, width, width, 1])
        row["compile_s"] = engine.compile(xs, ys)
        row["compile_cpu"] = engine.compile_cpu
        row["nodes"] = engine.compiled.nodes
    else:
        engine = PausedEngine("dynamic", opgrad.Value, [2, width, width, 1])
    row["step_s"] = timed(lambda: engine.step(xs, ys))
    row["peak_mb"] = _peak_rss_mb()
    print(json.dumps(row))


def _peak_rss_mb() -> float:
    """This process's peak resident memory (Linux: VmHWM, which exec resets; ru_maxrss
    would report the parent's peak too)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds (default {ROUNDS})")
    parser.add_argument("--quick", action="store_true",
                        help="one round; skip the end-to-end and scaling measurements")
    parser.add_argument("--no-torch", action="store_true", help="leave torch out")
    parser.add_argument("--scale-one", nargs=2, metavar=("WIDTH", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_one:
        scale_one(int(args.scale_one[0]), args.scale_one[1])
        return
    median = compare(1 if args.quick else args.rounds, not args.no_torch)
    call_cost.report()  # what one op call costs through the registry (call_cost.py)
    micrograd_demo(DEMO_QUICK_STEPS if args.quick else DEMO_STEPS)
    compile_targets(1 if args.quick else args.rounds)
    if not args.quick:
        end_to_end(median["micrograd"])
        scaling([8, 16, 32, 64])
    import array_step  # the numpy backend against hand-written NumPy and torch (its own file)

    array_step.run(args.quick, not args.no_torch)


if __name__ == "__main__":
    main()
