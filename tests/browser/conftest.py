"""A real browser for the owner's pages: Playwright driving Debian's Chromium.

Playwright's own browser download cannot be reached from our machines, so `scripts/browser.sh`
installs Debian's package (`scripts/test.sh` runs it first) and the tests launch it by path.
Each test gets its own Playwright and browser process with a fresh profile in its tmp_path,
so tests share nothing and run side by side under pytest-xdist. A browser that cannot start fails the test,
saying why: these tests never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright
from support.browser import ARGS, CHROMIUM, TIMEOUT_MS, Browse


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    """Per test, not per session: under xdist a worker runs other suites' tests in between,
    and Playwright's sync API keeps an event loop on the main thread while it is started."""
    with sync_playwright() as p:
        yield p


@pytest.fixture
def browse(playwright: Playwright, tmp_path: Path) -> Iterator[Browse]:
    """`browse(locale="fr-CA")` opens a page in a new browser with a fresh profile (so its own
    cookies); call it again for a second person."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"no browser at {CHROMIUM}: run `bash scripts/browser.sh` (installs Debian's "
            "chromium), or set CSMC_CHROMIUM to a Chromium",
            pytrace=False,
        )
    contexts: list[BrowserContext] = []

    def open_page(locale: str = "fr-CA") -> Page:
        profile = tmp_path / f"profile-{len(contexts)}"
        try:
            context = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=ARGS,
                locale=locale,
                viewport={"width": 1000, "height": 800},
            )
        except Exception as exc:
            pytest.fail(f"{CHROMIUM} did not start under Playwright: {exc}", pytrace=False)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.pages[0] if context.pages else context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
