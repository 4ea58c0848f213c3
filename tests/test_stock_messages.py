"""WTForms' own messages ("This field is required.") come out in our own words, in the reader's language, from our
catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask_babel import force_locale

from app.db import db
from app.web.stock_messages import translations
from tests.conftest import Client, make_app
from tests.pending_catalogues import catalogue, compile_into, forget_loaded_catalogues


@pytest.fixture
def client(tmp_path: Path, postgres_schema: str | None):
    """A client of an app reading catalogues compiled here, from the committed ones plus new-strings.json."""
    app = make_app(tmp_path, postgres_schema, BABEL_TRANSLATION_DIRECTORIES=compile_into(tmp_path / "translations"))
    forget_loaded_catalogues(app)
    app.test_client_class = Client
    yield app.test_client()
    forget_loaded_catalogues(app)
    with app.app_context():
        db.engine.dispose()


def test_a_polish_visitor_sees_wtforms_messages_in_polish(client):
    token = client.csrf()
    response = client.post("/register", data={"csrf_token": token}, headers={"Accept-Language": "pl"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    required = catalogue("pl").get("Please fill this in.").string
    assert required and required in page
    assert "This field is required." not in page and "Please fill this in." not in page


@pytest.mark.parametrize(("lang", "count", "form"), [("pl", 5, 2), ("he", 2, 1), ("sq", 1, 0)])
def test_length_messages_use_the_languages_plural_forms(client, lang, count, form):
    with client.application.test_request_context(), force_locale(lang):
        text = translations.ngettext(
            "Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", count
        )
    entry = catalogue(lang).get("Use at most %(max)d character.")
    assert text == entry.string[form]
    assert "%(max)d" in text  # WTForms fills it in itself
