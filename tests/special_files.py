"""Files that are not regular files, made in a test's own folder (never taken from /dev)."""

from __future__ import annotations

import os
import signal
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and mknod are POSIX")


def make_fifo(path: Path) -> None:
    os.mkfifo(path)


def make_socket(path: Path) -> None:
    os.mknod(path, stat.S_IFSOCK | 0o600)  # a bound socket's file, without the length limit


def make_character_device(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a character device with mknod needs root")
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the numbers of /dev/null


# kind: (maker, what a refusal calls it)
SPECIAL_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "FIFO": (make_fifo, "a FIFO"),
    "socket": (make_socket, "a socket"),
    "character device": (make_character_device, "a character device"),
}


def make_special(kind: str, target: Path, through_symlink: bool) -> None:
    """Make ``target`` a special file of ``kind``, or a symlink to one beside it."""
    make, _ = SPECIAL_FILES[kind]
    make(target.with_name("special") if through_symlink else target)
    if through_symlink:
        target.symlink_to("special")


def file_types(folder: Path) -> list[tuple[str, int]]:
    """Each name in ``folder`` with its file type: what a refused write must leave as it was."""
    return sorted((p.name, stat.S_IFMT(p.lstat().st_mode)) for p in folder.iterdir())


@contextmanager
def unblocked_within(seconds: int) -> Iterator[None]:
    """Fail, rather than hang, if a write opens a FIFO and waits for a reader."""
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"the write blocked for {seconds} s: it opened the special file")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
