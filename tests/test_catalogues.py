"""The Greek, Polish, Albanian and Hebrew catalogues: every marked string translated, none fuzzy, with the
English placeholders, and choosing a language really translates the pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "app" / "translations"
LANGUAGES = ("el", "pl", "sq", "he")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None}


def _marked() -> set[str]:
    """Every msgid marked in the code and templates (for plurals, the singular: the catalogue's key)."""
    found = extract_from_dir(
        str(ROOT),
        method_map=[("app/**.py", "python"), ("templates/**.html", "jinja2")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}},
        keywords=KEYWORDS,
    )
    return {message if isinstance(message, str) else message[0] for _f, _l, message, _c, _x in found}


MARKED = _marked()


def _catalogue(language: str):
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_string_is_translated_and_none_is_fuzzy(language):
    catalogue = _catalogue(language)
    missing, untranslated, fuzzy = [], [], []
    for msgid in sorted(MARKED):
        message = catalogue.get(msgid)
        if message is None:
            missing.append(msgid)
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms):
            untranslated.append(msgid)
        if message.fuzzy:
            fuzzy.append(msgid)
    assert (missing, untranslated, fuzzy) == ([], [], [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    wrong = []
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        for form in forms:
            # A plural form may leave the number out ("one answer"), never add or misspell a placeholder.
            if not set(PLACEHOLDER.findall(form)) <= expected or "%(" in PLACEHOLDER.sub("", form):
                wrong.append((ids[0], form))
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_compile(language, tmp_path):
    with (tmp_path / "messages.mo").open("wb") as mo:
        write_mo(mo, _catalogue(language))
    assert (tmp_path / "messages.mo").stat().st_size > 10_000


@pytest.mark.parametrize("language", LANGUAGES)
def test_choosing_a_language_translates_the_page(client, language):
    client.form_post("/language", {"locale": language})
    page = client.get("/").get_data(as_text=True)
    for english in ("Sign in", "Search the community"):
        translated = _catalogue(language).get(english).string
        assert translated and translated in page and f">{english}<" not in page, english
