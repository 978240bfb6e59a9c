"""The core stays small enough to read in one sitting (README states the number)."""

from __future__ import annotations

import re
from pathlib import Path

import opgrad.core

CORE = Path(opgrad.core.__file__).parent
LIMIT = 250
README = Path(__file__).resolve().parents[2] / "README.md"


def code_lines() -> int:
    """Non-blank, non-comment lines of opgrad/core/*.py (docstrings count)."""
    lines = (line for path in sorted(CORE.glob("*.py")) for line in path.read_text().splitlines())
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def test_core_is_at_most_250_code_lines() -> None:
    assert code_lines() <= LIMIT


def test_readme_states_the_core_size() -> None:
    stated = re.search(r"`opgrad/core/` is (\d+) lines", README.read_text())
    assert stated is not None, "README should say how many lines the core has"
    assert int(stated.group(1)) == code_lines()
