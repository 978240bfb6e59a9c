"""A training step's result, and progress on stderr.

A terminal gets tqdm's bar when tqdm is installed; anything else (a log file,
a pipe, CI) gets plain lines, since a bar redrawn with carriage returns
there is one long unreadable line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StepResult:
    """One training step: its index (1-based), loss, accuracy and learning rate."""

    step: int
    loss: float
    accuracy: float
    lr: float


@contextmanager
def progress_reporter(total: int, enabled: bool = True) -> Iterator[Callable[[StepResult], None]]:
    """A callback for each training step that shows progress on stderr."""
    if not enabled:
        yield lambda result: None
        return
    bar_class = _tqdm() if sys.stderr.isatty() else None
    if bar_class is None:
        yield _plain_reporter(total)
        return
    with bar_class(total=total, file=sys.stderr, unit="step", desc="training") as bar:
        def report(result: StepResult) -> None:
            bar.set_postfix(loss=f"{result.loss:.4f}", acc=f"{result.accuracy:.0%}")
            bar.update(1)

        yield report


def _tqdm() -> Any:
    """tqdm's bar class (the progress extra), or None."""
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]  # tqdm ships no type hints
    except ImportError:
        return None
    return tqdm


def _plain_reporter(total: int) -> Callable[[StepResult], None]:
    every = max(1, total // 10)

    def report(result: StepResult) -> None:
        if result.step % every == 0 or result.step in (1, total):
            print(f"step {result.step:>{len(str(total))}}/{total}  loss {result.loss:.4f}  "
                  f"accuracy {result.accuracy:.1%}  lr {result.lr:.3g}", file=sys.stderr)

    return report
