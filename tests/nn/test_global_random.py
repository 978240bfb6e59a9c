"""Weight initialisation: Python's global random unless seed= asks for its own generator."""

from __future__ import annotations

import random

from opgrad.nn import MLP, Layer, Neuron


def weights(model: MLP | Layer | Neuron) -> list[float]:
    return [p.data for p in model.parameters()]


def test_random_seed_makes_a_model_reproducible() -> None:
    random.seed(1337)
    first = weights(MLP(2, [4, 1]))
    random.seed(1337)
    assert weights(MLP(2, [4, 1])) == first


def test_layers_and_neurons_draw_from_global_random_too() -> None:
    for build in (lambda: Layer(3, 2), lambda: Neuron(3)):
        random.seed(7)
        first = weights(build())
        random.seed(7)
        assert weights(build()) == first


def test_seed_keeps_an_independent_generator() -> None:
    random.seed(1)
    before = random.random()
    random.seed(1)
    model = MLP(2, [4, 1], seed=5)
    assert random.random() == before  # the global stream was not consumed
    assert weights(model) == weights(MLP(2, [4, 1], seed=5))
