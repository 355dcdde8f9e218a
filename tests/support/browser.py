"""Headless Debian Chromium driven by Python Playwright: one launch recipe for every browser test."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


@dataclass
class Console:
    """Console messages and page errors seen by the browser."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Everything seen, one line each (page errors marked), for the artifacts."""
        return "\n".join([*self.lines, *(f"[pageerror] {e}" for e in self.errors)]) + "\n"


def require_chromium() -> Any:
    """Playwright's sync API; skips the test when Playwright or Debian's chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/system-deps")
    return sync_api


@contextmanager
def chromium_page(profile: pathlib.Path, console: Console, log_path: pathlib.Path) -> Iterator[Any]:
    """A page of headless Chromium with a fresh profile in ``profile``; console messages and
    page errors go to ``console`` and, at the end, to ``log_path``."""
    sync_api = require_chromium()
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )  # fmt: skip
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.on("console", lambda m: console.lines.append(f"[{m.type}] {m.text}"))
            page.on("pageerror", lambda e: console.errors.append(str(e)))
            yield page
        finally:
            log_path.write_text(console.text())
            context.close()
