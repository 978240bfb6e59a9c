"""``opgrad kit DIR``: what the built folder holds, and the command's errors."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import pytest

from opgrad.kit import Kit, KitError, build, sources
from opgrad.kit import lite as lite_module
from opgrad.kit.pins import LITE_PRELOAD, LITE_WHEELS, PLAYGROUND_WHEELS, PYODIDE_FILES
from tests.cli.runner import run
from tests.kit.conftest import require_npm

PAGES = ("index.html", "playground.js", "playground.css", "opgrad.js", "worker.js",
         "examples.json", "kit.json")


def test_the_lock_lists_exactly_the_wheels_beside_it_with_their_hashes(kit: Kit) -> None:
    runtime = kit.folder / "pyodide"
    lock = json.loads((runtime / "pyodide-lock.json").read_text())
    wheels = {path.name: path for path in runtime.glob("*.whl")}
    listed = {entry["file_name"]: entry for entry in lock["packages"].values()}
    assert set(listed) == set(wheels)
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(wheels[name].read_bytes()).hexdigest(), name
    assert set(PLAYGROUND_WHEELS) | set(LITE_WHEELS) <= set(wheels)
    assert set(LITE_PRELOAD) <= set(lock["packages"])
    assert lock["info"]["python"].startswith("3.14")
    assert {path.name for path in runtime.iterdir() if path.suffix != ".whl"} == set(PYODIDE_FILES)


def test_the_pages_name_no_other_host(kit: Kit) -> None:
    for name in PAGES:
        text = (kit.folder / name).read_text()
        assert "://" not in text.replace("http://www.w3.org/2000/svg", ""), name  # SVG's namespace
    config = json.loads((kit.folder / "lite" / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][f"{lite_module.KERNEL}:kernel"]
    assert kernel["pyodideUrl"] == "./../pyodide/pyodide.mjs" and kernel["disablePyPIFallback"]
    assert all(url.startswith("./extensions/") for url in kernel["pipliteUrls"])
    assert json.loads((kit.folder / "kit.json").read_text())["lite"] is True


def test_the_notebook_site_has_the_tutorial_with_a_note_first(kit: Kit) -> None:
    notebook = json.loads((kit.folder / "lite" / "files" / "tutorial.ipynb").read_text())
    assert notebook["cells"][0]["source"].startswith("**In your browser.**")
    assert "".join(notebook["cells"][1]["source"]).startswith("# From a slope to a trained")


def test_a_non_empty_folder_is_refused_without_force(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    status, out, err = run(capsys, "kit", str(tmp_path))
    assert status == 2 and out == ""
    assert err == (f"opgrad: error: {tmp_path} exists and is not empty: give a new folder, or "
                   "add --force to write the kit into it (the kit's files are replaced, others "
                   "kept)\n")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "kit").write_text("")
    status, _, err = run(capsys, "kit", str(tmp_path / "kit"))
    assert (status, err) == (2, f"opgrad: error: {tmp_path / 'kit'} is a file: give a folder "
                                "for the kit\n")


def test_missing_npm_is_named_with_how_to_install_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources.shutil, "which", lambda name: None)
    status, _, err = run(capsys, "kit", str(tmp_path / "kit"), "--no-lite",
                         "--cache", str(tmp_path / "empty-cache"))
    assert status == 2
    assert err.splitlines()[-1] == (
        "opgrad: error: opgrad kit needs npm to fetch the Pyodide runtime: install Node.js 18 "
        "or later, which brings npm (Debian/Ubuntu: apt-get install npm)")
    assert not (tmp_path / "kit").exists()  # a failed build leaves nothing behind


def test_a_missing_kit_extra_is_named_before_anything_is_fetched(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def absent(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(lite_module.metadata, "version", absent)
    monkeypatch.setattr(build, "pyodide_runtime", lambda cache: pytest.fail("fetched"))
    status, _, err = run(capsys, "kit", str(tmp_path / "kit"))
    assert status == 2
    assert err == ("opgrad: error: the notebook site (DIR/lite) needs jupyterlite-core and "
                   "jupyterlite-pyodide-kernel 0.8.6: pip install 'opgrad[kit]' (or build "
                   "without it: --no-lite)\n")
    assert not (tmp_path / "kit").exists()


def test_force_replaces_the_kits_files_and_keeps_a_teachers_own(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, kit: Kit) -> None:
    require_npm()
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "week1.html").write_text("<p>my course page</p>")
    (folder / "index.html").write_text("an old playground")
    status, out, err = run(capsys, "kit", str(folder), "--force", "--no-lite")
    assert status == 0, err
    assert out.startswith(f"built {folder}: ") and "python -m http.server -d" in out
    assert (folder / "week1.html").read_text() == "<p>my course page</p>"
    assert (folder / "index.html").read_text() == (kit.folder / "index.html").read_text()
    assert json.loads((folder / "kit.json").read_text())["lite"] is False
    kit_files = [p for p in folder.rglob("*") if p.is_file() and p.name != "week1.html"]
    assert f": {len(kit_files)} files, " in out  # the kit's own: the course page is not counted
    assert not (folder / "lite").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".opgrad-kit-")]


def test_the_help_says_what_is_built_and_what_it_needs(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "kit", "--help")
    assert status == 0
    for words in ("DIR/index.html", "DIR/lite/", "python -m http.server -d DIR", "npm",
                  "pip install 'opgrad[kit]'", "--no-lite", "--force", "--cache"):
        assert words in " ".join(out.split()), words


def test_a_relative_folder_builds_and_no_lite_over_a_full_kit_removes_its_notebook_site(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, kit: Kit,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The README's command, from the folder the teacher is in: `opgrad kit classroom`.
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "kit", "classroom")
    assert status == 0, err
    folder = tmp_path / "classroom"
    assert (folder / "lite" / "index.html").is_file() and (folder / "favicon.ico").is_file()
    status, _, err = run(capsys, "kit", "classroom", "--force", "--no-lite")
    assert status == 0, err
    assert not (folder / "lite").exists() and not (folder / "favicon.ico").exists()
    assert json.loads((folder / "kit.json").read_text())["lite"] is False


def test_a_failed_build_leaves_none_of_the_folders_it_made(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "cachefile").write_text("not a folder")
    target = tmp_path / "nest" / "a" / "b"
    status, _, err = run(capsys, "kit", str(target), "--no-lite", "--cache",
                         str(tmp_path / "cachefile"))
    assert status == 2 and "--cache" in err and "is a file" in err
    assert not (tmp_path / "nest").exists()


def test_a_build_failing_midway_removes_every_folder_it_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: object) -> None:
        raise KitError("the download failed")

    monkeypatch.setattr(build, "_build_into", fails)
    with pytest.raises(KitError, match="the download failed"):
        build.build_kit(tmp_path / "nest" / "a" / "b", lite=False, cache=tmp_path / "cache")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
