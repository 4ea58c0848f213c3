"""A Greek, Polish, Albanian or Hebrew reader sees no English word from our templates: the main pages of every
role are read as that reader, and every visible text node outside what members wrote is checked against the
English words of the catalogue's source strings."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from app.escalation import service as escalation
from app.forum.models import Answer
from app.moderation import service as moderation
from app.reputation import service as reputation
from app.search import service as search
from tests.conftest import sign_in
from tests.factories import make_answer, make_board, make_question, make_user
from tests.pending_catalogues import ROOT

WORD = re.compile(r"[^\W\d_]{3,}")  # whole words of any script: "postów" is not "post"
# Elements whose text is not the interface's: what members and admins wrote (isolated with dir="auto" or a
# post's lang), names in <bdi>, code, and the language switcher's own names (each in its lang).
CONTENT_MARKERS = ("dir", "lang")
SKIPPED_TAGS = {"script", "style", "bdi", "code", "pre", "textarea", "title"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Words the catalogues keep in English on purpose (product and brand names, the glossaries' loanwords).
KEPT = {"nimbus", "book", "hub", "markdown", "kudos", "superfan", "superfans", "bronze", "silver", "gold", "atom"}
KEPT |= {"mail"}  # "e-mail", the glossaries' loanword
# The search syntax a hint shows ("tag:battery, board:broadband") stays as typed.
KEPT |= {"tag", "board", "broadband"}
# Acronyms every language writes so.
KEPT |= {"csv", "iban", "ibans", "bios", "url"}
# What this test's data says (board, titles, bodies, names, tags, reasons): content, not interface.
CONTENT = (
    "Laptops Broadband board for tests Battery drains overnight on the Nimbus Book Sleep mode does not hold the"
    " charge Update the BIOS it fixed Charged twice for my November bill looking into refund approved by finance"
    " can see the double charge battery firmware Mona Mod Nina Staff Ada Admin asker helper ivo spam My does"
    " something odd What should check"
)


def _words(texts) -> set[str]:
    found: set[str] = set()
    for text in texts:
        text = re.sub(r"%\(\w+\)[sd]", " ", text or "")
        found.update(w.lower() for w in WORD.findall(text) if w.isascii())
    return found


def english_words(language: str | None = None) -> set[str]:
    """The English words of our source strings, less those the language's own catalogue uses too (Polish
    writes "post", "menu" and "link" as English does)."""
    with (ROOT / "app" / "translations" / "messages.pot").open("rb") as pot:
        source = read_po(pot)
    words = _words(text for m in source for text in (m.id if isinstance(m.id, tuple) else (m.id,)))
    if language:
        path = ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as po:
            own = read_po(po, locale=language)
        words -= _words(text for m in own for text in (m.string if isinstance(m.string, tuple) else (m.string,)))
    return words - KEPT - {w.lower() for w in WORD.findall(CONTENT)}


class VisibleText(HTMLParser):
    """The text nodes a reader sees, leaving out members' content and the elements above."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its text excluded?
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        excluded = (
            bool(self.stack and self.stack[-1])
            or tag in SKIPPED_TAGS
            or (tag != "html" and any(marker in names for marker in CONTENT_MARKERS))
            or "hidden" in names
        )
        if tag not in VOID:
            self.stack.append(excluded)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not (self.stack and self.stack[-1]):
            self.texts.append(data.strip())


def english_in(html: str, vocabulary: set[str]) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        words = [w.lower() for w in WORD.findall(text)]
        if any(w in vocabulary for w in words):
            found.append(text)
    return found


@pytest.fixture
def community(app, session):
    """A solved thread with a flagged answer, a case worked by staff, and one account for every role."""
    board = make_board(session, "laptops", "Laptops")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    mona = make_user(session, "mona", role="moderator", display_name="Mona Mod")
    nina = make_user(session, "nina", role="staff", display_name="Nina Staff")
    ada = make_user(session, "ada", role="admin", display_name="Ada Admin")
    question = make_question(session, asker, board, title="Battery drains overnight on the Nimbus Book")
    answer = make_answer(session, helper, question)
    with app.app_context():
        reputation.accept_answer(session, asker, question.id, answer.id)
        moderation.flag_post(session, make_user(session, "ivo"), "answer", answer.id, "spam")
        billing = make_question(session, asker, board, title="Charged twice for my November bill")
        case = escalation.escalate(session, mona, billing.id, escalation.EscalationDraft("billing", "high"))
        session.commit()
        escalation.post_message(session, nina, case.id, "I can see the double charge.")
        escalation.assign(session, nina, case.id, "nina")
        escalation.transition(session, nina, case.id, "wait")
        session.commit()
    search.drain_app(app)
    assert session.scalar(select(Answer.is_accepted).where(Answer.id == answer.id))
    public = ["/", "/questions", "/boards/laptops", f"/questions/{question.id}", "/search?q=battery",
              "/users/helper", "/users/helper/points", "/leaderboard", "/login", "/register", "/questions/987654"]
    member = ["/ask", "/notifications", "/settings/profile", "/settings/notifications", "/cases"]
    return {
        None: public,
        asker: public + member + [f"/cases/{case.id}"],
        mona: ["/mod", "/mod/audit", f"/questions/{question.id}"],
        nina: ["/staff", f"/cases/{case.id}", "/insights", "/insights/unanswered"],
        ada: ["/admin/listening", "/mod/audit"],
    }


@pytest.mark.parametrize("language", ["el", "pl", "sq", "he"])
def test_no_english_word_from_the_templates_on_any_main_page(app, session, community, language):
    vocabulary = english_words(language)
    report: dict[str, list[str]] = {}
    pages = 0
    for user, paths in community.items():
        client = app.test_client()
        if user is None:
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        else:
            user.locale = language
            session.commit()
            sign_in(client, user)
        for path in paths:
            response = client.get(path, follow_redirects=True)
            assert response.status_code in (200, 404), (path, response.status_code)
            html = response.get_data(as_text=True)
            assert f'<html lang="{language}"' in html, path
            pages += 1
            found = english_in(html, vocabulary)
            if found:
                report[f"{user.username if user else 'visitor'} {path}"] = found
    assert pages >= 30
    assert report == {}, report
    # and the same reading of an English page finds the interface's words: the check looks where it should
    english = app.test_client().get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert len(english_in(english, vocabulary)) >= 10


def test_the_check_finds_an_english_sentence(app):
    """It can fail: an untranslated interface sentence is found, members' own words are not."""
    vocabulary = english_words()
    html = (
        '<main><h1>Ερωτήσεις</h1><p>Ask a question</p><div class="post-body" dir="auto">Ask me anything</div>'
        '<a class="user-link"><bdi>Nina Staff</bdi></a><option lang="en">English</option></main>'
    )
    assert english_in(html, vocabulary) == ["Ask a question"]
