"""Passes from several threads into shared leaves add up as if run one after another."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import pytest

import opgrad
from opgrad import Value
from opgrad.nn import ParameterStore


def run_together(*works: Callable[[], object]) -> None:
    """Each of ``works`` in a thread of its own, all at once; back when all are done."""
    workers = [threading.Thread(target=work) for work in works]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def run_in_threads(work: Callable[[], object], threads: int = 4) -> None:
    run_together(*[work] * threads)


@pytest.mark.parametrize("stored", [False, True], ids=["plain", "stored"])
def test_concurrent_backward_into_a_shared_leaf_sums_every_pass(frequent_switches: None,
                                                               stored: bool) -> None:
    w = ParameterStore([0.5])[0] if stored else Value(0.5)  # a stored one: grad in an array
    xs = [Value(0.01 * i) for i in range(200)]

    def passes() -> None:
        for _ in range(100):
            sum(((w * x).tanh() for x in xs), Value(0.0)).backward()

    run_in_threads(passes)
    one_pass = sum(x.data * (1.0 - math.tanh(0.5 * x.data) ** 2) for x in xs)
    assert w.grad == pytest.approx(4 * 100 * one_pass, rel=1e-12)
    assert all(x.grad == pytest.approx(4 * 100 * 0.5 * (1 - math.tanh(0.5 * x.data) ** 2),
                                       rel=1e-12) for x in xs)


def test_concurrent_grad_calls_leave_the_shared_grads_alone(frequent_switches: None) -> None:
    w = Value(0.5)
    w.grad = 7.0
    results: list[float] = []

    def calls() -> None:
        for _ in range(50):
            (g,) = opgrad.grad((w * w * 3.0).tanh(), [w])
            results.append(g)

    run_in_threads(calls)
    expected = 6 * 0.5 * (1 - math.tanh(0.75) ** 2)
    assert w.grad == 7.0 and len(results) == 200
    assert all(g == pytest.approx(expected, rel=1e-12) for g in results)


def test_compiled_steps_and_backward_in_threads_sum_every_pass(frequent_switches: None) -> None:
    w = Value(0.5)
    xs = [Value(0.01 * i) for i in range(200)]

    def loss() -> Value:
        return sum(((w * x).tanh() for x in xs), Value(0.0))

    step = opgrad.compile(loss)
    w.grad = 0.0

    def compiled_passes() -> None:
        for _ in range(50):
            step()

    def dynamic_passes() -> None:
        for _ in range(50):
            loss().backward()

    run_together(compiled_passes, dynamic_passes, compiled_passes, dynamic_passes)
    one_pass = sum(x.data * (1.0 - math.tanh(0.5 * x.data) ** 2) for x in xs)
    assert w.grad == pytest.approx(4 * 50 * one_pass, rel=1e-12)
