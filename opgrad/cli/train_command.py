"""``opgrad train``: train an MLP on a toy dataset (defaults: the micrograd demo)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opgrad import ops
from opgrad.cli.common import (
    PLOT_SUFFIXES,
    CommandError,
    CommandFailure,
    check_output,
    number,
)
from opgrad.core import BackwardError, Value, no_grad
from opgrad.nn import (
    DATASETS,
    LOSSES,
    MLP,
    SGD,
    Adam,
    AdamW,
    Dataset,
    DivergenceError,
    NonFiniteModelError,
    StepResult,
    fit,
    linear_decay,
    objective,
    parameter_count,
    save_model,
)
from opgrad.nn.optim import Optimizer, Schedule
from opgrad.nn.progress import progress_reporter

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}
DEFAULT_LR = {"sgd": 1.0, "adam": 0.05, "adamw": 0.05}
PROBES = (-1.0, 0.0, 1.0)  # a hidden unit's input can be any number: the activation must work


@dataclass(frozen=True)
class Limit:
    """A documented upper bound on the work ``opgrad train`` accepts without --no-limits."""

    what: str
    most: int
    measure: Callable[[argparse.Namespace, list[int]], int]  # (args, layer widths) -> size


LIMITS = (
    Limit("--samples", 10_000, lambda args, sizes: args.samples),
    Limit("--steps", 100_000, lambda args, sizes: args.steps),
    Limit("parameters (from --hidden)", 100_000, lambda args, sizes: parameter_count(sizes)),
    Limit("samples x parameters (one step's graph)", 2_000_000,
          lambda args, sizes: args.samples * parameter_count(sizes)),
)
LIMITS_HELP = ("Limits (refused unless --no-limits): " + "; ".join(
    f"{limit.what} at most {limit.most:,}" for limit in LIMITS) + ".")


def widths(text: str) -> list[int]:
    """``"16,16"`` -> [16, 16]; an empty string means no hidden layer."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths like 16,16, got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer widths must be positive, got {text!r}")
    return sizes


def add_commands(commands: Any) -> None:
    """Add ``train`` to the sub-command parsers."""
    train = commands.add_parser(
        "train", help="train an MLP on a toy dataset (the micrograd demo by default)",
        description="Train an MLP on a generated 2-D dataset, full batch. The defaults "
        "reproduce the micrograd demo: 100 moons points (noise 0.1), MLP 2-16-16-1, hinge "
        "loss + 1e-4 L2, SGD with the learning rate decaying linearly from 1.0 to 0.1, "
        "100 steps. A training run whose loss becomes nan or inf stops with exit status 1 "
        "and saves nothing.",
        epilog=LIMITS_HELP,
    )
    add = train.add_argument
    add("--dataset", choices=sorted(DATASETS), default="moons", help="default: moons")
    add("--samples", type=number(int, minimum=2), default=100,
        help="number of points (default 100)")
    add("--noise", type=number(float, minimum=0.0, maximum=10.0), default=0.1,
        help="noise of the dataset, 0 to 10 (default 0.1)")
    add("--steps", type=number(int, minimum=1), default=100, help="training steps (default 100)")
    add("--hidden", type=widths, default=[16, 16], help="hidden widths (default 16,16)")
    add("--activation", default="relu",
        help="any registered unary op defined for every number (default relu)")
    add("--loss", choices=LOSSES, help="default: hinge, or cross-entropy for 3+ classes")
    add("--optimizer", choices=sorted(OPTIMIZERS), default="sgd", help="default: sgd")
    add("--lr", type=number(float, above=0.0), help="initial learning rate (default 1.0 for "
        "sgd, 0.05 for adam/adamw); it decays linearly to a tenth unless --constant-lr")
    add("--constant-lr", action="store_true", help="keep the learning rate fixed")
    add("--momentum", type=number(float, minimum=0.0, below=1.0), default=0.0,
        help="SGD momentum, 0 <= m < 1 (default 0)")
    add("--l2", type=number(float, minimum=0.0), default=1e-4,
        help="L2 penalty on the weights, >= 0 (default 1e-4)")
    add("--seed", type=int, default=0, help="seed for data and weights (default 0)")
    add("--save", type=Path, metavar="PATH", help="write the trained model as JSON")
    add("--plot", type=Path, metavar="PATH",
        help="write a decision-boundary .png, .svg or .pdf (viz extra)")
    add("--compile", action="store_true",
        help="trace the step once with opgrad.compile and run generated code (much faster)")
    add("--json", action="store_true", help="print one final JSON object on stdout (on "
        "failure: the error, with loss null)")
    add("--quiet", action="store_true", help="no progress output")
    add("--no-limits", action="store_true", help="lift the size limits below")
    train.set_defaults(run=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    _check_limits(args, [2, *args.hidden, 1])  # before any work, with the fewest outputs
    _check_outputs(args)
    data = DATASETS[args.dataset](n=args.samples, noise=args.noise, seed=args.seed)
    loss = args.loss or ("hinge" if data.classes == 2 else "cross-entropy")
    if data.classes > 2 and loss != "cross-entropy":
        raise CommandError(f"the {args.dataset} dataset has {data.classes} classes: "
                           "use --loss cross-entropy")
    sizes = [2, *args.hidden, data.classes if loss == "cross-entropy" else 1]
    _check_limits(args, sizes)  # again, now that the output width is known
    model = _model(args, sizes)
    try:
        summary = _train(args, model, data, loss)
        _write_outputs(args, model, data)
    except CommandFailure as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "loss": None}))
        raise
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        print(f"trained MLP {'-'.join(map(str, model.sizes))} on {data.name} ({len(data)} "
              f"points) for {args.steps} steps in {summary['seconds']:.1f} s: loss "
              f"{summary['loss']:.4f}, accuracy {summary['accuracy']:.1%}")
    return 0


