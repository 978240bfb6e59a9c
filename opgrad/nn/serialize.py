"""Saving and loading an MLP as JSON.

Saving is atomic: the model is written to a temporary file beside the target,
named ``NAME.opgrad-tmp-XXXXXXXX`` so that one left by a killed process says
what it is, then renamed over the target. A later save to the same folder
removes such leftovers once they are a minute old. The saved file keeps the
mode of the file it replaces (a new file gets what the umask allows), and a
symlink is written through, not replaced. A model with a nan or infinite
parameter is refused (:class:`NonFiniteModelError`): every saved file loads.

Loading checks the document before building anything: at most ``max_bytes``
are read, numbers must be finite and short, and the parameter count must
match the architecture, so a small hostile file cannot make a huge model.
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import Any, BinaryIO

from opgrad.files import FilePath, write_file
from opgrad.nn.module import MLP, parameter_count

FORMAT = "opgrad-mlp"
VERSION = 1
MAX_MODEL_BYTES = 16 * 1024 * 1024  # about 300,000 parameters; load_model(max_bytes=) raises it
MAX_NUMBER_LENGTH = 100  # characters of one number in a model file (a float needs at most 24)
READ_CHUNK = 1024 * 1024  # bytes read at a time, so max_bytes may be any size


class ModelFileError(ValueError):
    """A model file is missing, corrupt, or does not describe a valid MLP."""


class NonFiniteModelError(ValueError):
    """The model has a nan or infinite parameter, so it is not saved (it could not load)."""


def save_model(model: MLP, path: FilePath) -> None:
    """Write ``model`` to ``path`` as JSON, atomically (a crash never leaves half a file).

    Raises :class:`NonFiniteModelError` naming the first nan or infinite parameter.
    """
    parameters = model.state_dict()
    for name, value in parameters.items():
        if not math.isfinite(value):
            raise NonFiniteModelError(
                f"cannot save the model to {path}: parameter {name!r} is {value} (training "
                "diverged?); a saved model must be finite to load again")
    document = {
        "format": FORMAT, "version": VERSION,
        "architecture": {"nin": model.sizes[0], "nouts": model.sizes[1:],
                         "activation": model.activation},
        "parameters": parameters,
    }
    write_file(path, json.dumps(document, allow_nan=False))


def load_model(path: FilePath, *, max_bytes: int = MAX_MODEL_BYTES,
               stored: bool = False) -> MLP:
    """Read an MLP written by :func:`save_model`; raise :class:`ModelFileError` if invalid.

    Files larger than ``max_bytes`` (default :data:`MAX_MODEL_BYTES`) are
    refused unread; pass a larger value for a bigger model (any size: a value
    beyond the memory of the machine means no limit). ``stored=True`` builds it
    as ``MLP(..., stored=True)`` does (the file is the same either way).
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"load_model: max_bytes must be a whole number >= 1, got {max_bytes!r}")
    document = _parse(path, _read(path, max_bytes))
    nin, nouts, activation = _architecture(path, document)
    parameters = _field(path, document, "parameters", dict)
    expected = parameter_count([nin, *nouts])
    if len(parameters) != expected:
        raise ModelFileError(f"{path}: the architecture {[nin, *nouts]} has {expected:,} "
                             f"parameters, the file gives {len(parameters):,}")
    try:
        model = MLP(nin, nouts, activation, stored=stored)
        model.load_state_dict(parameters)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: {exc}") from exc
    return model


def _read(path: FilePath, max_bytes: int) -> str:
    try:
        with open(path, "rb", opener=_open_without_waiting) as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise _not_a_file(path)
            if info.st_size > max_bytes:
                raise _too_large(path, max_bytes)
            data = _read_at_most(file, max_bytes + 1)  # the file may grow meanwhile
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise _not_a_file(path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: not a readable JSON model file ({exc})") from exc
    if len(data) > max_bytes:
        raise _too_large(path, max_bytes)
    return text


def _read_at_most(file: BinaryIO, limit: int) -> bytes:
    """Up to ``limit`` bytes, read in chunks: one read of a huge ``limit`` would allocate it."""
    data = bytearray()
    while len(data) < limit and (chunk := file.read(min(READ_CHUNK, limit - len(data)))):
        data += chunk
    return bytes(data)


def _too_large(path: FilePath, max_bytes: int) -> ModelFileError:
    return ModelFileError(f"{path}: larger than {max_bytes:,} bytes, the limit for a model "
                          "file; pass load_model(..., max_bytes=N) to read a bigger one")


def _not_a_file(path: FilePath) -> ModelFileError:
    return ModelFileError(f"{path}: not a regular file (a directory, FIFO or device); "
                          "save the model to a file and load that")


def _open_without_waiting(path: str, flags: int) -> int:
    # Non-blocking, so that a FIFO with no writer is refused, not waited on.
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _parse(path: FilePath, text: str) -> Any:
    try:
        return json.loads(text, parse_int=_number(int), parse_float=_number(float),
                          parse_constant=_no_constant)
    except RecursionError:
        raise ModelFileError(f"{path}: not a model file (JSON nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, or a number refused below
        raise ModelFileError(f"{path}: not a readable JSON model file ({exc})") from None


def _number(kind: type[int] | type[float]) -> Any:
    def convert(text: str) -> int | float:
        if len(text) > MAX_NUMBER_LENGTH:
            raise ValueError(f"a number {len(text):,} characters long: {text[:20]}...")
        value = kind(text)
        if not math.isfinite(value):
            raise ValueError(f"the number {text} is too large for a float")
        return value

    return convert


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a model can hold")


def _architecture(path: FilePath, document: Any) -> tuple[int, list[int], str | None]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not an opgrad model file (expected format {FORMAT!r})")
    version = document.get("version")
    if type(version) is not int or version != VERSION:  # true == 1 in Python, not here
        raise ModelFileError(f"{path}: unsupported version {version!r}")
    spec = _field(path, document, "architecture", dict)
    nin, nouts = spec.get("nin"), spec.get("nouts")
    if not _positive_int(nin) or not isinstance(nouts, list) or not nouts or not all(
            _positive_int(n) for n in nouts):
        raise ModelFileError(f"{path}: architecture needs nin and nouts as positive integers")
    activation = spec.get("activation")
    if activation is not None and not isinstance(activation, str):
        raise ModelFileError(f"{path}: activation must be an op name or null")
    return nin, nouts, activation


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _field(path: FilePath, document: dict[str, Any], key: str, kind: type) -> Any:
    value = document.get(key)
    if not isinstance(value, kind):
        raise ModelFileError(f"{path}: {key!r} is missing or not a {kind.__name__}")
    return value
