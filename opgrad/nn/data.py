"""Toy 2-D datasets generated in code from a seed (no download, no scikit-learn)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Dataset:
    """Points ``x`` (pairs of floats) with class labels ``y`` (0 .. classes - 1)."""

    name: str
    x: list[list[float]]
    y: list[int]
    classes: int

    def __len__(self) -> int:
        return len(self.y)

    def signed_labels(self) -> list[float]:
        """Labels as -1.0 / +1.0 (for the hinge loss); two-class data only."""
        if self.classes != 2:
            raise ValueError(f"signed labels need two classes, {self.name} has {self.classes}")
        return [2.0 * label - 1.0 for label in self.y]


Point = Callable[[int, random.Random], list[float]]  # (label, rng) -> [x, y]


def _generate(name: str, n: int, noise: float, seed: int, classes: int,
              point: Point) -> Dataset:
    """``n`` points, labels taking turns, each drawn by ``point`` from one seeded stream."""
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"a dataset needs at least 2 points, got n={n!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = random.Random(seed)
    labels = [i % classes for i in range(n)]
    return Dataset(name, [point(label, rng) for label in labels], labels, classes)


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles (like scikit-learn's make_moons)."""
    def point(label: int, rng: random.Random) -> list[float]:
        t = math.pi * rng.random()
        px, py = (math.cos(t), math.sin(t)) if label == 0 else (1 - math.cos(t), 0.5 - math.sin(t))
        return [px + rng.gauss(0.0, noise), py + rng.gauss(0.0, noise)]

    return _generate("moons", n, noise, seed, 2, point)


def make_circles(n: int = 100, noise: float = 0.05, seed: int = 0, factor: float = 0.5) -> Dataset:
    """A small circle (class 1) inside a large one (class 0)."""
    def point(label: int, rng: random.Random) -> list[float]:
        t = 2 * math.pi * rng.random()
        radius = factor if label else 1.0
        return [radius * math.cos(t) + rng.gauss(0.0, noise),
                radius * math.sin(t) + rng.gauss(0.0, noise)]

    return _generate("circles", n, noise, seed, 2, point)


def make_spiral(n: int = 150, noise: float = 0.1, seed: int = 0, classes: int = 3) -> Dataset:
    """``classes`` interleaved spiral arms, one class each (the noise turns the angle)."""
    def point(label: int, rng: random.Random) -> list[float]:
        r = rng.random()
        t = 4.0 * r + 2 * math.pi * label / classes + rng.gauss(0.0, noise)
        return [r * math.cos(t), r * math.sin(t)]

    return _generate("spiral", n, noise, seed, classes, point)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "moons": make_moons, "circles": make_circles, "spiral": make_spiral,
}
