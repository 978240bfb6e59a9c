"""Losses and optimizers against PyTorch float64, and their argument errors."""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import pytest

from opgrad import Value
from opgrad.nn import (
    SGD,
    Adam,
    AdamW,
    bce_with_logits,
    cross_entropy,
    hinge_loss,
    l2_penalty,
    linear_decay,
    mse_loss,
)


def values(numbers: list[float]) -> list[Value]:
    return [Value(v) for v in numbers]


def tensor(torch: ModuleType, numbers: Any) -> Any:
    return torch.tensor(numbers, dtype=torch.float64, requires_grad=True)


LOGITS = [0.3, -1.7, 2.5, 1000.0, -1000.0, 0.0]
TARGETS = [1.0, 0.0, 0.25, 0.0, 1.0, 1.0]


def test_bce_with_logits_matches_torch_even_at_1000(torch: ModuleType) -> None:
    z = values(LOGITS)
    loss = bce_with_logits(z, TARGETS)
    loss.backward()
    tz = tensor(torch, LOGITS)
    reference = torch.nn.functional.binary_cross_entropy_with_logits(
        tz, torch.tensor(TARGETS, dtype=torch.float64))
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12)
    assert [v.grad for v in z] == pytest.approx(tz.grad.tolist(), rel=1e-12, abs=1e-15)


def test_cross_entropy_matches_torch(torch: ModuleType) -> None:
    rows = [[0.2, -1.0, 3.0], [500.0, 1.0, -2.0], [0.0, 0.0, 0.0]]
    targets = [2, 1, 0]
    logits = [values(r) for r in rows]
    loss = cross_entropy(logits, targets)
    loss.backward()
    t = tensor(torch, rows)
    reference = torch.nn.functional.cross_entropy(t, torch.tensor(targets))
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12)
    ours = [v.grad for row in logits for v in row]
    assert ours == pytest.approx([g for row in t.grad.tolist() for g in row], rel=1e-12, abs=1e-15)


def test_mse_and_hinge_match_torch(torch: ModuleType) -> None:
    scores, labels = [0.5, -2.0, 1.5, 0.9], [1.0, -1.0, -1.0, 1.0]
    ours = values(scores)
    (mse_loss(ours, labels) + hinge_loss(ours, labels)).backward()
    t = tensor(torch, scores)
    y = torch.tensor(labels, dtype=torch.float64)
    (torch.nn.functional.mse_loss(t, y) + torch.relu(1 - y * t).mean()).backward()
    assert [v.grad for v in ours] == pytest.approx(t.grad.tolist(), rel=1e-12)


