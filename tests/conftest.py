"""Fixtures and settings shared by every test: mock pins, CI strictness, the browser, an SMTP server.

Under ``CI=true`` nothing may be skipped for a missing component: PostgreSQL
(``TEST_DATABASE_URL``) and Chromium must be there.
"""
from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config):
    if IN_CI and not PG_URL.startswith("postgresql"):
        raise pytest.UsageError("CI=true needs TEST_DATABASE_URL pointing at PostgreSQL.")


def pytest_collection_modifyitems(items):
    """The tests of modules marked ``long`` first, in their order; then the rest, in theirs.

    ``make test`` hands whole modules to its workers in this order
    (``--dist loadscope --no-loadscope-reorder``): a module of a few tests that
    take minutes (a booted system, an installer) starts at once instead of
    last, where it would be the run's long tail with the other workers idle.
    """
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Debian's Chromium as root in a container, on a machine whose network reaches no Google service.
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium through Playwright (the console's and the kiosk's browser tests).

    Playwright cannot download its own browser here. Without Chromium the
    tests are skipped, except under ``CI=true``, where that is a failure.
    """
    if not CHROMIUM:
        if IN_CI:
            pytest.fail("CI=true needs Chromium: `make chromium` installs Debian's.")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=BROWSER_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def mailbox():
    """A real SMTP server on 127.0.0.1 and what it received (the province's mail server, in alert tests)."""
    from .admin.alerts.receivers_support import Mailbox

    box = Mailbox()
    box.start()
    yield box
    box.stop()
