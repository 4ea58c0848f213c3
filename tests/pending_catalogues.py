"""The committed catalogues (plus any strings waiting in a new-strings.json while a change is being translated),
compiled into a directory of one test's own, and a way to make Flask-Babel forget what it loaded."""

from __future__ import annotations

import json
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
NEW_STRINGS = ROOT / "new-strings.json"
LANGUAGES = ("el", "pl", "sq", "he")


def catalogue(lang: str) -> Catalog:
    with (ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        found = read_po(po, locale=lang)
    pending = json.loads(NEW_STRINGS.read_text(encoding="utf-8")) if NEW_STRINGS.exists() else {}
    for msgid, entry in pending.items():
        existing = found.get(msgid)
        if existing is None or not existing.string:
            key = (msgid, entry["plural"]) if "plural" in entry else msgid
            found.add(key, tuple(entry[lang]) if "plural" in entry else entry[lang])
    return found


def compile_into(directory: Path) -> str:
    """Compile every language's catalogue under `directory`; returns it for BABEL_TRANSLATION_DIRECTORIES."""
    for lang in LANGUAGES:
        target = directory / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / "messages.mo").open("wb") as mo:
            write_mo(mo, catalogue(lang))
    return str(directory)


def forget_loaded_catalogues(app) -> None:
    """Flask-Babel keeps loaded catalogues per process, by language, not per app (its one Babel object is
    shared): drop them, so an app reading other directories loads its own, and the apps after it theirs."""
    with app.app_context():  # its domain is looked up (once) through the current app
        app.extensions["babel"].instance.domain_instance.cache.clear()
