"""Building the kit: the folder a teacher serves, copies to a web host or a USB stick.

    DIR/index.html       the playground (with playground.js, opgrad.js, worker.js, ...)
    DIR/examples.json    its examples: its own, then the tutorial's lessons
    DIR/kit.json         what was built (opgrad's version, whether lite/ is there)
    DIR/pyodide/         the Python runtime, every wheel the pages load, the lock file
    DIR/lite/            JupyterLite with the tutorial notebook (needs the kit extra)

Everything is built in a scratch folder inside DIR and moved into place at
the end, so a failed build leaves DIR as it was; the kit's own entries are
replaced, anything else in DIR (a teacher's own pages) is left alone.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import opgrad
from opgrad.kit.errors import KitError
from opgrad.kit.examples import examples_json, tutorial
from opgrad.kit.lite import build_lite, kernel_extension, kernel_wheels
from opgrad.kit.lock import rewritten_lock
from opgrad.kit.pins import LITE_WHEELS, PLAYGROUND_WHEELS, PYODIDE_FILES
from opgrad.kit.sources import cache_folder, pinned_wheels, pyodide_runtime
from opgrad.kit.wheel import build_opgrad_wheel

PAGE_FILES = ("index.html", "playground.js", "playground.css", "opgrad.js", "worker.js")
# Everything a kit writes into its folder (a teacher's own pages beside them are kept).
KIT_ENTRIES = frozenset({*PAGE_FILES, "pyodide", "examples.json", "kit.json", "lite",
                         "favicon.ico"})
Say = Callable[[str], None]


@dataclass(frozen=True)
class Kit:
    """A built kit: where, whether it has the notebook site, its size, the build's time."""

    folder: Path
    lite: bool
    files: int
    size: int  # bytes
    seconds: float


def build_kit(folder: Path, *, force: bool = False, lite: bool = True,
              cache: Path | None = None, say: Say = lambda message: None) -> Kit:
    """Build the kit in ``folder`` (see the module's docstring); raise KitError if it cannot."""
    started = time.perf_counter()
    folder = folder.absolute()  # the notebook site is built from another working folder
    _check_target(folder, force)
    extension = kernel_extension() if lite else None  # a missing extra fails before downloads
    downloads = cache_folder(cache)
    created = _first_missing(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".opgrad-kit-") as scratch:
            _build_into(Path(scratch), extension, downloads, say)
            built = _move_into(Path(scratch), folder)
    except BaseException:
        if created is not None:  # the folders this build made, from the outermost
            shutil.rmtree(created, ignore_errors=True)
        raise
    files = [path for entry in built for path in [entry, *entry.rglob("*")] if path.is_file()]
    return Kit(folder, lite, len(files), sum(path.stat().st_size for path in files),
               time.perf_counter() - started)


def _first_missing(folder: Path) -> Path | None:
    """The outermost folder on the way to ``folder`` that does not exist yet, if any."""
    missing = None
    for path in [folder, *folder.parents]:
        if path.exists():
            break
        missing = path
    return missing


def _check_target(folder: Path, force: bool) -> None:
    """Refuse a file, or a non-empty folder without ``force``."""
    if folder.exists() and not folder.is_dir():
        raise KitError(f"{folder} is a file: give a folder for the kit")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise KitError(f"{folder} exists and is not empty: give a new folder, or add --force "
                       "to write the kit into it (the kit's files are replaced, others kept)")


def _build_into(scratch: Path, extension: Path | None, cache: Path, say: Say) -> None:
    say(f"fetching the Pyodide runtime (npm; cached in {cache})")
    runtime = pyodide_runtime(cache)
    say("fetching the pinned wheels (pip)")
    wheels = pinned_wheels(cache, PLAYGROUND_WHEELS | (LITE_WHEELS if extension else {}))
    if extension is not None:
        wheels += kernel_wheels(extension)
    say("writing the runtime, the wheels and the lock file")
    _write_runtime(scratch / "pyodide", runtime, wheels)
    say("writing the playground")
    _write_playground(scratch, lite=extension is not None)
    if extension is not None:
        say("building the notebook site (JupyterLite)")
        build_lite(scratch / "lite", extension, tutorial())
        shutil.copyfile(scratch / "lite" / "notebooks" / "favicon.ico", scratch / "favicon.ico")


def _write_runtime(target: Path, runtime: Path, wheels: list[Path]) -> None:
    target.mkdir()
    for name in PYODIDE_FILES:
        if name != "pyodide-lock.json":
            shutil.copyfile(runtime / name, target / name)
    for wheel in wheels:
        shutil.copyfile(wheel, target / wheel.name)
    shipped = [target / wheel.name for wheel in wheels] + [build_opgrad_wheel(target)]
    lock = rewritten_lock(json.loads((runtime / "pyodide-lock.json").read_text()), shipped)
    (target / "pyodide-lock.json").write_text(json.dumps(lock, indent=1))


def _write_playground(target: Path, lite: bool) -> None:
    static = resources.files("opgrad.kit").joinpath("static")
    for name in PAGE_FILES:
        (target / name).write_text(static.joinpath(name).read_text("utf-8"), "utf-8")
    (target / "examples.json").write_text(examples_json(), "utf-8")
    (target / "kit.json").write_text(json.dumps({"opgrad": opgrad.__version__, "lite": lite}))


def _move_into(scratch: Path, folder: Path) -> list[Path]:
    """Each built entry replaces the entry of that name in ``folder``, and a kit entry this
    build did not make (``lite/`` after ``--no-lite``) goes; return where they went."""
    built = {entry.name for entry in scratch.iterdir()}
    for name in KIT_ENTRIES - built:
        _remove(folder / name)
    moved = []
    for entry in sorted(scratch.iterdir()):
        _remove(folder / entry.name)
        moved.append(entry.rename(folder / entry.name))
    return moved


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