def test_l2_penalty() -> None:
    params = values([1.0, -2.0])
    penalty = l2_penalty(params, 0.5)
    penalty.backward()
    assert penalty.data == 2.5
    assert [p.grad for p in params] == [1.0, -2.0]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: hinge_loss(values([1.0]), [0.0]), "labels must be -1 or \\+1"),
        (lambda: bce_with_logits(values([1.0]), [2.0]), r"targets must lie in \[0, 1\]"),
        (lambda: cross_entropy([values([1.0, 2.0])], [2]), r"class index 2 is outside 0..1"),
        (lambda: mse_loss(values([1.0, 2.0]), [1.0]), "2 outputs but 1 targets"),
        (lambda: mse_loss([], []), "at least one example"),
    ],
)
def test_loss_argument_errors(call: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def run_optimizer(make: Any, steps: int = 5) -> list[float]:
    params = values([0.5, -1.5, 2.0])
    optimizer = make(params)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = sum(((p - 0.3 * i) * (p - 0.3 * i) * (i + 1) for i, p in enumerate(params)),
                   Value(0.0))
        loss.backward()
        optimizer.step()
    return [p.data for p in params]


def run_torch_optimizer(torch: ModuleType, make: Any, steps: int = 5) -> list[float]:
    params = tensor(torch, [0.5, -1.5, 2.0])
    optimizer = make([params])
    weights = torch.tensor([0.0, 0.3, 0.6], dtype=torch.float64)
    scale = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    for _ in range(steps):
        optimizer.zero_grad()
        (((params - weights) ** 2) * scale).sum().backward()
        optimizer.step()
    return [float(v) for v in params.detach().tolist()]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda p: SGD(p, lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
        (lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
         lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
        (lambda p: Adam(p, lr=0.05), lambda t, p: t.optim.Adam(p, lr=0.05)),
        (lambda p: Adam(p, lr=0.05, weight_decay=0.1),
         lambda t, p: t.optim.Adam(p, lr=0.05, weight_decay=0.1)),
        (lambda p: AdamW(p, lr=0.05, weight_decay=0.1),
         lambda t, p: t.optim.AdamW(p, lr=0.05, weight_decay=0.1)),
    ],
)
def test_optimizers_match_torch(torch: ModuleType, ours: Any, theirs: Any) -> None:
    expected = run_torch_optimizer(torch, lambda p: theirs(torch, p))
    assert run_optimizer(ours) == pytest.approx(expected, rel=1e-12)


def test_linear_decay_schedule_drives_the_learning_rate() -> None:
    schedule = linear_decay(1.0, 0.1, 100)
    assert schedule(0) == 1.0
    assert (schedule(99), schedule(500)) == (pytest.approx(0.1), pytest.approx(0.1))
    optimizer = SGD(values([1.0]), lr=schedule)
    assert optimizer.current_lr == 1.0
    optimizer.step()
    assert optimizer.current_lr == pytest.approx(1.0 - 0.9 / 99)


def test_optimizer_argument_errors() -> None:
    with pytest.raises(ValueError, match="SGD got no parameters"):
        SGD([])
    with pytest.raises(ValueError, match=r"^Adam: lr \(the learning rate\) must be a finite "
                       r"number > 0, got -1.0$"):
        Adam(values([1.0]), lr=-1.0)
    with pytest.raises(ValueError, match="at least one step"):
        linear_decay(1.0, 0.1, 0)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: Adam(p, eps=0), r"^Adam: eps must be a finite number > 0, got 0$"),
        (lambda p: Adam(p, eps=-1e-8), r"^Adam: eps must be a finite number > 0, got -1e-08$"),
        (lambda p: Adam(p, betas=(1.0, 0.999)),
         r"^Adam: betas\[0\] must be a finite number >= 0 and < 1, got 1.0$"),
        (lambda p: AdamW(p, betas=(0.9, 1.5)),
         r"^AdamW: betas\[1\] must be a finite number >= 0 and < 1, got 1.5$"),
        (lambda p: Adam(p, betas=(-0.1, 0.9)), r"betas\[0\] must be a finite number >= 0"),
        (lambda p: Adam(p, betas=(0.9,)), r"^Adam: betas must be a pair \(beta1, beta2\)"),
        (lambda p: Adam(p, weight_decay=math.nan), r"^Adam: weight_decay must be a finite"),
        (lambda p: Adam(p, lr=math.inf), r"^Adam: lr \(the learning rate\) must be a finite"),
        (lambda p: SGD(p, lr=math.nan), r"^SGD: lr \(the learning rate\) must be a finite"),
        (lambda p: SGD(p, lr=0), r"^SGD: lr \(the learning rate\) must be a finite number > 0"),
        (lambda p: SGD(p, lr=True), r"^SGD: lr \(the learning rate\) must be a finite number"),
        (lambda p: SGD(p, momentum=-5), r"^SGD: momentum must be a finite number >= 0, got -5$"),
        (lambda p: SGD(p, momentum=math.nan), r"^SGD: momentum must be a finite number >= 0"),
        (lambda p: SGD(p, weight_decay=-1), r"^SGD: weight_decay must be a finite number >= 0"),
    ],
)
def test_optimizer_hyperparameters_are_checked_at_construction(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make(values([1.0]))


def test_adam_takes_its_edge_values() -> None:
    p = values([1.0])
    optimizer = Adam(p, betas=(0.0, 0.0), eps=1e-300)
    p[0].grad = 0.0
    optimizer.step()  # no division by zero with a zero gradient
    assert p[0].data == 1.0
