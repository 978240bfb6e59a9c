"""micrograd's demo.ipynb as code, written once for any engine with micrograd's surface.

The notebook's cells with only the imports and the data source changed: the
moons come from opgrad.nn.make_moons (the same points for every engine, no
scikit-learn), as lists of floats. The benchmark runs it too.
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

import opgrad

STEPS = 100  # the notebook's training loop


def moons() -> tuple[list[list[float]], list[int]]:
    """The notebook's ``X, y`` (labels -1 / +1, as its ``y = y*2 - 1``)."""
    data = opgrad.nn.make_moons(n=100, noise=0.1, seed=0)
    return data.x, [label * 2 - 1 for label in data.y]


class Demo:
    """The notebook's model, loss and training step, on ``engine`` and ``nn`` modules."""

    def __init__(self, engine: ModuleType, nn: ModuleType) -> None:
        self.Value = engine.Value
        self.X, self.y = moons()
        random.seed(1337)
        self.model = nn.MLP(2, [16, 16, 1])  # 2-layer neural network

    def loss(self) -> tuple[Any, float]:
        """The notebook's ``loss()``: svm max-margin loss + L2 regularization, accuracy."""
        inputs = [list(map(self.Value, xrow)) for xrow in self.X]
        scores = list(map(self.model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in self.model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(self.y, scores,
                                                                        strict=True)]
        return total_loss, sum(accuracy) / len(accuracy)

    def step(self, k: int) -> tuple[float, float]:
        """Training step ``k`` of the notebook's loop: its loss and accuracy."""
        total_loss, acc = self.loss()
        self.model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in self.model.parameters():
            p.data -= learning_rate * p.grad
        return float(total_loss.data), acc
