"""The browser tests' fixtures: a live Agora server, a seeded thread, Chromium, pages and screenshots."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from app.db import db
from tests import factories
from tests.browser.support import CHROMIUM_ARGS, LiveServer, Pages, Screenshot, Seeded
from tests.conftest import make_app


@pytest.fixture
def live_server(tmp_path: Path, postgres_schema: str | None) -> Iterator[LiveServer]:
    app = make_app(tmp_path, postgres_schema)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="agora-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def seeded(live_server: LiveServer) -> Seeded:
    """A board, two members and one answered question (with a code block, a link and tags)."""
    with live_server.session() as session:
        board = factories.make_board(session, slug="laptops", name="Laptops")
        asker = factories.make_user(session, "asker")
        helper = factories.make_user(session, "helper")
        question = factories.make_question(
            session,
            asker,
            board,
            title="Nimbus Book 14 won't charge past 80% after the firmware update",
            body=(
                "Since the update my **Nimbus Book 14** stops charging at 80%.\n\n"
                "```\n$ nimbusctl battery status --verbose --include-health-report-and-cycle-count\n```\n\n"
                "I read https://support.nimbus.example/articles/battery-charge-limit-and-health-settings already."
            ),
            tags=("battery", "nimbus-book-14", "firmware"),
        )
        factories.make_answer(session, helper, question, body="Turn off *Battery care* in Settings → Power.")
    return Seeded(board, asker, helper, question)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def pages(browser: Browser) -> Iterator[Pages]:
    """Fresh contexts per test; afterwards, no console errors (CSP violations included) and no dialogs."""
    pages = Pages(browser)
    yield pages
    pages.close()
    report = ["the browser reported problems:", *pages.problems, "", "its whole console:", *pages.console]
    assert pages.problems == [], "\n".join(report)
    assert pages.dialogs == [], f"a script opened dialogs: {pages.dialogs}"


@pytest.fixture
def shoot(output_dir: Path) -> Screenshot:
    """`shoot(page, "01-register-form")` saves test-output/01-register-form.png (the whole page)."""

    def screenshot(page: Page, name: str, full_page: bool = True) -> Path:
        path = output_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return screenshot
