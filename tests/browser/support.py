"""What the browser tests share besides fixtures: the live server's and the pages' types, and small page helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Locator, Page, expect
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.db import db
from app.forum.models import Board, Question
from tests import factories

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000

Screenshot = Callable[..., Path]


@dataclass
class LiveServer:
    """A running Agora: its base URL, and a way to arrange data in its database."""

    app: Flask
    url: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.app.app_context():
            session = db.new_session()
            try:
                yield session
            finally:
                session.close()


@dataclass
class Seeded:
    board: Board
    asker: User
    helper: User
    question: Question


@dataclass
class Pages:
    """Opens pages in fresh browser contexts and records what their consoles and dialogs reported."""

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def new(self, **context_options: object) -> Page:
        context = self.browser.new_context(**context_options)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("dialog", self._on_dialog)
        return page

    def _on_console(self, message: ConsoleMessage) -> None:
        line = f"console {message.type}: {message.text} ({message.location.get('url')})"
        self.console.append(line)
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(line)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def sign_in(page: Page, base: str, login: str, password: str = factories.PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username or e-mail").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    # The welcome is in the member's own language, so look for the sign-out form rather than its words.
    expect(page.locator("form[action$='/logout']")).to_have_count(1)


def header_nav(page: Page) -> Locator:
    return page.locator("nav.site-nav")  # its accessible name is in the reader's language
