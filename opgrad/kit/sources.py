"""Fetching what the kit is built from into a cache folder, each file checked by its hash.

npm fetches the Pyodide runtime and pip the pinned wheels, each through its
ordinary client and configuration (mirrors, proxies); nothing is fetched at
all when the cache already holds a file with the pinned hash, so a second
build works offline.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path

from opgrad.kit.errors import KitError
from opgrad.kit.pins import PYODIDE_FILES, PYODIDE_INTEGRITY, PYODIDE_PYTHON, PYODIDE_VERSION

INSTALL_NPM = "install Node.js 18 or later, which brings npm (Debian/Ubuntu: apt-get install npm)"
TIMEOUT = 900  # seconds for one npm or pip download


def cache_folder(given: Path | None = None) -> Path:
    """Where downloads are kept between builds: ``given``, else the user's cache folder."""
    if given is not None:
        if given.exists() and not given.is_dir():
            raise KitError(f"--cache {given} is a file: give a folder for the kit's downloads")
        return given
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "opgrad" / "kit"


def sha256(path: Path) -> str:
    """The file's sha256, as hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pyodide_runtime(cache: Path) -> Path:
    """The folder holding Pyodide's runtime files, unpacked from npm's package once."""
    folder = cache / f"pyodide-{PYODIDE_VERSION}"
    if all((folder / name).is_file() for name in PYODIDE_FILES):
        return folder
    tarball = cache / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.is_file() or _integrity(tarball) != PYODIDE_INTEGRITY:
        _npm_pack(cache)
    if _integrity(tarball) != PYODIDE_INTEGRITY:
        raise KitError(f"{tarball} does not have the integrity pinned for pyodide "
                       f"{PYODIDE_VERSION}: delete it and build again")
    _unpack(tarball, folder)
    return folder


def _integrity(path: Path) -> str:
    """npm's integrity string for a file (sha512, base64)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _npm_pack(cache: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise KitError(f"opgrad kit needs npm to fetch the Pyodide runtime: {INSTALL_NPM}")
    cache.mkdir(parents=True, exist_ok=True)
    _run([npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", str(cache),
          "--silent"], "npm could not fetch the Pyodide runtime")


def _unpack(tarball: Path, folder: Path) -> None:
    """Only the runtime files, read as data: no path in the archive is trusted."""
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".pyodide-"))
    with tarfile.open(tarball, "r:gz") as archive:
        for name in PYODIDE_FILES:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise KitError(f"{tarball} has no package/{name}")
            (staging / name).write_bytes(member.read())
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def pinned_wheels(cache: Path, pins: Mapping[str, str]) -> list[Path]:
    """The pinned wheels (file name -> sha256) from the cache, downloading those missing."""
    folder = cache / "wheels"
    missing = {name: digest for name, digest in pins.items()
               if not ((folder / name).is_file() and sha256(folder / name) == digest)}
    if missing:
        _pip_download(folder, missing)
    for name, digest in pins.items():
        if not (folder / name).is_file() or sha256(folder / name) != digest:
            raise KitError(f"pip did not deliver {name} with the pinned sha256 {digest}")
    return [folder / name for name in pins]


def _pip_download(folder: Path, pins: Mapping[str, str]) -> None:
    """pip checks every hash itself (--require-hashes) before writing a file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in pins:  # a file with another hash (cut short, tampered with) is fetched again
        (folder / name).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("".join(
            f"{'=='.join(name.split('-')[:2])} --hash=sha256:{digest}\n"
            for name, digest in pins.items()))
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
              "--python-version", PYODIDE_PYTHON, "--require-hashes", "--disable-pip-version-check",
              "--quiet", "--dest", str(folder), "-r", str(requirements)],
             "pip could not download the kit's wheels")


def _run(command: list[str], failure: str) -> None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT,
                                check=False)
    except subprocess.TimeoutExpired:
        raise KitError(f"{failure}: no answer in {TIMEOUT} s (is the network reachable?)") from None
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise KitError(f"{failure}: {lines[-1] if lines else f'exit status {result.returncode}'}")
