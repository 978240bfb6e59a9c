"""Headless Chromium through Selenium, for the explorer's tests (Debian's chromium and driver).

    python -m tests.viz.browser    # refresh docs/images/explorer.png, the README's screenshot
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--window-size=1600,900"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "explorer.png"


def start_chromium(profile: str, flags: Sequence[str] = ()) -> Any:
    """A headless Chromium that keeps its console log, with a fresh profile in ``profile``
    (and any more command-line ``flags``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={profile}", *flags]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def press(driver: Any, key: str, times: int = 1) -> None:
    """Press ``key`` (a selenium Keys name such as "ARROW_RIGHT") ``times`` times."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    actions = ActionChains(driver)
    for _ in range(times):
        actions.send_keys(getattr(Keys, key))
    actions.perform()


def teaching_graph() -> Any:
    """The README's example, whose leaves are each used twice: accumulation is visible."""
    from opgrad.expr import evaluate

    return evaluate("tanh(a * b + b ** 2 - a / b)", {"a": 2.0, "b": -3.0})


def refresh_screenshot() -> None:
    """Write docs/images/explorer.png: the teaching graph mid-backward, a node selected."""
    import opgrad  # noqa: F401  # assembles the registry before the expression is built
    from opgrad.viz import explore

    root = teaching_graph()
    with tempfile.TemporaryDirectory() as folder:
        page = explore(root, Path(folder) / "explorer.html")
        driver = start_chromium(str(Path(folder) / "profile"))
        try:
            driver.get(page.path.as_uri() if page.path else "")
            press(driver, "ARROW_RIGHT", page.nodes + 8)
            driver.find_element("id", "node-1").click()
            driver.save_screenshot(str(SCREENSHOT))
        finally:
            driver.quit()
    print(SCREENSHOT, file=sys.stderr)


if __name__ == "__main__":
    refresh_screenshot()
