"""Losses over lists of scalar Values, composed from registered ops."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from opgrad import ops
from opgrad._typed import Value


def mean(values: Sequence[Value]) -> Value:
    """The average of a non-empty list of Values."""
    if not values:
        raise ValueError("cannot take the mean of an empty list")
    return sum(values[1:], values[0]) * (1.0 / len(values))


def mse_loss(predictions: Sequence[Value], targets: Sequence[float]) -> Value:
    """Mean squared error."""
    _same_length(predictions, targets)
    return mean([(p - t) * (p - t) for p, t in zip(predictions, targets, strict=True)])


def hinge_loss(scores: Sequence[Value], labels: Sequence[float]) -> Value:
    """The max-margin loss of the micrograd demo: mean of relu(1 - y * score), y in {-1, +1}."""
    _same_length(scores, labels)
    for y in labels:
        if y not in (-1, 1):
            raise ValueError(f"hinge_loss labels must be -1 or +1, got {y!r}")
    return mean([(1.0 - y * s).relu() for s, y in zip(scores, labels, strict=True)])


def bce_with_logits(logits: Sequence[Value], targets: Sequence[float]) -> Value:
    """Binary cross-entropy from logits, targets in [0, 1]; stable for logits of +-1000.

    Uses softplus(z) - z * y, with softplus(z) written for the sign of z so
    that exp only ever sees a non-positive number and the graph is smooth at 0.
    """
    _same_length(logits, targets)
    terms = []
    for z, y in zip(logits, targets, strict=True):
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"bce_with_logits targets must lie in [0, 1], got {y!r}")
        softplus = z + (1.0 + (-z).exp()).log() if z >= 0.0 else (1.0 + z.exp()).log()
        terms.append(softplus - z * y)
    return mean(terms)


def cross_entropy(logits: Sequence[Sequence[Value]], targets: Sequence[int]) -> Value:
    """Softmax cross-entropy, averaged over examples; ``targets`` are class indices.

    The log-sum-exp is shifted by each row's largest logit, so it cannot
    overflow. The shift is part of the graph (a running max written with
    relu, no comparison of data), so a compiled step recomputes it from the
    current logits; its gradient cancels (the log-sum-exp does not depend on it).
    """
    _same_length(logits, targets)
    terms = []
    for row, target in zip(logits, targets, strict=True):
        if not isinstance(target, int) or not 0 <= target < len(row):
            raise ValueError(f"class index {target!r} is outside 0..{len(row) - 1}")
        shift = row[0]
        for z in row[1:]:
            shift = shift + ops.relu(z - shift)  # max(shift, z), without a Python if
        total = sum((ops.exp(z - shift) for z in row), Value(0.0))
        terms.append(total.log() + shift - row[target])
    return mean(terms)


def l2_penalty(parameters: Iterable[Value], alpha: float) -> Value:
    """``alpha`` times the sum of squared parameters (the demo's regularisation)."""
    return alpha * sum((p * p for p in parameters), Value(0.0))


def _same_length(outputs: Sequence[object], targets: Sequence[object]) -> None:
    if len(outputs) != len(targets):
        raise ValueError(f"{len(outputs)} outputs but {len(targets)} targets")
    if not outputs:
        raise ValueError("a loss needs at least one example")
