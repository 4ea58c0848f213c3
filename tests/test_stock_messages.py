"""WTForms' own messages ("This field is required.") come out in the reader's language, from our catalogues."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from app.db import db
from app.web.stock_messages import translations
from tests.conftest import Client, make_app

ROOT = Path(__file__).resolve().parent.parent
NEW_STRINGS = ROOT / "new-strings.json"


def _catalogue(lang: str) -> Catalog:
    with (ROOT / "app" / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=lang)
    # Strings waiting in new-strings.json until they are merged into the catalogues.
    pending = json.loads(NEW_STRINGS.read_text(encoding="utf-8")) if NEW_STRINGS.exists() else {}
    for msgid, entry in pending.items():
        if catalogue.get(msgid) is None or not catalogue.get(msgid).string:
            key = (msgid, entry["plural"]) if "plural" in entry else msgid
            catalogue.add(key, tuple(entry[lang]) if "plural" in entry else entry[lang])
    return catalogue


@pytest.fixture
def client(tmp_path: Path, postgres_schema: str | None):
    """A client of an app reading catalogues compiled here, from the committed ones plus new-strings.json."""
    translations = tmp_path / "translations"
    for lang in ("el", "pl", "sq", "he"):
        target = translations / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / "messages.mo").open("wb") as mo:
            write_mo(mo, _catalogue(lang))
    app = make_app(tmp_path, postgres_schema, BABEL_TRANSLATION_DIRECTORIES=str(translations))
    app.test_client_class = Client
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def test_a_polish_visitor_sees_wtforms_messages_in_polish(client):
    token = client.csrf()
    response = client.post("/register", data={"csrf_token": token}, headers={"Accept-Language": "pl"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    required = _catalogue("pl").get("This field is required.").string
    assert required and required in page
    assert "This field is required." not in page


@pytest.mark.parametrize(("lang", "count", "form"), [("pl", 5, 2), ("he", 2, 1), ("sq", 1, 0)])
def test_length_messages_use_the_languages_plural_forms(client, lang, count, form):
    with client.application.test_request_context(), force_locale(lang):
        text = translations.ngettext(
            "Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", count
        )
    entry = _catalogue(lang).get("Field cannot be longer than %(max)d character.")
    assert text == entry.string[form]
    assert "%(max)d" in text  # WTForms fills it in itself
