"""The one error the kit builder raises: a clear line saying what is wrong and how to fix it."""

from __future__ import annotations


class KitError(Exception):
    """The kit cannot be built as asked (a folder in the way, a missing tool or download)."""
