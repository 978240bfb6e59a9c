"""``opgrad train``: train an MLP on a toy dataset (defaults: the micrograd demo)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opgrad import ops
from opgrad.cli.common import (
    PLOT_SUFFIXES,
    CommandError,
    CommandFailure,
    check_output,
    file_path,
    number,
)
from opgrad.cli.models import add_data_arguments, choose_loss, load_saved, make_data
from opgrad.compiler import BACKENDS
from opgrad.core import BackwardError, Value, no_grad
from opgrad.nn import (
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


def limits_help(limits: Sequence[Limit]) -> str:
    """The limits as one sentence, for a command's --help."""
    return ("Limits (refused unless --no-limits): "
            + "; ".join(f"{limit.what} at most {limit.most:,}" for limit in limits) + ".")


LIMITS_HELP = limits_help(LIMITS)


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
        "100 steps, compiled with opgrad.compile. The summary shows the last step's loss and "
        "accuracy (those of its progress line). A training run whose loss becomes nan or inf "
        "stops with exit status 1 and saves nothing. Go on training a saved model with --init "
        "MODEL; measure one with `opgrad eval MODEL`.",
        epilog=LIMITS_HELP,
    )
    add = train.add_argument
    add_data_arguments(train, "seed for data and weights (default 0)")
    add("--steps", type=number(int, minimum=1), default=100, help="training steps (default 100)")
    add("--hidden", type=widths, help="hidden widths (default 16,16)")
    add("--activation", help="any registered unary op defined for every number (default relu)")
    add("--init", type=Path, metavar="MODEL", help="start from a model saved with --save (its "
        "widths and activation: leave out --hidden and --activation)")
    add("--optimizer", choices=sorted(OPTIMIZERS), default="sgd", help="default: sgd")
    add("--lr", type=number(float, above=0.0), help="initial learning rate (default 1.0 for "
        "sgd, 0.05 for adam/adamw); it decays linearly to a tenth unless --constant-lr")
    add("--constant-lr", action="store_true", help="keep the learning rate fixed")
    add("--momentum", type=number(float, minimum=0.0, below=1.0), default=0.0,
        help="SGD momentum, 0 <= m < 1 (default 0)")
    add("--save", type=file_path, metavar="PATH", help="write the trained model as JSON")
    add("--plot", type=file_path, metavar="PATH",
        help="write a decision-boundary .png, .svg or .pdf (viz extra)")
    add("--compile", action=argparse.BooleanOptionalAction, default=True,
        help="trace the step once with opgrad.compile and run generated code: the same "
        "numbers, many times faster (default); --no-compile runs the dynamic engine")
    add("--backend", choices=BACKENDS, default=None,
        help="opgrad.compile's backend: scalar (the default; the same floats as backward()) "
        "or numpy (array code, much faster on big models; within 1e-12; the model's "
        "parameters then live in one array, MLP(..., stored=True))")
    add("--json", action="store_true", help="print one final JSON object on stdout (on "
        "failure: the error, with loss null)")
    add("--quiet", action="store_true", help="no progress output")
    add("--no-limits", action="store_true", help="lift the size limits below")
    train.set_defaults(run=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    model, data, loss = _prepare(args)
    try:
        summary = _train(args, model, data, loss)
        _write_outputs(args, model, data)
    except CommandFailure as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "loss": None}))
        raise
    print(json.dumps(summary, allow_nan=False) if args.json else _summary_line(summary))
    return 0


def _prepare(args: argparse.Namespace) -> tuple[MLP, Dataset, str]:
    """The model, the data and the loss, each refused before any work if it cannot be used."""
    if args.backend is not None and not args.compile:
        raise CommandError(f"--backend {args.backend} picks how the step is compiled: leave it "
                           "out with --no-compile")
    saved = _initial_model(args)
    hidden = args.hidden if args.hidden is not None else [16, 16]
    check_limits(args, saved.sizes if saved else [2, *hidden, 1])  # the fewest outputs
    _check_outputs(args)
    data = make_data(args)
    loss = choose_loss(args.loss, data, saved.sizes[-1] if saved else None)
    sizes = saved.sizes if saved else [2, *hidden, data.classes if loss == "cross-entropy" else 1]
    check_limits(args, sizes)  # again, now that the outputs are known
    model = saved or _model(args.activation or "relu", args.seed, sizes, _stored(args))
    return model, data, loss


def _summary_line(summary: dict[str, Any]) -> str:
    # The loss and accuracy of the last step: the numbers its progress line showed.
    return (f"trained MLP {'-'.join(map(str, summary['model']))} on {summary['dataset']} "
            f"({summary['samples']} points) for {summary['steps']} steps in "
            f"{summary['seconds']:.1f} s: at the last step, loss {summary['loss']:.4f}, "
            f"accuracy {summary['accuracy']:.1%}")


def _backend(args: argparse.Namespace) -> str | bool:
    """fit's ``compiled``: the backend's name, or False for the dynamic engine."""
    return (args.backend or "scalar") if args.compile else False


def _stored(args: argparse.Namespace) -> bool:
    """Whether the model keeps its parameters in one store: for the numpy backend, which
    then reads and updates them as arrays (the others read them one by one, and faster
    from plain Values)."""
    return _backend(args) == "numpy"


def _initial_model(args: argparse.Namespace) -> MLP | None:
    """The model given with --init, which then fixes the widths and the activation."""
    if args.init is None:
        return None
    given = [flag for flag, value in (("--hidden", args.hidden),
                                      ("--activation", args.activation)) if value is not None]
    if given:
        raise CommandError(f"--init {args.init} brings its own widths and activation: leave "
                           f"out {' and '.join(given)}")
    return load_saved(args.init, _stored(args))


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
            history = fit(model, data, _optimizer(args, model), args.steps, loss=loss,
                          l2=args.l2, on_step=on_step, compiled=_backend(args))
            with no_grad():  # the last update must not have diverged either
                final_loss, _ = objective(model, data, loss, args.l2)
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
        "compiled": args.compile, "backend": _backend(args) or None,
        "loss": history[-1].loss, "accuracy": history[-1].accuracy,
        "seconds": round(time.perf_counter() - start, 3),
    }


def check_limits(args: argparse.Namespace, sizes: list[int]) -> None:
    """Refuse work beyond :data:`LIMITS`, unless --no-limits."""
    if args.no_limits:
        return
    for limit in LIMITS:
        size = limit.measure(args, sizes)
        if size > limit.most:
            raise CommandError(f"{limit.what} is {size:,}, above the limit of {limit.most:,}; "
                               "pass --no-limits to run it anyway")


def _model(activation: str, seed: int, sizes: list[int], stored: bool) -> MLP:
    """The MLP, refusing an activation that fails on an ordinary input such as -1 or 0."""
    try:
        model = MLP(sizes[0], sizes[1:], activation=activation, seed=seed, stored=stored)
        for x in PROBES:
            getattr(ops, activation)(Value(x))
    except (ValueError, ArithmeticError) as exc:
        raise CommandError(f"--activation {activation}: {exc}; a hidden unit's input "
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
        from opgrad.viz.figure import require_matplotlib

        require_matplotlib("--plot")  # raises MissingExtraError naming the viz extra


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
