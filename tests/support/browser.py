"""What the browser tests share: where Chromium is, how it is launched, where screenshots go,
and the small accessibility checks the owner's pages must pass."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from playwright.sync_api import Page

CHROMIUM = Path(os.environ.get("CSMC_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS = Path(__file__).resolve().parents[2] / "build" / "browser-results"
TIMEOUT_MS = 30_000

Browse = Callable[..., Page]  # the `browse` fixture: opens a page in a new browser

# Roles a person operates; each needs an accessible name.
_CONTROLS = "button|link|textbox|checkbox|radio|combobox|listbox|spinbutton|switch|slider|searchbox"
_NAMELESS = re.compile(rf'^\s*- ({_CONTROLS})(?!\s+")', re.MULTILINE)


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under build/browser-results/ (names are per test: xdist-safe)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def nameless_controls(page: Page) -> list[str]:
    """Controls without an accessible name, from the page's accessibility tree."""
    tree = page.locator("body").aria_snapshot()
    return [m.group(0).strip() for m in _NAMELESS.finditer(tree)]


def heading_levels(page: Page) -> list[int]:
    levels: list[int] = page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "hs => hs.map(h => Number(h.tagName[1]))"
    )
    return levels


def headings_in_order(levels: list[int]) -> bool:
    """One h1, first; each heading at most one level deeper than the one before."""
    if not levels or levels[0] != 1 or levels.count(1) != 1:
        return False
    return all(b <= a + 1 for a, b in pairwise(levels))


def tab_order(page: Page, limit: int = 50) -> list[str]:
    """The text of each element Tab reaches from the top of the page, once round."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    reached: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        label = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e && e !== document.body ? e.tagName + ':' + e.innerText.trim() : null }"
        )
        if label is None or label in reached:
            break
        reached.append(label)
    return reached
