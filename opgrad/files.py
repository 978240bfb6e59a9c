"""The one way opgrad writes a file: atomically, and only over a regular file.

Every file opgrad writes (a saved model, an explorer page, a plot, a graph)
goes through :func:`write_file`. The content goes to a temporary file beside
the target, named ``NAME.opgrad-tmp-XXXXXXXX`` (NAME shortened if the file
system's name limit needs it) so that one left by a killed process says what
it is; it is flushed to disk, then renamed over the target, so a reader sees
the old file or the new one, never half of one. The next write to that folder
removes such leftovers once they are a minute old.

The target may be a regular file (its mode is kept), a new name (it gets what
the umask allows), or a symlink to either (written through; the link stays).
Anything else, a folder, device, FIFO or socket or a symlink to one, is
refused before anything is written: renaming over ``/dev/null`` would replace
the device with a regular file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import time
from pathlib import Path

FilePath = str | os.PathLike[str]

TEMPORARY_MARK = ".opgrad-tmp-"
TEMPORARY = re.compile(r".+\.opgrad-tmp-[0-9a-f]{8}")  # NAME.opgrad-tmp-XXXXXXXX
STALE_SECONDS = 60.0  # a temporary this old belongs to no running write
NAME_MAX = 255  # bytes in a file name, where the system cannot tell its own limit
KINDS = {stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
         stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket"}


class SpecialFileError(shutil.SpecialFileError):  # the standard library's name for this case
    """The path is a device, FIFO or socket (or a symlink to one), not a regular file."""


def write_file(path: FilePath, content: str | bytes) -> None:
    """Replace the file at ``path`` with ``content`` (text is written as UTF-8), atomically.

    Raises :class:`SpecialFileError` or ``IsADirectoryError`` for what is not
    a regular file, and any other ``OSError`` naming ``path``, not the temporary.
    """
    target = writable_target(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    _remove_stale_temporaries(target.parent)
    try:
        _replace(path, target, data)
    except SpecialFileError:
        raise
    except OSError as exc:
        raise _naming(path, exc) from None
    _sync_folder(target.parent)


def _replace(path: FilePath, target: Path, data: bytes) -> None:
    """Write ``data`` beside ``target``, flush it to disk, then rename it over ``target``."""
    temporary = _create_temporary(target)
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        writable_target(path)  # again: a special file may have taken the name meanwhile
        os.replace(temporary, target)  # atomic on POSIX and Windows
    except BaseException:  # even on Ctrl-C: no temporary file left behind
        temporary.unlink(missing_ok=True)
        raise


def writable_target(path: FilePath) -> Path:
    """The file that writing ``path`` replaces (symlinks followed), if it may be replaced.

    That is a regular file or a new name; anything else raises, before any work.
    """
    if os.fspath(path).endswith((os.sep, "/")):  # realpath would drop the slash
        raise IsADirectoryError(errno.EISDIR, "a folder: give a file name", os.fspath(path))
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target  # a new name (a missing folder fails when the file is made)
    except OSError as exc:  # a name too long, a symlink loop, a folder we may not enter
        raise _naming(path, exc) from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if not stat.S_ISREG(mode):
        kind = KINDS.get(stat.S_IFMT(mode), "a special file")
        raise SpecialFileError(f"cannot write {path}: it is {kind}, not a regular file; opgrad "
                               "writes only regular files (or through a symlink to one)")
    return target


def _naming(path: FilePath, exc: OSError) -> OSError:
    """The same error, naming the file the caller asked for (one line, no temporary name)."""
    if exc.errno is None:
        return exc
    return OSError(exc.errno, exc.strerror, os.fspath(path))


def _create_temporary(target: Path) -> Path:
    """A new empty file beside ``target``, with the mode the written file should have."""
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None  # a new file: os.open applies the umask to 0o666
    limit = _name_limit(target.parent)
    while True:
        temporary = target.with_name(temporary_name(target.name, secrets.token_hex(4), limit))
        try:
            os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        if mode is not None:
            os.chmod(temporary, mode)
        return temporary


def temporary_name(name: str, token: str, limit: int) -> str:
    """``NAME.opgrad-tmp-TOKEN``, with NAME cut short so that it fits in ``limit`` bytes."""
    suffix = f"{TEMPORARY_MARK}{token}"
    while len(os.fsencode(name + suffix)) > limit and len(name) > 1:
        name = name[:-1]
    return name + suffix


def _name_limit(folder: Path) -> int:
    """The longest file name, in bytes, that the file system holding ``folder`` accepts."""
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows), or no answer
        return NAME_MAX
    return limit if limit > 0 else NAME_MAX


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete temporaries that killed writes left in ``folder`` (best effort)."""
    cutoff = time.time() - STALE_SECONDS
    with contextlib.suppress(OSError):  # cleaning up must never make a write fail
        leftovers = [path for path in folder.iterdir() if TEMPORARY.fullmatch(path.name)]
        for leftover in leftovers:
            with contextlib.suppress(OSError):  # gone already, or not ours to delete
                info = leftover.lstat()
                if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                    leftover.unlink()


def _sync_folder(folder: Path) -> None:
    """Flush the rename itself to disk, so that a crash cannot undo it (where possible)."""
    with contextlib.suppress(OSError):  # not every system opens a folder (Windows)
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
