"""``opgrad train``: train an MLP on a toy dataset (defaults: the micrograd demo)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from opgrad.cli.common import CommandError, check_folder
from opgrad.cli.progress import progress_reporter
from opgrad.core import no_grad
from opgrad.nn import DATASETS, LOSSES, MLP, SGD, Adam, AdamW, fit, linear_decay, objective
from opgrad.nn.optim import Optimizer, Schedule

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}
DEFAULT_LR = {"sgd": 1.0, "adam": 0.05, "adamw": 0.05}


def widths(text: str) -> list[int]:
    """``"16,16"`` -> [16, 16]; an empty string means no hidden layer."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected widths like 16,16, got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer widths must be positive, got {text!r}")
    return sizes


def positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
        return value

    return parse


def add_commands(commands: Any) -> None:
    """Add ``train`` to the sub-command parsers."""
    train = commands.add_parser(
        "train", help="train an MLP on a toy dataset (the micrograd demo by default)",
        description="Train an MLP on a generated 2-D dataset, full batch. The defaults "
        "reproduce the micrograd demo: 100 moons points (noise 0.1), MLP 2-16-16-1, hinge "
        "loss + 1e-4 L2, SGD with the learning rate decaying linearly from 1.0 to 0.1, "
        "100 steps.",
    )
    add = train.add_argument
    add("--dataset", choices=sorted(DATASETS), default="moons", help="default: moons")
    add("--samples", type=positive(int), default=100, help="number of points (default 100)")
    add("--noise", type=float, default=0.1, help="noise of the dataset (default 0.1)")
    add("--steps", type=positive(int), default=100, help="training steps (default 100)")
    add("--hidden", type=widths, default=[16, 16], help="hidden widths (default 16,16)")
    add("--activation", default="relu", help="any registered unary op (default relu)")
    add("--loss", choices=LOSSES, help="default: hinge, or cross-entropy for 3+ classes")
    add("--optimizer", choices=sorted(OPTIMIZERS), default="sgd", help="default: sgd")
    add("--lr", type=positive(float), help="initial learning rate (default 1.0 for sgd, "
        "0.05 for adam/adamw); it decays linearly to a tenth unless --constant-lr")
    add("--constant-lr", action="store_true", help="keep the learning rate fixed")
    add("--momentum", type=float, default=0.0, help="SGD momentum (default 0)")
    add("--l2", type=float, default=1e-4, help="L2 penalty on the weights (default 1e-4)")
    add("--seed", type=int, default=0, help="seed for data and weights (default 0)")
    add("--save", type=Path, metavar="PATH", help="write the trained model as JSON")
    add("--plot", type=Path, metavar="PATH", help="write a decision-boundary PNG (viz extra)")
    add("--compile", action="store_true",
        help="trace the step once with opgrad.compile and run generated code (much faster)")
    add("--json", action="store_true", help="print one final JSON object on stdout")
    add("--quiet", action="store_true", help="no progress output")
    train.set_defaults(run=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    _check_outputs(args)
    try:
        data = DATASETS[args.dataset](n=args.samples, noise=args.noise, seed=args.seed)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    loss = args.loss or ("hinge" if data.classes == 2 else "cross-entropy")
    if data.classes > 2 and loss != "cross-entropy":
        raise CommandError(f"the {args.dataset} dataset has {data.classes} classes: "
                           "use --loss cross-entropy")
    outputs = data.classes if loss == "cross-entropy" else 1
    try:
        model = MLP(2, [*args.hidden, outputs], activation=args.activation, seed=args.seed)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    optimizer = _optimizer(args, model)
    start = time.perf_counter()
    with progress_reporter(args.steps, enabled=not args.quiet) as report:
        fit(model, data, optimizer, args.steps, loss=loss, l2=args.l2, on_step=report,
            compiled=args.compile)
    seconds = time.perf_counter() - start
    with no_grad():
        final_loss, accuracy = objective(model, data, loss, args.l2)
    _write_outputs(args, model, data)
    summary = {
        "dataset": data.name, "samples": len(data), "model": model.sizes, "loss_name": loss,
        "optimizer": args.optimizer, "steps": args.steps, "seed": args.seed,
        "compiled": args.compile,
        "loss": final_loss.data, "accuracy": accuracy, "seconds": round(seconds, 3),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"trained MLP {'-'.join(map(str, model.sizes))} on {data.name} ({len(data)} "
              f"points) for {args.steps} steps in {seconds:.1f} s: loss {final_loss.data:.4f}, "
              f"accuracy {accuracy:.1%}")
    return 0


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
    for path in (args.save, args.plot):
        if path is not None:
            check_folder(path)
    if args.plot is not None:
        from opgrad.viz.boundary import pyplot

        pyplot()  # raises MissingExtraError naming the viz extra


def _write_outputs(args: argparse.Namespace, model: MLP, data: Any) -> None:
    if args.save is not None:
        from opgrad.nn import save_model

        save_model(model, args.save)
        print(f"saved the model to {args.save}", file=sys.stderr)
    if args.plot is not None:
        from opgrad.viz import plot_decision_boundary

        plot_decision_boundary(model, data, args.plot)
        print(f"wrote the decision boundary to {args.plot}", file=sys.stderr)