def _train(args: argparse.Namespace, model: MLP, data: Dataset, loss: str) -> dict[str, Any]:
    """Fit the model; a non-finite loss or a failing op is a CommandFailure naming the step."""
    done = 0
    start = time.perf_counter()
    with progress_reporter(args.steps, enabled=not args.quiet) as report:
        def on_step(result: StepResult) -> None:
            nonlocal done
            done = result.step
            report(result)

        try:
            fit(model, data, _optimizer(args, model), args.steps, loss=loss, l2=args.l2,
                on_step=on_step, compiled=args.compile)
            with no_grad():
                final_loss, accuracy = objective(model, data, loss, args.l2)
        except DivergenceError as exc:
            raise CommandFailure(str(exc)) from None
        except (ValueError, ArithmeticError, BackwardError) as exc:  # e.g. exp overflowed
            raise CommandFailure(f"training failed at step {done + 1}: {exc}") from None
    if not math.isfinite(final_loss.data):  # the last update itself diverged
        raise CommandFailure(f"training diverged after step {done}: the final loss is "
                             f"{final_loss.data} (try a smaller learning rate)")
    return {
        "dataset": data.name, "samples": len(data), "model": model.sizes, "loss_name": loss,
        "optimizer": args.optimizer, "steps": args.steps, "seed": args.seed,
        "compiled": args.compile, "loss": final_loss.data, "accuracy": accuracy,
        "seconds": round(time.perf_counter() - start, 3),
    }


def _check_limits(args: argparse.Namespace, sizes: list[int]) -> None:
    if args.no_limits:
        return
    for limit in LIMITS:
        size = limit.measure(args, sizes)
        if size > limit.most:
            raise CommandError(f"{limit.what} is {size:,}, above the limit of {limit.most:,}; "
                               "pass --no-limits to run it anyway")


def _model(args: argparse.Namespace, sizes: list[int]) -> MLP:
    """The MLP, refusing an activation that fails on an ordinary input such as -1 or 0."""
    try:
        model = MLP(sizes[0], sizes[1:], activation=args.activation, seed=args.seed)
        activation = getattr(ops, args.activation)
        for x in PROBES:
            activation(Value(x))
    except (ValueError, ArithmeticError) as exc:
        raise CommandError(f"--activation {args.activation}: {exc}; a hidden unit's input "
                           "can be any number, so use an op defined everywhere (e.g. relu, "
                           "tanh)") from None
    return model


def _optimizer(args: argparse.Namespace, model: MLP) -> Optimizer:
    start = args.lr or DEFAULT_LR[args.optimizer]
    lr: float | Schedule = start if args.constant_lr else linear_decay(start, start / 10,
                                                                       args.steps)
    if args.optimizer == "sgd":
        return SGD(model.parameters(), lr=lr, momentum=args.momentum)
    optimizer: Optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr=lr)
    return optimizer


def _check_outputs(args: argparse.Namespace) -> None:
    """Fail before training, not after, if an output cannot be written."""
    if args.save is not None:
        check_output(args.save)
    if args.plot is not None:
        check_output(args.plot, PLOT_SUFFIXES)
        from opgrad.viz.boundary import pyplot

        pyplot()  # raises MissingExtraError naming the viz extra


def _write_outputs(args: argparse.Namespace, model: MLP, data: Dataset) -> None:
    if args.save is not None:
        try:
            save_model(model, args.save)
        except NonFiniteModelError as exc:  # finite loss, yet a parameter went nan
            raise CommandFailure(str(exc)) from None
        print(f"saved the model to {args.save}", file=sys.stderr)
    if args.plot is not None:
        from opgrad.viz import plot_decision_boundary

        plot_decision_boundary(model, data, args.plot)
        print(f"wrote the decision boundary to {args.plot}", file=sys.stderr)
