"""Every user-facing string is marked for translation; right-to-left languages get dir="rtl"."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

ROOT = Path(__file__).resolve().parent.parent
# Text allowed outside gettext in templates: the brand, punctuation and symbols.
ALLOWED_BARE = {"Nimbus"}


def _bare_text(template: str) -> list[str]:
    """Words in a template that are neither inside a Jinja tag/expression nor inside an HTML tag."""
    text = re.sub(r"{#.*?#}", " ", template, flags=re.S)
    # A style sheet is not text anyone reads (a standalone page, such as a data export's summary, carries its own).
    text = re.sub(r"<style[^>]*>.*?</style>", " ", text, flags=re.S | re.I)
    text = re.sub(r"{%.*?%}|{{.*?}}", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    return [word for word in re.findall(r"[^\W\d_]{2,}", text) if word not in ALLOWED_BARE]


def test_templates_have_no_untranslatable_text():
    offenders = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        words = _bare_text(path.read_text(encoding="utf-8"))
        if words:
            offenders[str(path.relative_to(ROOT))] = words
    assert offenders == {}


def test_strings_are_extractable_for_catalogues():
    messages = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=[("app/**.py", "python"), ("templates/**.html", "jinja2")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.do"}},
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None, "N_": None},
    ):
        messages.update([message] if isinstance(message, str) else message)
    for expected in (
        "Ask a question",
        "That username is taken.",
        "Use at most %(max)d tags.",
        "Please check what you entered",
        "%(num)d answer",
        "Keep me signed in on this device",
    ):
        assert expected in messages, expected
    assert len(messages) > 150


def test_hebrew_pages_are_right_to_left_and_others_left_to_right(client):
    client.form_post("/language", {"locale": "he"})
    assert '<html lang="he" dir="rtl">' in client.get("/").get_data(as_text=True)
    client.form_post("/language", {"locale": "el"})
    assert '<html lang="el" dir="ltr">' in client.get("/").get_data(as_text=True)


def test_browser_language_is_used_for_visitors(client):
    page = client.get("/", headers={"Accept-Language": "he-IL,he;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert 'dir="rtl"' in page
