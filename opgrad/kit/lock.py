"""Pyodide's lock file, rewritten to list exactly the wheels in the kit, with their hashes.

Pyodide installs a package named in its lock file from the file named there,
relative to the lock file, and checks its sha256. npm's Pyodide ships a lock
file listing its own builds, hosted elsewhere; the kit keeps its ``info``
(the ABI the runtime checks) and lists only the wheels beside it, each with
the name, version, imports and dependencies read from the wheel itself.
JupyterLite's own lock tool rejects this Pyodide's lock format, hence this.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from opgrad.kit.errors import KitError
from opgrad.kit.sources import sha256


def normalized(name: str) -> str:
    """A distribution name as package indexes and Pyodide compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def rewritten_lock(runtime_lock: dict[str, Any], wheels: Sequence[Path]) -> dict[str, Any]:
    """The lock file for ``wheels``: every unconditional dependency must be among them."""
    entries = {normalized(entry["name"]): entry for entry in map(lock_entry, wheels)}
    for entry in entries.values():
        missing = [name for name in entry["depends"] if name not in entries]
        if missing:
            raise KitError(f"{entry['file_name']} needs {', '.join(missing)}, which the kit "
                           f"does not ship: add the wheels to opgrad/kit/pins.py")
    return {"info": runtime_lock["info"], "packages": dict(sorted(entries.items()))}


def lock_entry(wheel: Path) -> dict[str, Any]:
    """One package of the lock file, described from the wheel's own metadata."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        fields = HeaderParser().parsestr(archive.read(info).decode("utf-8"))
    return {"name": fields["Name"], "version": fields["Version"], "file_name": wheel.name,
            "install_dir": "site", "sha256": sha256(wheel), "package_type": "package",
            "imports": _top_level(names), "depends": _depends(fields.get_all("Requires-Dist", [])),
            "unvendored_tests": False, "tool": {}}


def _top_level(names: list[str]) -> list[str]:
    """The importable names a wheel installs: its top-level packages and modules."""
    tops = {name.split("/")[0].removesuffix(".py") for name in names}
    return sorted(top for top in tops if not top.endswith((".dist-info", ".data")))


def _depends(requirements: list[str]) -> list[str]:
    """Requirements without a marker. In the pinned wheels each marker names Windows, an
    older Python, a platform other than emscripten or an extra (the browser tests load
    them all)."""
    names = [re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0]
             for requirement in requirements if ";" not in requirement]
    return sorted({normalized(name) for name in names})
