"""Driving the built kit in headless Chromium, with every host but 127.0.0.1 unresolvable.

    python -m tests.kit.browser   # refresh docs/images/kit-playground.png and kit-notebook.png

Serving: a local HTTP server on 127.0.0.1 that logs every request (path,
status). Requests: Chromium's NetLog records every request of every page and
worker (the performance log sees only the page itself, not Pyodide's worker),
and which origin made it; Chromium's own background traffic has none.
"""

from __future__ import annotations

import doctest
import json
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.viz.browser import start_chromium

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
WAIT = 100  # seconds a browser step may take (Selenium's own HTTP timeout is 120)
NOTEBOOK = "lite/notebooks/index.html?path=tutorial.ipynb"


@dataclass
class Served:
    """A folder served on 127.0.0.1: its address and every request, as (path, status)."""

    url: str
    requests: list[tuple[str, int]] = field(default_factory=list)


@contextmanager
def serve(folder: Path) -> Iterator[Served]:
    """Serve ``folder`` over HTTP on a free port of 127.0.0.1 until the block ends."""
    served = Served("")

    class Handler(SimpleHTTPRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            served.requests.append((self.path, int(code)))

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
    served.url = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


def offline_chromium(profile: Path, netlog: Path | None = None) -> Any:
    """Headless Chromium that can reach 127.0.0.1 only; with ``netlog``, logging every request."""
    flags = [OFFLINE, *([f"--log-net-log={netlog}"] if netlog else [])]
    driver = start_chromium(str(profile), flags)
    driver.set_script_timeout(WAIT)
    return driver


def run_python(driver: Any, code: str) -> str:
    """``window.opgrad.run(code)`` in the page: what it printed; a Python error raises."""
    result = driver.execute_async_script(
        "const [code, done] = [arguments[0], arguments[arguments.length - 1]];"
        "(async () => { while (!window.opgrad) await new Promise(r => setTimeout(r, 20));"
        "  return window.opgrad.run(code); })()"
        ".then(output => done({output}), error => done({error: error.message}));", code)
    if "error" in result:
        raise AssertionError(f"Python failed in the page:\n{result['error']}")
    return str(result["output"])


def notebook_cell(driver: Any, code: str) -> str:
    """Type ``code`` into a new first cell of the open notebook, run it, return its output."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT, poll_frequency=0.1,  # the app redraws cells as it loads
                         ignored_exceptions=[StaleElementReferenceException, IndexError])
    cells = ".jp-Notebook .jp-Cell"

    def click(selector: str) -> bool:
        driver.find_elements("css selector", selector)[0].click()
        return True

    wait.until(lambda d: click(cells))
    ActionChains(driver).send_keys(Keys.ESCAPE).send_keys("a").perform()  # a cell above
    wait.until(lambda d: click(f"{cells} .cm-content"))
    ActionChains(driver).send_keys(code).key_down(Keys.SHIFT).send_keys(Keys.ENTER) \
        .key_up(Keys.SHIFT).perform()

    def output(d: Any) -> str:
        shown = d.find_elements("css selector", cells)[0].find_elements(
            "css selector", ".jp-OutputArea-output")
        return str(shown[0].text) if shown and shown[0].text else ""

    return str(wait.until(output))


def first_cell_output(driver: Any) -> str:
    """Run the notebook's first code cell as it is; return its output."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT, poll_frequency=0.1,
                         ignored_exceptions=[StaleElementReferenceException, IndexError])
    code = ".jp-Notebook .jp-CodeCell"

    def run_first(d: Any) -> bool:
        d.find_elements("css selector", f"{code} .cm-content")[0].click()
        ActionChains(d).key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
        return True

    def output(d: Any) -> str:
        shown = d.find_elements("css selector", f"{code} .jp-OutputArea-output")
        return str(shown[0].text) if shown and shown[0].text else ""

    wait.until(run_first)
    return str(wait.until(output))


def typed_source(driver: Any) -> str:
    """The first cell's source as the notebook holds it (typing must not have changed it)."""
    return str(driver.find_elements("css selector", ".jp-Notebook .jp-Cell .cm-content")[0].text)


def severe_console(driver: Any) -> list[str]:
    """Console errors since the last call (warnings of the notebook app are not errors)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def page_requests(netlog: Path) -> list[str]:
    """The URL of every request a page or worker made (Chromium's own traffic has no origin)."""
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [event["params"]["url"] for event in log["events"]
            if event["type"] == start and "url" in event.get("params", {})
            and event["params"].get("initiator", "not an origin") != "not an origin"]


def readme_examples() -> list[doctest.Example]:
    """The README's "Thirty seconds" example, as doctest reads it."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Thirty seconds\n.*?```python\n(.*?)```", text, re.S)
    assert block is not None, "the README has no Thirty seconds example"
    return list(doctest.DocTestParser().get_examples(block.group(1)))


def readme_example() -> tuple[str, str]:
    """The README's example as the playground runs it (a prompt): its code and output."""
    examples = readme_examples()
    return "".join(e.source for e in examples), "".join(e.want for e in examples)


def readme_cell() -> str:
    """The same for a notebook cell, which shows only its last value: each shown value is
    printed as the prompt shows it (its repr), so the output is the README's again."""
    return "".join(f"print(repr(({e.source.strip()})))\n" if e.want else e.source
                   for e in readme_examples()).strip()


def seconds_since_navigation(driver: Any) -> float:
    return float(driver.execute_script("return performance.now() / 1000"))


def click_example(driver: Any, title_start: str) -> None:
    """Pick the example whose title starts with ``title_start`` and press Run; wait till done."""
    from selenium.webdriver.support.ui import Select

    picker = Select(driver.find_element("id", "examples"))
    picker.select_by_visible_text(next(o.text for o in picker.options
                                       if o.text.startswith(title_start)))
    run_editor(driver)


def run_editor(driver: Any) -> None:
    """Press Run once Python is ready, and wait until the run has finished."""
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT, poll_frequency=0.1)
    wait.until(lambda d: not d.find_element("id", "run").get_attribute("disabled"))
    before = int(driver.execute_script("return Number(document.body.dataset.runs || 0)"))
    driver.find_element("id", "run").click()
    wait.until(lambda d: int(d.execute_script(
        "return Number(document.body.dataset.runs || 0)")) > before)


def refresh_screenshots() -> None:
    """Build the kit, then write docs/images/kit-playground.png and kit-notebook.png."""
    from opgrad.kit import build_kit

    with tempfile.TemporaryDirectory() as scratch, serve(build_kit(
            Path(scratch) / "kit", say=print).folder) as served:
        driver = offline_chromium(Path(scratch) / "profile")
        try:
            driver.get(served.url)
            click_example(driver, "Train the micrograd demo")
            driver.save_screenshot(str(IMAGES / "kit-playground.png"))
            driver.get(served.url + NOTEBOOK)
            notebook_cell(driver, readme_cell())
            time.sleep(0.5)  # let the output paint
            driver.save_screenshot(str(IMAGES / "kit-notebook.png"))
        finally:
            driver.quit()
    print(IMAGES / "kit-playground.png", IMAGES / "kit-notebook.png", file=sys.stderr)


if __name__ == "__main__":
    refresh_screenshots()
