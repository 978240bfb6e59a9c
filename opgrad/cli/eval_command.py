"""``opgrad eval``: a model saved by ``opgrad train --save``, measured on a dataset."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from opgrad.cli.common import PLOT_SUFFIXES, CommandFailure, check_output, file_path
from opgrad.cli.models import add_data_arguments, choose_loss, load_saved, make_data
from opgrad.cli.train_command import LIMITS, check_limits, limits_help
from opgrad.core import no_grad
from opgrad.nn import MLP, Dataset, objective

EXAMPLES = """examples:
  opgrad train --save model.json && opgrad eval model.json
  opgrad eval model.json --seed 1 --samples 500        fresh points the model never saw
  opgrad eval model.json --plot boundary.png           what it learned, drawn
  opgrad train --init model.json --steps 50            go on training it"""
EVAL_LIMITS = limits_help([limit for limit in LIMITS if limit.what != "--steps"])


def add_commands(commands: Any) -> None:
    """Add ``eval`` to the sub-command parsers."""
    evaluate = commands.add_parser(
        "eval", help="load a saved model and measure its loss and accuracy",
        description="Load MODEL (a file written by `opgrad train --save`) and print its loss "
        "and accuracy on a generated dataset: by default the one `opgrad train` trains on; "
        "another --seed gives fresh points. The loss is the training objective (L2 included), "
        "the number `opgrad train --init MODEL` shows at its first step.",
        epilog=f"{EXAMPLES}\n\n{EVAL_LIMITS}", formatter_class=argparse.RawDescriptionHelpFormatter)
    evaluate.add_argument("model", type=Path, metavar="MODEL", help="a model file (JSON)")
    add_data_arguments(evaluate, "seed for the data (default 0, the training data's)")
    evaluate.add_argument("--plot", type=file_path, metavar="PATH",
                          help="write its decision boundary as .png, .svg or .pdf (viz extra)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--no-limits", action="store_true", help="lift the size limits below")
    evaluate.set_defaults(run=cmd_eval, steps=1)  # one pass over the data, for the limits


def cmd_eval(args: argparse.Namespace) -> int:
    if args.plot is not None:
        check_output(args.plot, PLOT_SUFFIXES)
    model = load_saved(args.model)
    check_limits(args, model.sizes)
    data = make_data(args)
    result = _measure(model, data, choose_loss(args.loss, data, model.sizes[-1]), args.l2)
    result["seed"] = args.seed
    if args.plot is not None:
        from opgrad.viz import plot_decision_boundary

        plot_decision_boundary(model, data, args.plot)
        print(f"wrote the decision boundary to {args.plot}", file=sys.stderr)
    print(json.dumps(result, allow_nan=False) if args.json else
          f"MLP {'-'.join(map(str, model.sizes))} from {args.model} on {data.name} "
          f"({len(data)} points, seed {args.seed}): loss {result['loss']:.4f}, "
          f"accuracy {result['accuracy']:.1%}")
    return 0


def _measure(model: MLP, data: Dataset, loss: str, l2: float) -> dict[str, Any]:
    """The model's loss and accuracy on ``data``; a loss that cannot be computed fails."""
    try:
        with no_grad():
            total, accuracy = objective(model, data, loss, l2)
    except (ValueError, ArithmeticError) as exc:  # e.g. exp overflowed on these weights
        raise CommandFailure(f"cannot evaluate the model: {exc}") from None
    if not math.isfinite(total.data):
        raise CommandFailure(f"the model's loss on this data is {total.data}")
    return {"model": model.sizes, "activation": model.activation, "dataset": data.name,
            "samples": len(data), "loss_name": loss, "loss": total.data, "accuracy": accuracy}
