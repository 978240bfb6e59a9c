"""Every file opgrad writes goes through one writer: atomic, and only over a regular file.

Each test runs over every writer (a saved model, an explorer page, a function
plot, a decision boundary), so a new writer that skips the shared one fails here.
Devices, FIFOs and sockets are made in a temporary folder, never taken from /dev.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from opgrad import Value
from opgrad.nn import MLP, load_model, make_moons, save_model
from opgrad.viz import explore
from tests.special_files import (
    SPECIAL_FILES,
    file_types,
    make_special,
    needs_posix,
    unblocked_within,
)

Writer = Callable[[Path], object]


def write_model(path: Path) -> None:
    save_model(MLP(2, [3, 1], seed=1), path)


def write_explorer(path: Path) -> None:
    explore(Value(2.0, label="a") * 3.0, path)


def write_function_plot(path: Path) -> None:
    from opgrad.viz import plot_function

    plot_function(lambda x: x * x, -1.0, 1.0, path)


def write_decision_boundary(path: Path) -> None:
    from opgrad.viz import plot_decision_boundary

    plot_decision_boundary(MLP(2, [3, 1], seed=1), make_moons(n=10, seed=0), path, resolution=8)


# name: (file name, writer, needs matplotlib)
WRITERS: dict[str, tuple[str, Writer, bool]] = {
    "model": ("m.json", write_model, False),
    "explorer": ("page.html", write_explorer, False),
    "function plot": ("f.png", write_function_plot, True),
    "decision boundary": ("b.svg", write_decision_boundary, True),
}


@pytest.fixture(params=sorted(WRITERS))
def writer(request: pytest.FixtureRequest) -> tuple[str, Writer]:
    """(file name, write function) for each of opgrad's file writers."""
    name, write, needs_matplotlib = WRITERS[request.param]
    if needs_matplotlib:
        request.getfixturevalue("matplotlib")
    return name, write


@needs_posix
@pytest.mark.parametrize("through_symlink", [False, True], ids=["named", "through a symlink"])
@pytest.mark.parametrize("kind", sorted(SPECIAL_FILES))
def test_only_a_regular_file_is_replaced(tmp_path: Path, writer: tuple[str, Writer], kind: str,
                                         through_symlink: bool) -> None:
    name, write = writer
    target = tmp_path / name
    make_special(kind, target, through_symlink)
    before = file_types(tmp_path)
    with unblocked_within(10), pytest.raises(shutil.SpecialFileError) as caught:
        write(target)
    assert str(caught.value) == (f"cannot write {target}: it is {SPECIAL_FILES[kind][1]}, not a "
                                 "regular file; opgrad writes only regular files (or through a "
                                 "symlink to one)")
    assert file_types(tmp_path) == before  # still the special file, and no temporary left


@pytest.mark.parametrize("through_symlink", [False, True], ids=["named", "through a symlink"])
def test_a_folder_is_not_replaced(tmp_path: Path, writer: tuple[str, Writer],
                                  through_symlink: bool) -> None:
    name, write = writer
    target = tmp_path / name
    (tmp_path / "folder").mkdir()
    if through_symlink:
        target.symlink_to("folder")
    else:
        target.mkdir()
    before = file_types(tmp_path)
    with pytest.raises(IsADirectoryError, match="Is a directory") as caught:
        write(target)
    assert caught.value.filename == str(target) and file_types(tmp_path) == before


def test_a_new_file_is_written_whole_and_nothing_else(tmp_path: Path,
                                                      writer: tuple[str, Writer]) -> None:
    name, write = writer
    write(tmp_path / name)
    assert [p.name for p in tmp_path.iterdir()] == [name] and (tmp_path / name).stat().st_size


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_a_replaced_file_keeps_its_mode(tmp_path: Path, writer: tuple[str, Writer],
                                        mode: int) -> None:
    name, write = writer
    (tmp_path / name).write_text("old")
    (tmp_path / name).chmod(mode)
    write(tmp_path / name)
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode
    assert (tmp_path / name).read_bytes() != b"old"


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_gets_what_the_umask_allows(tmp_path: Path, writer: tuple[str, Writer],
                                               umask: int, mode: int) -> None:
    name, write = writer
    previous = os.umask(umask)
    try:
        write(tmp_path / name)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode


def test_a_symlink_is_written_through(tmp_path: Path, writer: tuple[str, Writer]) -> None:
    name, write = writer
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / name).write_text("old")
    link = tmp_path / name
    link.symlink_to(Path("real") / name)
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / name)
    assert (tmp_path / "real" / name).read_bytes() != b"old"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == [name]
    dangling = tmp_path / f"new-{name}"
    dangling.symlink_to(Path("real") / f"new-{name}")
    write(dangling)  # a symlink to a new name makes that file
    assert dangling.is_symlink() and (tmp_path / "real" / f"new-{name}").stat().st_size


def test_a_name_at_the_file_systems_limit_is_written(tmp_path: Path,
                                                     writer: tuple[str, Writer]) -> None:
    name, write = writer
    longest = "a" * (os.pathconf(tmp_path, "PC_NAME_MAX") - len(name)) + name
    write(tmp_path / longest)  # the temporary beside it must fit as well
    assert [p.name for p in tmp_path.iterdir()] == [longest]


def test_a_name_over_the_limit_is_refused_naming_it(tmp_path: Path,
                                                    writer: tuple[str, Writer]) -> None:
    name, write = writer
    too_long = tmp_path / ("a" * (os.pathconf(tmp_path, "PC_NAME_MAX") + 1 - len(name)) + name)
    with pytest.raises(OSError, match="File name too long") as caught:
        write(too_long)
    assert caught.value.filename == str(too_long) and list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
        tmp_path: Path, writer: tuple[str, Writer], monkeypatch: pytest.MonkeyPatch) -> None:
    name, write = writer
    (tmp_path / name).write_text("old")

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left on device") as caught:
        write(tmp_path / name)
    assert caught.value.filename == str(tmp_path / name)  # the file asked for, not a temporary
    assert (tmp_path / name).read_text() == "old" and len(list(tmp_path.iterdir())) == 1


KILLED_WRITE = """\
import os, sys, time
from opgrad.nn import MLP, save_model
def stall(descriptor):
    print("writing", flush=True)
    time.sleep(60)
os.fsync = stall
save_model(MLP(2, [3, 1]), sys.argv[1])
"""


def test_a_killed_write_leaves_a_visibly_named_temporary_that_the_next_write_removes(
        tmp_path: Path, writer: tuple[str, Writer]) -> None:
    name, write = writer
    process = subprocess.Popen([sys.executable, "-c", KILLED_WRITE, str(tmp_path / name)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "writing\n"
    process.kill()
    process.wait()
    (leftover,) = tmp_path.iterdir()
    assert leftover.name.startswith(f"{name}.opgrad-tmp-")
    write(tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name, leftover.name]  # may be live
    an_hour_ago = time.time() - 3600
    os.utime(leftover, (an_hour_ago, an_hour_ago))
    (tmp_path / "notes.opgrad-tmp-mine").write_text("not a temporary of ours")
    write(tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "notes.opgrad-tmp-mine"])


def test_a_saved_model_loads(tmp_path: Path) -> None:
    save_model(MLP(2, [3, 1], seed=4), tmp_path / "m.json")
    assert load_model(tmp_path / "m.json").state_dict() == MLP(2, [3, 1], seed=4).state_dict()
