"""The built kit (once per test session), served on 127.0.0.1, and a browser that can
reach nothing else. Building needs npm, pip and the kit extra: where one is missing
the tests skip locally and fail in CI (OPGRAD_REQUIRE_OPTIONAL=1)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from opgrad.kit import Kit, build_kit
from tests.conftest import optional
from tests.kit.browser import Served, offline_chromium, serve
from tests.viz.conftest import require_chromium


def require_npm() -> None:
    if shutil.which("npm") is None:
        if os.environ.get("OPGRAD_REQUIRE_OPTIONAL") == "1":
            pytest.fail("OPGRAD_REQUIRE_OPTIONAL=1 but npm is not installed")
        pytest.skip("npm is not installed (apt-get install npm)")


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    """The whole kit (playground and notebook site), built with the user's download cache."""
    optional("jupyterlite_core", "pip install 'opgrad[kit]'")
    optional("jupyterlite_pyodide_kernel", "pip install 'opgrad[kit]'")
    require_npm()
    built = build_kit(tmp_path_factory.mktemp("kit") / "kit")
    print(f"\nkit built in {built.seconds:.1f} s: {built.files} files, {built.size / 1e6:.1f} MB")
    return built


@pytest.fixture(scope="session")
def served(kit: Kit) -> Iterator[Served]:
    """The kit on a local HTTP server."""
    with serve(kit.folder) as server:
        yield server


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium for which every host but 127.0.0.1 is unresolvable."""
    require_chromium()
    driver = offline_chromium(tmp_path_factory.mktemp("offline-profile"))
    yield driver
    driver.quit()
