"""A live resim on loopback and headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from resim.app import create_app
from resim.config import Settings
from resim.deps import build_deps
from tests import factories
from tests.workers import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@dataclass(frozen=True)
class Live:
    url: str
    world: factories.World
    db_url: str
    notify_token: str  # what the SM-DP+ presents on handleDownloadProgressInfo


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    settings.jobs.embedded_worker = True
    deps = build_deps(settings)
    world = factories.world(deps.sessions, deps.clock.now())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(deps=deps), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    token = settings.smdp.notify_token.get_secret_value()
    yield Live(f"http://127.0.0.1:{port}", world, settings.db.url, token)
    server.should_exit = True
    thread.join(timeout=15)
    deps.close()


@pytest.fixture
def screenshots(backend: str) -> Path:
    """Where a browser test saves what it saw for people to look at: test-results/<backend>/,
    so the SQLite and PostgreSQL runs of one test (maybe at once, on two xdist workers) never
    write the same file."""
    folder = RESULTS / backend
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def page_in(browser: Browser, language: str) -> Page:
    context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
    context.set_default_timeout(15000)
    return context.new_page()
