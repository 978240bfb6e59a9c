"""Single-thread ``backward()`` on the micrograd demo's graph, against another checkout.

    python benchmarks/backward_speed.py                   # this checkout only
    python benchmarks/backward_speed.py --against DIR     # side by side with DIR's opgrad
    python benchmarks/backward_speed.py --against DIR --instructions   # under valgrind

The graph is the moons step's (MLP 2-16-16-1, 100 points, hinge + L2: about
66,000 nodes). Each round runs one child process per checkout, taking turns,
and each child times ``backward()`` on a freshly built graph (the collector
paused, as ``fit`` runs it). The medians and their ratio are printed, so a
change to the core (the lock that makes concurrent passes exact, say) can be
compared with the code before it in the same run. On a busy machine the
seconds move a lot; ``--instructions`` counts the instructions one pass
executes instead (valgrind's callgrind: the same count whatever else runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

COUNTED = """
import gc, sys
from opgrad.nn import MLP, make_moons
from opgrad.nn.training import outputs_and_loss
data = make_moons(n=100, noise=0.1, seed=0)
model = MLP(2, [16, 16, 1], seed=0)
gc.disable()
loss, _ = outputs_and_loss(model, data, "hinge")
for _ in range(int(sys.argv[1])):
    loss.backward()
"""
CHILD = """
import gc, json, time
from opgrad.nn import MLP, make_moons
from opgrad.nn.training import outputs_and_loss
data = make_moons(n=100, noise=0.1, seed=0)
model = MLP(2, [16, 16, 1], seed=0)
times = []
for _ in range({passes}):
    loss, _ = outputs_and_loss(model, data, "hinge")
    gc.disable()
    start = time.perf_counter()
    loss.backward()
    times.append(time.perf_counter() - start)
    gc.enable()
print(json.dumps(times))
"""


def run(checkout: Path, passes: int) -> list[float]:
    """Seconds per ``backward()`` in a fresh process importing ``checkout``'s opgrad."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-c", CHILD.format(passes=passes)], env=env,
                          capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout))


def instructions(checkout: Path, passes: int) -> int:
    """Instructions executed by a process that builds the graph and runs ``passes`` passes."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           os.path.realpath(sys.executable), "-c", COUNTED, str(passes)],
                          env=env, capture_output=True, text=True, check=True)
    line = next(x for x in done.stderr.splitlines() if "Collected" in x)
    return int(line.split()[-1])


def count(checkouts: dict[str, Path]) -> None:
    """Instructions of one backward pass: (build + 2 passes) - (build + 0 passes), / 2."""
    per_pass = {name: (instructions(path, 2) - instructions(path, 0)) / 2
                for name, path in checkouts.items()}
    for name, found in per_pass.items():
        print(f"{name:<14} backward(): {found / 1e6:.1f} million instructions per pass")
    if len(per_pass) == 2:
        print(f"ratio this / against: {per_pass['this checkout'] / per_pass['--against']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", type=Path, help="another checkout's root, measured too")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--passes", type=int, default=5, help="backward passes per process")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions under valgrind instead of timing")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent.parent
    checkouts = {"this checkout": here}
    if args.against is not None:
        checkouts["--against"] = args.against.resolve()
    if args.instructions:
        count(checkouts)
        return
    times: dict[str, list[float]] = {name: [] for name in checkouts}
    for _ in range(args.rounds):
        for name, path in checkouts.items():
            times[name] += run(path, args.passes)
    medians = {name: statistics.median(found) for name, found in times.items()}
    for name, median in medians.items():
        print(f"{name:<14} backward() median {median * 1e3:7.2f} ms "
              f"(min {min(times[name]) * 1e3:.2f} ms, {len(times[name])} passes)")
    if len(medians) == 2:
        print(f"ratio this / against: {medians['this checkout'] / medians['--against']:.3f}")


if __name__ == "__main__":
    main()
