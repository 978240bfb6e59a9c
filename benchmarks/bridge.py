"""The bridge's cost: bridged ops against PyTorch's own, forward + backward, side by side.

    pip install -e examples/opgrad-extra-ops   # softplus and gelu come from this plugin
    python benchmarks/bridge.py [--size N] [--no-compile]

For softplus, gelu (tanh form) and tanh: forward and backward of a float32
tensor of ``--size`` elements (default 1,000,000) through ``opgrad.interop.to_torch``
and through the native function, eager and under ``torch.compile`` (default
backend). Eager: the plain bridge (the rule step by step), ``fused=True``
(the rule compiled into one kernel at the first backward) and ``export=True``
(the custom op ``torch.ops.opgrad.<name>``); compiled: the plain bridge and
``export=True``. Each time is the best of repeated runs, the contenders
taking turns (the machine is shared: the best run is the least disturbed).
Targets: the fused bridge within 2x of native eager, the bridge and the
export flavour within 1.3x when compiled. Then the cost per call on a 0-d
tensor, eager and compiled: the default flavour, the export flavour, native.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

import opgrad
from opgrad.interop import to_torch

PEERS: dict[str, Callable[[Any], Any]] = {
    "softplus": F.softplus,
    "gelu": lambda x: F.gelu(x, approximate="tanh"),
    "tanh": torch.tanh,
}


def timer(function: Callable[[Any], Any], x: Any) -> Callable[[], float]:
    """A callable timing one forward + backward of ``function`` at ``x`` (seconds)."""
    grad = torch.ones_like(x)

    def once() -> float:
        x.grad = None
        start = time.perf_counter()
        function(x).backward(grad)
        return time.perf_counter() - start

    return once


def best_times(functions: list[Callable[[Any], Any]], x: Any, repeats: int) -> list[float]:
    """The best seconds of each, measured in turn so that all see the same machine."""
    timers = [timer(function, x) for function in functions]
    for measure in timers * 3:  # warm up (and compile)
        measure()
    best = [math.inf] * len(timers)
    for _ in range(repeats):
        for i, measure in enumerate(timers):
            best[i] = min(best[i], measure())
    return best


def compare(size: int, compiled: bool, repeats: int) -> list[tuple[str, list[float]]]:
    """(op, seconds per flavour with native last) per op.

    Eager: the plain bridge, the fused bridge, the export flavour, native.
    Compiled: the bridge, the export flavour, native.
    """
    x = torch.randn(size, dtype=torch.float32, requires_grad=True)
    rows = []
    for name, native in PEERS.items():
        if compiled:
            torch._dynamo.reset()
            functions = [torch.compile(f) for f in (to_torch(name), to_torch(name, export=True),
                                                     native)]
        else:
            functions = [to_torch(name), to_torch(name, fused=True), to_torch(name, export=True),
                         native]
        rows.append((name, best_times(functions, x, repeats)))
    return rows


def print_table(title: str, flavours: list[str], judged: list[str],
                rows: list[tuple[str, list[float]]], target: float) -> None:
    """One row per op: each flavour and native in ms, each flavour / native; the verdict
    is on the ``judged`` flavours."""
    print(f"\n{title} (target: {', '.join(judged)} within {target}x of native)")
    print(f"{'op':<10}" + "".join(f" {f + ' ms':>11}" for f in [*flavours, "native"])
          + "".join(f" {f + '/native':>15}" for f in flavours) + "  verdict")
    for name, seconds in rows:
        ratios = dict(zip(flavours, (ours / seconds[-1] for ours in seconds[:-1]), strict=True))
        verdict = "ok" if all(ratios[f] <= target for f in judged) else "MISSED"
        print(f"{name:<10}" + "".join(f" {t * 1e3:>11.2f}" for t in seconds)
              + "".join(f" {r:>14.2f}x" for r in ratios.values()) + f"  {verdict}")


def per_call_cost(compiled: bool, repeats: int = 2000) -> None:
    """Forward + backward on a 0-d tensor: the default flavour, the export flavour, native."""
    x = torch.tensor(0.5, requires_grad=True)
    print(f"\n0-d tensor, one forward + backward per call, {'compiled' if compiled else 'eager'}")
    print(f"{'op':<10} {'default us':>11} {'export us':>11} {'native us':>11} "
          f"{'default/native':>15} {'export/native':>15} {'export/default':>15}")
    for name, native in PEERS.items():
        functions = [to_torch(name), to_torch(name, export=True), native]
        if compiled:
            torch._dynamo.reset()
            functions = [torch.compile(f) for f in functions]
        default, export, theirs = best_times(functions, x, repeats)
        print(f"{name:<10} {default * 1e6:>11.1f} {export * 1e6:>11.1f} {theirs * 1e6:>11.1f} "
              f"{default / theirs:>14.2f}x {export / theirs:>14.2f}x {export / default:>14.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args()
    missing = [name for name in PEERS if name not in opgrad.default_registry()]
    if missing:
        raise SystemExit(f"ops {missing} are not registered: "
                         f"pip install -e examples/opgrad-extra-ops")
    torch.set_num_threads(torch.get_num_threads())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"float32, {args.size:,} elements")
    print_table("eager", ["bridged", "fused", "export"], ["fused"],
                compare(args.size, False, args.repeats), 2.0)
    if not args.no_compile:
        print_table("torch.compile", ["bridged", "export"], ["bridged", "export"],
                    compare(args.size, True, args.repeats), 1.3)
    per_call_cost(compiled=False)
    if not args.no_compile:
        per_call_cost(compiled=True, repeats=500)


if __name__ == "__main__":
    main()
