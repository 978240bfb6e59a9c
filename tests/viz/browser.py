"""Headless Chromium through Selenium, for the explorer's tests (Debian's chromium and driver).

    python -m tests.viz.browser    # refresh the README's screenshots in docs/images/
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
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
SCREENSHOT = IMAGES / "explorer.png"
NETWORK_SCREENSHOT = IMAGES / "explorer-network.png"
POINTS = [[0.5, -1.0], [-0.3, 0.8], [1.2, 0.1], [-0.7, -0.4]]


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


def network_loss() -> Any:
    """The hinge loss of an MLP 2-16-16-1 over four samples (2,930 nodes)."""
    from opgrad.nn import MLP, hinge_loss

    model = MLP(2, [16, 16, 1], seed=0)
    return hinge_loss([model(x) for x in POINTS], [1.0, -1.0, 1.0, -1.0])  # type: ignore[arg-type]  # one output each


def refresh_network_screenshot(folder: Path) -> None:
    """Write docs/images/explorer-network.png: the network's explorer with one neuron open,
    at the last of the four gradients (one per sample) added into one of its weights."""
    from opgrad.viz import explore

    page = explore(network_loss(), folder / "network.html")
    driver = start_chromium(str(folder / "network-profile"))
    try:
        driver.get(page.path.as_uri() if page.path else "")
        driver.find_element("css selector", '[data-group="layers.0.neurons.1"]').click()
        driver.find_element("id", "last").click()
        driver.execute_script(  # back to the last gradient into one of its weights
            "const w = '[data-node=\"layers.0.neurons.1.w.0\"].target';"
            "while (!document.querySelector(w)) document.getElementById('back').click();")
        driver.find_element("id", "zoomin").click()
        driver.execute_script("const g = document.getElementById('graph');"
                              "g.scrollLeft = 0; g.scrollTop = 0;")
        driver.save_screenshot(str(NETWORK_SCREENSHOT))
    finally:
        driver.quit()
    print(NETWORK_SCREENSHOT, file=sys.stderr)


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
        refresh_network_screenshot(Path(folder))
    print(SCREENSHOT, file=sys.stderr)


if __name__ == "__main__":
    refresh_screenshot()
