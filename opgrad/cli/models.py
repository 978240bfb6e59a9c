"""What ``opgrad train`` and ``opgrad eval`` share: the data and loss options, saved models."""

from __future__ import annotations

import argparse
from pathlib import Path

from opgrad.cli.common import CommandError, number
from opgrad.nn import DATASETS, LOSSES, MLP, Dataset, ModelFileError, load_model


def add_data_arguments(parser: argparse.ArgumentParser, seed_help: str) -> None:
    """The options saying what data a model trains or is evaluated on, and with which loss."""
    add = parser.add_argument
    add("--dataset", choices=sorted(DATASETS), default="moons", help="default: moons")
    add("--samples", type=number(int, minimum=2), default=100,
        help="number of points (default 100)")
    add("--noise", type=number(float, minimum=0.0, maximum=10.0), default=0.1,
        help="noise of the dataset, 0 to 10 (default 0.1)")
    add("--seed", type=int, default=0, help=seed_help)
    add("--loss", choices=LOSSES, help="default: hinge, or cross-entropy for 3+ classes or a "
        "model with one output per class")
    add("--l2", type=number(float, minimum=0.0), default=1e-4,
        help="L2 penalty on the weights, >= 0 (default 1e-4)")


def make_data(args: argparse.Namespace) -> Dataset:
    """The dataset the options describe."""
    return DATASETS[args.dataset](n=args.samples, noise=args.noise, seed=args.seed)


def choose_loss(requested: str | None, data: Dataset, outputs: int | None = None) -> str:
    """The loss asked for, else the one the data (and a saved model's width) call for."""
    per_class = data.classes > 2 or outputs not in (None, 1)
    loss = requested or ("cross-entropy" if per_class else "hinge")
    if data.classes > 2 and loss != "cross-entropy":
        raise CommandError(f"the {data.name} dataset has {data.classes} classes: "
                           "use --loss cross-entropy")
    needed = data.classes if loss == "cross-entropy" else 1
    if outputs is not None and outputs != needed:
        raise CommandError(f"the model has {outputs} output(s), and the {loss} loss on "
                           f"{data.name} needs {needed}")
    return loss


def load_saved(path: Path, stored: bool = False) -> MLP:
    """A model saved with ``opgrad train --save``, as a clear error if it cannot be used."""
    try:
        model = load_model(path, stored=stored)
    except ModelFileError as exc:
        raise CommandError(str(exc)) from None
    if model.sizes[0] != 2:
        raise CommandError(f"{path} holds a model of {model.sizes[0]} inputs; the datasets "
                           "have points of 2")
    return model
