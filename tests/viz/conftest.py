"""A headless Chromium for the explorer's browser tests (skipped locally without it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import optional
from tests.viz.browser import CHROMEDRIVER, CHROMIUM, start_chromium


def require_chromium() -> None:
    """Selenium and Debian's chromium and driver: skip where absent, fail in CI."""
    optional("selenium", "pip install 'opgrad[browser]'")
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        if os.environ.get("OPGRAD_REQUIRE_OPTIONAL") == "1":
            pytest.fail(f"OPGRAD_REQUIRE_OPTIONAL=1 but {', '.join(missing)} is missing")
        pytest.skip(f"{', '.join(missing)} is missing (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Selenium driving Debian's chromium headless (apt-get install chromium chromium-driver)."""
    require_chromium()
    driver = start_chromium(str(tmp_path_factory.mktemp("chromium-profile")))
    yield driver
    driver.quit()
