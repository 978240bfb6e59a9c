"""Saving and loading an MLP as JSON; the write is atomic."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from opgrad.nn.module import MLP

FORMAT = "opgrad-mlp"
VERSION = 1


class ModelFileError(ValueError):
    """A model file is missing, corrupt, or does not describe a valid MLP."""


def save_model(model: MLP, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` as JSON, atomically (a crash never leaves half a file)."""
    document = {
        "format": FORMAT, "version": VERSION,
        "architecture": {"nin": model.sizes[0], "nouts": model.sizes[1:],
                         "activation": model.activation},
        "parameters": model.state_dict(),
    }
    target = Path(path)
    try:
        _write_atomically(target, document)
    except OSError as exc:  # name the file the caller asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(target)) from exc


def _write_atomically(target: Path, document: dict[str, Any]) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)  # atomic on POSIX and Windows
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_model(path: str | os.PathLike[str]) -> MLP:
    """Read an MLP written by :func:`save_model`; raise :class:`ModelFileError` if invalid."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not a readable JSON model file ({exc})") from exc
    architecture = _architecture(path, document)
    try:
        model = MLP(**architecture)
        model.load_state_dict(_field(path, document, "parameters", dict))
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: {exc}") from exc
    return model


def _architecture(path: str | os.PathLike[str], document: Any) -> dict[str, Any]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an opgrad model file (expected format {FORMAT!r})")
    if document.get("version") != VERSION:
        raise ModelFileError(f"{path}: unsupported version {document.get('version')!r}")
    spec = _field(path, document, "architecture", dict)
    nin, nouts = spec.get("nin"), spec.get("nouts")
    if not isinstance(nin, int) or not isinstance(nouts, list) or not all(
            isinstance(n, int) and n > 0 for n in nouts) or nin < 1:
        raise ModelFileError(f"{path}: architecture needs nin and nouts as positive integers")
    activation = spec.get("activation")
    if activation is not None and not isinstance(activation, str):
        raise ModelFileError(f"{path}: activation must be an op name or null")
    return {"nin": nin, "nouts": nouts, "activation": activation}


def _field(path: str | os.PathLike[str], document: dict[str, Any], key: str, kind: type) -> Any:
    value = document.get(key)
    if not isinstance(value, kind):
        raise ModelFileError(f"{path}: {key!r} is missing or not a {kind.__name__}")
    return value
