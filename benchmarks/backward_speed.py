"""Single-thread ``backward()`` on the micrograd demo's graph, against another checkout.

    python benchmarks/backward_speed.py                   # this checkout only
    python benchmarks/backward_speed.py --against DIR     # side by side with DIR's opgrad
    python benchmarks/backward_speed.py --against DIR --instructions   # under valgrind
    python benchmarks/backward_speed.py --against . --stored --forward  # stored parameters

The graph is the moons step's (MLP 2-16-16-1, 100 points, hinge + L2: about
66,000 nodes). Each round runs one child process per checkout, taking turns,
and each child times ``backward()`` on a freshly built graph (the collector
paused, as ``fit`` runs it). The medians and their ratio are printed, so a
change to the core (the lock that makes concurrent passes exact, say) can be
compared with the code before it in the same run. On a busy machine the
seconds move a lot; ``--instructions`` counts the instructions one pass
executes instead (valgrind's callgrind: the same count whatever else runs).

``--stored`` builds this checkout's model with ``MLP(..., stored=True)`` (its
parameters in one ``ParameterStore``), ``--forward`` times building the
graph too (forward and backward): ``--against . --stored --forward`` is the
dynamic engine's cost of stored parameters against plain ones.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

MODEL = """
import gc, json, sys, time
from opgrad.nn import MLP, make_moons
from opgrad.nn.training import outputs_and_loss
data = make_moons(n=100, noise=0.1, seed=0)
model = MLP(2, [16, 16, 1], seed=0{stored})
"""
COUNTED = MODEL + """
gc.disable()
loss, _ = outputs_and_loss(model, data, "hinge")
for _ in range(int(sys.argv[1])):
    if {forward}:
        loss, _ = outputs_and_loss(model, data, "hinge")
    loss.backward()
"""
CHILD = MODEL + """
times = []
for _ in range(int(sys.argv[1])):
    gc.disable()
    start = time.perf_counter()
    loss, _ = outputs_and_loss(model, data, "hinge")
    if not {forward}:  # time backward() only
        start = time.perf_counter()
    loss.backward()
    times.append(time.perf_counter() - start)
    del loss, _
    gc.enable()
print(json.dumps(times))
"""


def source(template: str, stored: bool, forward: bool) -> str:
    return template.format(stored=", stored=True" if stored else "", forward=forward)


def run(checkout: Path, passes: int, stored: bool, forward: bool) -> list[float]:
    """Seconds per ``backward()`` (with ``forward``: per forward and backward) in a fresh
    process importing ``checkout``'s opgrad."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-c", source(CHILD, stored, forward), str(passes)],
                          env=env, capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout))


def instructions(checkout: Path, passes: int, stored: bool, forward: bool) -> int:
    """Instructions executed by a process that builds the graph and runs ``passes`` passes."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           os.path.realpath(sys.executable), "-c",
                           source(COUNTED, stored, forward), str(passes)],
                          env=env, capture_output=True, text=True, check=True)
    line = next(x for x in done.stderr.splitlines() if "Collected" in x)
    return int(line.split()[-1])


def count(checkouts: dict[str, tuple[Path, bool]], forward: bool) -> None:
    """Instructions of one pass: (build + 2 passes) - (build + 0 passes), / 2."""
    per_pass = {name: (instructions(path, 2, stored, forward)
                       - instructions(path, 0, stored, forward)) / 2
                for name, (path, stored) in checkouts.items()}
    what = "forward and backward()" if forward else "backward()"
    for name, found in per_pass.items():
        print(f"{name:<14} {what}: {found / 1e6:.1f} million instructions per pass")
    if len(per_pass) == 2:
        print(f"ratio this / against: {per_pass['this checkout'] / per_pass['--against']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", type=Path, help="another checkout's root, measured too")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--passes", type=int, default=5, help="backward passes per process")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions under valgrind instead of timing")
    parser.add_argument("--stored", action="store_true",
                        help="this checkout's model keeps its parameters in a store")
    parser.add_argument("--forward", action="store_true",
                        help="time building the graph (forward) and backward()")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    checkouts = {"this checkout": (here, args.stored)}
    if args.against is not None:
        checkouts["--against"] = (args.against.resolve(), False)
    if args.instructions:
        count(checkouts, args.forward)
        return
    times: dict[str, list[float]] = {name: [] for name in checkouts}
    for _ in range(args.rounds):
        for name, (path, stored) in checkouts.items():
            times[name] += run(path, args.passes, stored, args.forward)
    medians = {name: statistics.median(found) for name, found in times.items()}
    what = "forward and backward()" if args.forward else "backward()"
    for name, median in medians.items():
        print(f"{name:<14} {what} median {median * 1e3:7.2f} ms "
              f"(min {min(times[name]) * 1e3:.2f} ms, {len(times[name])} passes)")
    if len(medians) == 2:
        print(f"ratio this / against: {medians['this checkout'] / medians['--against']:.3f}")


if __name__ == "__main__":
    main()
