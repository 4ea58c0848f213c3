"""Right to left by construction: the stylesheet has no physical left/right, what members write follows its
own direction (dir="auto"), and names, tags and counts inside sentences are isolated in <bdi>."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import sign_in
from tests.factories import make_answer, make_board, make_question, make_user

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"
# A property or value that names a physical side: margin-left, padding-right, border-left-color, left: 0,
# float: right, text-align: left, clear: left, and the like.
PHYSICAL = re.compile(
    r"(?<![\w-])(?:(?:margin|padding|border|inset|scroll-margin|scroll-padding)-(?:left|right)\b"
    r"|(?:left|right)\s*:"
    r"|(?:float|clear|text-align|caption-side)\s*:\s*(?:left|right)\b"
    r"|border-(?:top|bottom)-(?:left|right)-radius)"
)


def _rules(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments may say "left"


def test_the_stylesheet_uses_logical_properties_only():
    found = PHYSICAL.findall(_rules(CSS.read_text(encoding="utf-8")))
    assert found == []


def test_the_check_finds_physical_properties():
    css = ".a { margin-left: 1rem; } .b { text-align: right } .c { left: 0; } .d { border-top-left-radius: 2px }"
    assert len(PHYSICAL.findall(_rules(css))) == 4
    assert PHYSICAL.findall(".e { margin-inline-start: 1rem; text-align: start; inset-inline-end: 0 }") == []


def test_names_tags_and_counts_are_isolated_and_members_text_follows_its_direction(client, session):
    board = make_board(session, "laptops", "מחשבים ניידים")
    noa = make_user(session, "noa", display_name="נועה לוי", locale="he")
    question = make_question(session, noa, board, title="Nimbus Book 14 לא נטען", tags=("battery",))
    make_answer(session, make_user(session, "sam", display_name="Sam"), question)
    page = client.get(f"/questions/{question.id}", headers={"Accept-Language": "he"}, follow_redirects=True)
    page = page.get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in page
    assert "<bdi>נועה לוי</bdi>" in page and "<bdi>Sam</bdi>" in page  # names in sentences and bylines
    assert "<bdi>battery</bdi>" in page  # tags
    assert re.search(r"<h1[^>]*dir=\"auto\"[^>]*>|<h1[^>]*>\s*<span dir=\"auto\"", page), "the title's direction"
    assert page.count('class="post-body" dir="auto"') >= 2
    home = client.get("/", headers={"Accept-Language": "he"}).get_data(as_text=True)
    assert re.search(r"<bdi>1</bdi> \S+", home), "a count in a sentence"
    # every text field a member types in follows what they type
    sign_in(client, noa)
    checked = 0
    for path in ("/ask", f"/questions/{question.id}", "/settings/profile", "/search?q=x"):
        html = client.get(path, follow_redirects=True).get_data(as_text=True)
        for field in re.findall(r"<(?:textarea|input)\b[^>]*>", html):
            kind = re.search(r'type="(\w+)"', field)
            if field.startswith("<textarea") or (kind and kind.group(1) in ("text", "search")):
                assert 'dir="auto"' in field, (path, field)
                checked += 1
    assert checked >= 8
