"""Defects a hostile tester found in opgrad.compile, each pinned down."""

from __future__ import annotations

import math

import pytest

import opgrad
from opgrad import StructureChanged, Value
from opgrad.nn import cross_entropy


def test_compile_inside_no_grad_traces_with_grad() -> None:
    w = Value(2.0)
    with opgrad.no_grad():
        step = opgrad.compile(lambda: w * w)
        assert not opgrad.is_grad_enabled()
    w.data = 5.0
    assert step() == 25.0
    assert w.grad == 10.0


def test_cross_entropy_shift_follows_the_data_when_compiled() -> None:
    logits = [Value(0.0), Value(0.0), Value(0.0)]
    step = opgrad.compile(lambda: cross_entropy([logits], [2]))
    for z, v in zip(logits, (700.0, 0.0, 720.0), strict=True):
        z.data = v
    loss = step()
    compiled = [z.grad for z in logits]
    for z in logits:
        z.grad = 0.0
    dynamic = cross_entropy([logits], [2])
    dynamic.backward()
    assert loss == dynamic.data == pytest.approx(2.06e-09, rel=1e-2)
    assert compiled == [z.grad for z in logits]


def test_train_compile_on_spiral_with_adamw_equals_the_dynamic_run() -> None:
    from opgrad.cli.train_command import OPTIMIZERS
    from opgrad.nn import DATASETS, MLP, fit

    def train(compiled: bool) -> list[float]:
        data = DATASETS["spiral"](n=30, noise=0.1, seed=0)
        model = MLP(2, [6, data.classes], seed=0)
        optimizer = OPTIMIZERS["adamw"](model.parameters(), lr=0.05)
        history = fit(model, data, optimizer, 6, loss="cross-entropy", compiled=compiled)
        return [r.loss for r in history] + [p.data for p in model.parameters()]

    assert train(compiled=True) == train(compiled=False)


def test_verify_accepts_nan_equal_to_nan() -> None:
    x = Value(1.0)
    step = opgrad.compile(lambda: x * math.nan)
    step.verify()
    assert math.isnan(step())


SCALE = 2.0


def test_names_are_read_when_compiling_and_verify_says_so(registry: object) -> None:
    opgrad.register(lambda x: x * SCALE, name="scaled", formula="d/dx scaled(x) = SCALE",
                    local_grads=lambda x, out: (SCALE,))
    x = Value(1.0)
    step = opgrad.compile(lambda: opgrad.ops.scaled(x))
    step.verify()
    global SCALE
    SCALE = 3.0
    try:
        assert step() == 2.0  # the compiled step read SCALE when compiling
        with pytest.raises(StructureChanged, match=r"compiled result 2.0 differs from dynamic 3.0"):
            step.verify()
    finally:
        SCALE = 2.0
