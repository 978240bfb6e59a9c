"""Importing optional dependencies lazily, with a message naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

TESTED_TORCH = "2.13.0"  # the PyTorch version opgrad is tested with; every hint names it


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def install_hint(extra: str) -> str:
    """The command that installs an extra (torch names the tested version)."""
    if extra == "torch":
        return f"pip install torch=={TESTED_TORCH}"
    return f"pip install 'opgrad[{extra}]'"


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs the '{module}' package: {install_hint(extra)}"
        ) from exc
