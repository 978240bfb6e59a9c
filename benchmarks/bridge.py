"""The bridge's cost: bridged ops against PyTorch's own, forward + backward, side by side.

    pip install -e examples/opgrad-extra-ops   # softplus and gelu come from this plugin
    python benchmarks/bridge.py [--size N] [--no-compile]

For softplus, gelu (tanh form) and tanh: forward and backward of a float32
tensor of ``--size`` elements (default 1,000,000) through ``opgrad.interop.to_torch``
and through the native function, eager and under ``torch.compile`` (default
backend). Each time is the best of repeated runs, bridged and native
alternating (the machine is shared: the best run is the least disturbed). Targets: bridged within
2x of native eager, within 1.3x when both are compiled. Then the per-call
cost on a 0-d tensor.
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


def side_by_side(ours: Callable[[Any], Any], theirs: Callable[[Any], Any], x: Any,
                 repeats: int) -> tuple[float, float]:
    """The best seconds of each, measured alternately so that both see the same machine."""
    timers = timer(ours, x), timer(theirs, x)
    for measure in timers * 3:  # warm up (and compile)
        measure()
    best = [math.inf, math.inf]
    for _ in range(repeats):
        for i, measure in enumerate(timers):
            best[i] = min(best[i], measure())
    return best[0], best[1]


def compare(size: int, compiled: bool, repeats: int) -> list[tuple[str, float, float]]:
    """(op, bridged seconds, native seconds) per op."""
    x = torch.randn(size, dtype=torch.float32, requires_grad=True)
    rows = []
    for name, native in PEERS.items():
        bridged: Callable[[Any], Any] = to_torch(name)
        if compiled:
            torch._dynamo.reset()
            bridged, native = torch.compile(bridged), torch.compile(native)
        rows.append((name, *side_by_side(bridged, native, x, repeats)))
    return rows


def print_table(title: str, rows: list[tuple[str, float, float]], target: float) -> None:
    print(f"\n{title} (target: bridged within {target}x of native)")
    print(f"{'op':<10} {'bridged ms':>11} {'native ms':>10} {'ratio':>7}  verdict")
    for name, ours, theirs in rows:
        ratio = ours / theirs
        verdict = "ok" if ratio <= target else "MISSED"
        print(f"{name:<10} {ours * 1e3:>11.2f} {theirs * 1e3:>10.2f} {ratio:>6.2f}x  {verdict}")


def per_call_overhead(repeats: int = 2000) -> None:
    x = torch.tensor(0.5, requires_grad=True)
    print("\n0-d tensor, one forward + backward per call")
    for name, native in PEERS.items():
        ours, theirs = side_by_side(to_torch(name), native, x, repeats)
        print(f"{name:<10} bridged {ours * 1e6:7.1f} us, native {theirs * 1e6:7.1f} us, "
              f"overhead {(ours - theirs) * 1e6:6.1f} us ({ours / theirs:.1f}x)")


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
    print_table("eager", compare(args.size, False, args.repeats), 2.0)
    if not args.no_compile:
        print_table("torch.compile", compare(args.size, True, args.repeats), 1.3)
    per_call_overhead()


if __name__ == "__main__":
    main()
