"""Keeping Python's cyclic garbage collector out of graph building."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausers = 0  # blocks inside gc_paused() right now, in any thread
_was_enabled = False  # the collector's state when the first of them entered


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block; restore it afterwards.

    opgrad graphs hold no reference cycles, so reference counting frees each
    graph as soon as it is dropped. While a graph of tens of thousands of
    nodes is built, the cyclic collector would walk it again and again and
    find nothing. Wrap a training step in this block (``opgrad.nn.fit`` does).
    Nested and concurrent blocks are fine: the collector is restored to its
    original state when the last one exits.
    """
    global _pausers, _was_enabled
    with _lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()
