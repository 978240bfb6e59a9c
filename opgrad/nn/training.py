"""A full-batch training loop for classifiers on toy datasets."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from opgrad._typed import Value
from opgrad.compiler import CompiledStep, StructureChanged, compile
from opgrad.memory import gc_paused
from opgrad.nn.data import Dataset
from opgrad.nn.losses import bce_with_logits, cross_entropy, hinge_loss, l2_penalty, mse_loss
from opgrad.nn.module import MLP
from opgrad.nn.optim import Optimizer
from opgrad.nn.progress import StepResult

LOSSES = ("hinge", "bce", "mse", "cross-entropy")


class DivergenceError(ArithmeticError):
    """Training made the loss non-finite (nan or inf); ``step`` is the 1-based step."""

    def __init__(self, step: int, loss: float) -> None:
        super().__init__(f"training diverged at step {step}: the loss is {loss} (try a smaller "
                         "learning rate)")
        self.step, self.loss = step, loss


def outputs_and_loss(model: MLP, data: Dataset, loss: str = "hinge", l2: float = 1e-4
                     ) -> tuple[Value, list[Value]]:
    """The loss over the whole dataset (plus ``l2`` times the squared weights), and the
    model's outputs flattened (one per example, or one per class per example)."""
    outputs = [model(x) for x in data.x]
    if loss == "cross-entropy":
        rows = [_as_list(o) for o in outputs]
        _check_width(rows[0], data.classes, loss)
        total = cross_entropy(rows, data.y)
        flat = [z for row in rows for z in row]
    else:
        flat = [_single(o, loss) for o in outputs]
        total = _binary_loss(loss, flat, data)
    if l2:
        total = total + l2_penalty(model.parameters(), l2)
    return total, flat


def accuracy(scores: Sequence[float], data: Dataset) -> float:
    """The share of examples classified right, from flattened output numbers."""
    width = len(scores) // len(data)
    if width == 1:
        hits = [(s > 0) == (y == 1) for s, y in zip(scores, data.y, strict=True)]
    else:
        rows = [scores[i * width:(i + 1) * width] for i in range(len(data))]
        hits = [max(range(width), key=row.__getitem__) == y
                for row, y in zip(rows, data.y, strict=True)]
    return sum(hits) / len(hits)


def objective(model: MLP, data: Dataset, loss: str = "hinge", l2: float = 1e-4
              ) -> tuple[Value, float]:
    """The loss Value (see :func:`outputs_and_loss`) and the accuracy."""
    total, outputs = outputs_and_loss(model, data, loss, l2)
    return total, accuracy([o.data for o in outputs], data)


def _binary_loss(loss: str, scores: list[Value], data: Dataset) -> Value:
    if loss == "hinge":
        return hinge_loss(scores, data.signed_labels())
    if loss == "bce":
        return bce_with_logits(scores, [float(y) for y in data.y])
    if loss == "mse":
        return mse_loss(scores, data.signed_labels())
    raise ValueError(f"unknown loss {loss!r} (one of: {', '.join(LOSSES)})")


def _as_list(output: Value | list[Value]) -> list[Value]:
    return output if isinstance(output, list) else [output]


def _single(output: Value | list[Value], loss: str) -> Value:
    if isinstance(output, list):
        raise ValueError(f"the {loss} loss needs one output per example, the model gives "
                         f"{len(output)}; use cross-entropy or a last width of 1")
    return output


def _check_width(row: Sequence[Value], classes: int, loss: str) -> None:
    if len(row) != classes:
        raise ValueError(f"{loss} needs one output per class ({classes}), the model gives "
                         f"{len(row)}")


def fit(model: MLP, data: Dataset, optimizer: Optimizer, steps: int, *, loss: str = "hinge",
        l2: float = 1e-4, on_step: Callable[[StepResult], None] | None = None,
        compiled: bool = False, live: bool = False) -> list[StepResult]:
    """Full-batch training: each step builds the loss, runs backward, updates.

    With ``live=True`` a notebook redraws the loss curve and the decision
    boundary as training runs; a terminal shows a progress bar.

    With ``compiled=True`` the step is traced once with :func:`opgrad.compile`
    and the generated code runs instead (traced again if the data makes the
    graph change shape, e.g. a loss that branches on the sign of a score).

    A non-finite loss stops training with :class:`DivergenceError` naming the
    step, before that step updates the parameters.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if live:
        from opgrad.viz.live import live_reporter

        with live_reporter(model, data, steps, on_step) as report:
            return fit(model, data, optimizer, steps, loss=loss, l2=l2, on_step=report,
                       compiled=compiled)
    run = _compiled_step(model, data, loss, l2) if compiled else _dynamic_step(
        model, data, loss, l2)
    history = []
    for step in range(1, steps + 1):
        with gc_paused():  # the graph has no cycles: reference counting frees it
            optimizer.zero_grad()
            total, scores = run()
            if not math.isfinite(total):
                raise DivergenceError(step, total)
            lr = optimizer.current_lr
            optimizer.step()
        result = StepResult(step, total, accuracy(scores, data), lr)
        history.append(result)
        if on_step is not None:
            on_step(result)
    return history


Step = Callable[[], tuple[float, list[float]]]  # runs forward and backward: loss, outputs


def _dynamic_step(model: MLP, data: Dataset, loss: str, l2: float) -> Step:
    def run() -> tuple[float, list[float]]:
        total, outputs = outputs_and_loss(model, data, loss, l2)
        total.backward()
        return total.data, [o.data for o in outputs]

    return run


def _compiled_step(model: MLP, data: Dataset, loss: str, l2: float) -> Step:
    def trace() -> CompiledStep:
        return compile(lambda: outputs_and_loss(model, data, loss, l2))

    step = trace()

    def run() -> tuple[float, list[float]]:
        nonlocal step
        try:
            total = step()
        except StructureChanged:  # the data took another branch: trace again
            step = trace()
            total = step()
        return total, step.outputs

    return run
