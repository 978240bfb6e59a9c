"""gc_paused: the collector is paused inside and always restored afterwards."""

from __future__ import annotations

import gc
import threading

import pytest

import opgrad
from opgrad.nn import MLP, SGD, fit, make_moons


@pytest.fixture(autouse=True)
def collector_enabled() -> None:
    assert gc.isenabled(), "a test before this one left the collector disabled"


def test_paused_inside_and_restored_after() -> None:
    with opgrad.gc_paused():
        assert not gc.isenabled()
        with opgrad.gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_exception() -> None:
    with pytest.raises(RuntimeError), opgrad.gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with opgrad.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_threads_restore_once_the_last_exits() -> None:
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with opgrad.gc_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    with opgrad.gc_paused():
        pass
    assert not gc.isenabled()  # the other thread is still inside
    release.set()
    thread.join()
    assert gc.isenabled()


def test_training_leaves_the_collector_as_it_found_it() -> None:
    data = make_moons(n=10, seed=0)
    model = MLP(2, [3, 1], seed=0)
    fit(model, data, SGD(model.parameters(), lr=0.1), 2)
    assert gc.isenabled()


def test_graphs_are_freed_without_the_collector() -> None:
    # No reference cycles: dropping the root frees the whole graph at once.
    import tracemalloc

    model = MLP(2, [8, 8, 1], seed=0)
    with opgrad.gc_paused():
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            out = sum((model([0.1 * i, 0.2]) for i in range(50)), opgrad.Value(0.0))
            out.backward()  # type: ignore[union-attr]
            built, _ = tracemalloc.get_traced_memory()
            del out
            after, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert built - before > 500_000
    assert after - before < 0.05 * (built - before)  # grads of the parameters remain
