"""opgrad's own wheel for the browser, made from the installed package.

No build tool or source tree is needed: a pure-Python wheel is a zip of the
package's files with three metadata files beside them. The package's name,
version and requirements come from its installed metadata, and every file
has a fixed timestamp, so building twice gives the same bytes.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

import opgrad
from opgrad.kit.errors import KitError

EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: reproducible wheels
# What the project's own wheel holds besides modules: pyproject's package-data (a test
# checks the two lists agree), so a stray file in the package folder never ships.
PACKAGE_DATA = ("py.typed", "_typed.pyi", "viz/explorer.html", "viz/explorer.css",
                "viz/explorer.js", "viz/explorer-steps.js", "kit/static/*", "kit/tutorial.ipynb")


def build_opgrad_wheel(folder: Path) -> Path:
    """Write ``opgrad-VERSION-py3-none-any.whl`` into ``folder``; return its path."""
    package = Path(opgrad.__file__).parent
    version = opgrad.__version__
    info = f"opgrad-{version}.dist-info"
    files = {f"opgrad/{path.relative_to(package).as_posix()}": path.read_bytes()
             for path in sorted(package.rglob("*")) if _shipped(path, package)}
    files[f"{info}/METADATA"] = _metadata(version).encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: opgrad.kit\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    files[f"{info}/RECORD"] = _record(files, f"{info}/RECORD").encode()
    target = folder / f"opgrad-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(zipfile.ZipInfo(name, EPOCH), data, zipfile.ZIP_DEFLATED)
    return target


def _shipped(path: Path, package: Path) -> bool:
    name = path.relative_to(package).as_posix()
    return path.is_file() and "__pycache__" not in path.parts and (
        path.suffix == ".py" or any(fnmatch.fnmatchcase(name, p) for p in PACKAGE_DATA))


def _metadata(version: str) -> str:
    """Name, version and requirements as installed (the same as the project's wheel)."""
    try:
        requires = metadata.requires("opgrad") or []
    except metadata.PackageNotFoundError:  # imported from a source tree never installed
        raise KitError("opgrad's metadata is not installed: pip install opgrad (or, in a "
                       "clone, pip install -e .), then build the kit") from None
    lines = ["Metadata-Version: 2.1", "Name: opgrad", f"Version: {version}",
             *(f"Requires-Dist: {requirement}" for requirement in requires)]
    return "\n".join(lines) + "\n"


def _record(files: dict[str, bytes], record: str) -> str:
    rows = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in files.items()]
    return "\n".join([*rows, f"{record},,"]) + "\n"


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
