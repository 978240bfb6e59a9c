"""A full-batch training loop for classifiers on toy datasets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opgrad import Value, gc_paused
from opgrad.nn.data import Dataset
from opgrad.nn.losses import bce_with_logits, cross_entropy, hinge_loss, l2_penalty, mse_loss
from opgrad.nn.module import MLP
from opgrad.nn.optim import Optimizer

LOSSES = ("hinge", "bce", "mse", "cross-entropy")


@dataclass(frozen=True)
class StepResult:
    """One training step: its index (1-based), loss, accuracy and learning rate."""

    step: int
    loss: float
    accuracy: float
    lr: float


def objective(model: MLP, data: Dataset, loss: str = "hinge", l2: float = 1e-4
              ) -> tuple[Value, float]:
    """The loss over the whole dataset (plus ``l2`` times the squared weights) and accuracy."""
    outputs = [model(x) for x in data.x]
    if loss == "cross-entropy":
        rows = [_as_list(o) for o in outputs]
        _check_width(rows[0], data.classes, loss)
        total = cross_entropy(rows, data.y)
        hits = [max(range(len(r)), key=lambda k, r=r: r[k].data) == y  # type: ignore[misc]
                for r, y in zip(rows, data.y, strict=True)]
    else:
        scores = [_single(o, loss) for o in outputs]
        total = _binary_loss(loss, scores, data)
        hits = [(s.data > 0) == (y == 1) for s, y in zip(scores, data.y, strict=True)]
    if l2:
        total = total + l2_penalty(model.parameters(), l2)
    return total, sum(hits) / len(hits)


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
        l2: float = 1e-4, on_step: Callable[[StepResult], None] | None = None
        ) -> list[StepResult]:
    """Full-batch training: each step builds the loss, runs backward, updates."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    history = []
    for step in range(1, steps + 1):
        with gc_paused():  # the graph has no cycles: reference counting frees it
            total, accuracy = objective(model, data, loss, l2)
            optimizer.zero_grad()
            total.backward()
            lr = optimizer.current_lr
            optimizer.step()
            result = StepResult(step, total.data, accuracy, lr)
            del total  # freed here, while the collector still sleeps
        history.append(result)
        if on_step is not None:
            on_step(result)
    return history
