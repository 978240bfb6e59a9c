"""Every file the ``opgrad`` command writes is checked before any work: one line, exit 2."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

from opgrad.cli import train_command
from opgrad.nn import load_model
from tests.cli.runner import command, run
from tests.special_files import (
    SPECIAL_FILES,
    file_types,
    make_special,
    needs_posix,
    unblocked_within,
)

TRAIN = ["train", "--samples", "10", "--steps", "2", "--hidden", "3", "--quiet"]
OUTPUTS = {  # the command, given the output's path, and the output's name
    "train --save": (lambda path: [*TRAIN, "--save", path], "m.json"),
    "train --plot": (lambda path: [*TRAIN, "--plot", path], "b.png"),
    "explain --html": (lambda path: ["explain", "a * 2", "--set", "a=1", "--html", path],
                       "e.html"),
    "graph -o": (lambda path: ["graph", "a * 2", "--set", "a=1", "-o", path], "g.dot"),
    "plot -o": (lambda path: ["plot", "x * x", "-o", path], "p.png"),
}
@pytest.fixture(autouse=True)
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any training here is a failure: each refusal must come before it."""
    def refuse(*args: object, **options: object) -> None:
        raise AssertionError("trained although the output was refused")

    monkeypatch.setattr(train_command, "fit", refuse)


@needs_posix
@pytest.mark.parametrize("through_symlink", [False, True], ids=["named", "through a symlink"])
@pytest.mark.parametrize("kind", sorted(SPECIAL_FILES))
@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_a_special_file_is_refused_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], matplotlib: ModuleType,
        output: str, kind: str, through_symlink: bool) -> None:
    command, name = OUTPUTS[output]
    target = tmp_path / name
    make_special(kind, target, through_symlink)
    before = file_types(tmp_path)
    with unblocked_within(10):
        status, out, err = run(capsys, *command(str(target)))
    assert (status, out) == (2, "")
    assert err == (f"opgrad: error: cannot write {target}: it is {SPECIAL_FILES[kind][1]}, not a "
                   "regular file; opgrad writes only regular files (or through a symlink to one)\n")
    assert file_types(tmp_path) == before


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_a_name_too_long_for_the_file_system_is_refused_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], matplotlib: ModuleType,
        output: str) -> None:
    command, name = OUTPUTS[output]
    target = tmp_path / ("a" * (os.pathconf(tmp_path, "PC_NAME_MAX") + 1 - len(name)) + name)
    status, out, err = run(capsys, *command(str(target)))
    assert (status, out, err) == (2, "", f"opgrad: error: cannot write {target}: "
                                         "File name too long\n")
    assert list(tmp_path.iterdir()) == []


def test_a_model_saves_under_the_longest_name_the_file_system_allows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # this one trains: its temporary file's name must fit too
    target = tmp_path / ("m" * (os.pathconf(tmp_path, "PC_NAME_MAX") - 5) + ".json")
    status, _, err = run(capsys, *TRAIN, "--save", str(target))
    assert (status, err) == (0, f"saved the model to {target}\n")
    assert load_model(target).sizes == [2, 3, 1] and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("option", ["--save", "--plot"])
def test_a_path_ending_in_a_slash_is_a_folder_not_a_file(tmp_path: Path, option: str) -> None:
    done = command("train", "--steps", "2", option, f"{tmp_path}/new/")
    assert done.returncode == 2 and "names a folder: give a file name" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "new").exists()


def test_the_file_writer_refuses_a_trailing_slash(tmp_path: Path) -> None:
    from opgrad.files import write_file

    with pytest.raises(IsADirectoryError, match="a folder: give a file name"):
        write_file(f"{tmp_path}/models/", "{}")
    assert not (tmp_path / "models").exists()
