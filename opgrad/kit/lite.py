"""``DIR/lite``: JupyterLite with the tutorial notebook, its kernel running the kit's Pyodide.

Built by jupyterlite-core and jupyterlite-pyodide-kernel (the ``kit`` extra),
with only the Pyodide kernel's extension (none of whatever else the
environment has installed). The kernel is pointed at ``DIR/pyodide``, whose
lock file lists every package it imports when it starts, preloaded from
there: it never falls back to a package index or a CDN.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from opgrad.kit.errors import KitError
from opgrad.kit.pins import JUPYTERLITE_VERSION, KERNEL_WHEELS, LITE_PRELOAD

KERNEL = "@jupyterlite/pyodide-kernel-extension"
EXTRA = (f"the notebook site (DIR/lite) needs jupyterlite-core and jupyterlite-pyodide-kernel "
         f"{JUPYTERLITE_VERSION}: pip install 'opgrad[kit]' (or build without it: --no-lite)")
APPS = ("lab", "notebooks", "tree")
NOTE = ("**In your browser.** This notebook runs on Pyodide, in this page: opgrad is "
        "installed, nothing else needs to be. The browser kit has no matplotlib, Graphviz or "
        "PyTorch, so the cells that draw with them (lessons 1, 6 and 10) or compare with "
        "PyTorch (lesson 9) stop with an error naming what is missing; the playground (the "
        "kit's first page, `index.html`) draws plots and live training itself.")


def kernel_extension() -> Path:
    """The installed Pyodide kernel extension's folder (its package.json and wheels)."""
    try:
        versions = {name: metadata.version(name)
                    for name in ("jupyterlite-core", "jupyterlite-pyodide-kernel")}
        files = metadata.files("jupyterlite-pyodide-kernel") or []
    except metadata.PackageNotFoundError:
        raise KitError(EXTRA) from None
    if set(versions.values()) != {JUPYTERLITE_VERSION}:
        found = ", ".join(f"{name} {version}" for name, version in versions.items())
        raise KitError(f"{EXTRA}; found {found}")
    for file in files:
        if file.as_posix().endswith(f"labextensions/{KERNEL}/package.json"):
            return Path(str(file.locate())).resolve().parent
    raise KitError(f"jupyterlite-pyodide-kernel has no {KERNEL} extension: reinstall it")


def kernel_wheels(extension: Path) -> list[Path]:
    """The wheels the kernel extension ships: piplite, the kernel, an ipykernel shim."""
    wheels = [next(iter(sorted((extension / "static" / "pypi").glob(f"{name}-*.whl"))), None)
              for name in KERNEL_WHEELS]
    if None in wheels:
        raise KitError(f"{extension} lacks one of the wheels {', '.join(KERNEL_WHEELS)}")
    return [wheel for wheel in wheels if wheel is not None]


def build_lite(output: Path, extension: Path, notebook: dict[str, Any]) -> None:
    """JupyterLite in ``output`` (a folder beside the kit's ``pyodide`` folder)."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch)
        (source / "files").mkdir()
        (source / "files" / "tutorial.ipynb").write_text(json.dumps(with_note(notebook)))
        (source / "jupyter-lite.json").write_text(json.dumps(settings()))
        _jupyter_lite(source, output, extension)
    favicons = output / "static" / "favicons"  # the notebook app asks for these
    favicons.mkdir(parents=True, exist_ok=True)
    for name in ("favicon-notebook.ico", "favicon-busy-1.ico"):
        shutil.copyfile(output / "notebooks" / "favicon.ico", favicons / name)


def settings() -> dict[str, Any]:
    """jupyter-lite.json: the kernel loads ../pyodide and preloads what it imports."""
    kernel = {"pyodideUrl": "./../pyodide/pyodide.mjs",  # "./": from this file's folder
              "disablePyPIFallback": True,
              "loadPyodideOptions": {"packages": list(LITE_PRELOAD)}}
    return {"jupyter-lite-schema-version": 0,
            "jupyter-config-data": {"litePluginSettings": {f"{KERNEL}:kernel": kernel}}}


def with_note(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook with a first cell saying what the browser can and cannot run."""
    note = {"cell_type": "markdown", "id": "opgrad-kit-note", "metadata": {}, "source": NOTE}
    return {**notebook, "cells": [note, *notebook["cells"]]}


def _jupyter_lite(source: Path, output: Path, extension: Path) -> None:
    command = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(source),
               "--output-dir", str(output), "--contents", str(source / "files"),
               *(f"--apps={app}" for app in APPS), "--no-unused-shared-packages",
               "--no-sourcemaps", "--ignore-sys-prefix",
               f"--LiteBuildConfig.federated_extensions={extension}"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERLITE_")}
    result = subprocess.run(command, cwd=source, env=environment, capture_output=True, text=True,
                            timeout=900, check=False)
    if result.returncode != 0 or not (output / "notebooks" / "index.html").is_file():
        lines = (result.stderr + result.stdout).strip().splitlines()
        raise KitError(f"jupyterlite could not build the notebook site: "
                       f"{lines[-1] if lines else f'exit status {result.returncode}'}")
