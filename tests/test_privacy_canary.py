"""The canary test: unique strings in a case message, an internal note and a withdrawn question must not
appear anywhere a visitor, another member, or (for the internal note) the customer can reach."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit

import pytest

from app.attachments import service as attachments
from app.escalation import service as escalation
from app.reputation import service as reputation
from tests.factories import make_answer, make_board, make_question, make_user
from tests.test_page_cache import app_with_page_cache

MESSAGE_CANARY = "qzvxcanarymessage"
NOTE_CANARY = "qzvxcanarynote"
QUESTION_CANARY = "qzvxcanaryquestion"
ALL = (MESSAGE_CANARY, NOTE_CANARY, QUESTION_CANARY)

LINK = re.compile(r'href="([^"#]+)')
SKIP = ("/static/", "/logout")
MAX_PAGES = 400


@pytest.fixture
def app(tmp_path, postgres_schema):
    """The canary runs with the visitors' page cache on (in Redis on the PostgreSQL leg): no kept page may hold
    what the policy hides, and no member's page may be kept for anyone."""
    yield from app_with_page_cache(tmp_path, postgres_schema)


def _attach(app, session, user, name: str, text: str):
    """A text file uploaded by `user` (pending until a post or message links to it)."""
    rules = attachments.UploadRules.from_config(app.config)
    [stored] = attachments.upload(session, app.extensions["agora_attachments"], user, [(name, text.encode())], rules)
    session.commit()
    return stored


@pytest.fixture
def secrets_planted(app, session):
    board = make_board(session, "billing-accounts", "Billing & Accounts")
    customer, other = make_user(session, "customer"), make_user(session, "other")
    moderator, staff = make_user(session, "mod", role="moderator"), make_user(session, "nina", role="staff")
    public = make_question(session, other, board, title="A public question about invoices")
    make_answer(session, customer, public, body="A public answer by the customer.")
    # Each secret also sits in an attached file, whose address is a link on the pages that may show it.
    question_file = _attach(app, session, customer, "statement.txt", f"Statement {QUESTION_CANARY}")
    secret = make_question(
        session,
        customer,
        board,
        title=f"My account {QUESTION_CANARY} was charged twice",
        body=f"Details: {QUESTION_CANARY} and more details here. {attachments.markdown_for(question_file)}",
        tags=("billing",),
    )
    answer = make_answer(session, other, secret, body=f"Answer on the secret thread {QUESTION_CANARY}.")
    reputation.give_kudo(session, customer, "answer", answer.id)
    case = escalation.escalate(
        session,
        moderator,
        secret.id,
        escalation.EscalationDraft("billing", "high", "Staff took this private.", withdraw=True),
    )
    message_file = _attach(app, session, staff, "refund.log", f"refund {MESSAGE_CANARY}")
    note_file = _attach(app, session, staff, "note.log", f"note {NOTE_CANARY}")
    escalation.post_message(
        session, staff, case.id, f"Your refund reference is {MESSAGE_CANARY}. {attachments.markdown_for(message_file)}"
    )
    escalation.post_message(
        session,
        staff,
        case.id,
        f"Internal: customer flagged before {NOTE_CANARY}. {attachments.markdown_for(note_file)}",
        internal=True,
    )
    escalation.post_message(session, customer, case.id, "Thank you!")
    session.commit()
    return {
        "customer": customer,
        "other": other,
        "moderator": moderator,
        "case": case,
        "secret": secret,
        "answer": answer,
        "files": [attachments.url_of(f) for f in (question_file, message_file, note_file)],
    }


def _seed_urls(planted) -> list[str]:
    secret, case, answer = planted["secret"], planted["case"], planted["answer"]
    return [
        "/",
        "/questions",
        "/boards/billing-accounts",
        "/boards/billing-accounts?tag=billing",
        "/questions?tag=billing",
        f"/questions/{secret.id}",
        f"/questions/{secret.id}/{secret.slug}",
        f"/questions/{secret.id}/history",
        f"/answers/{answer.id}",
        f"/answers/{answer.id}/history",
        f"/cases/{case.id}",
        "/cases",
        "/notifications",
        "/users/customer",
        "/users/other",
        "/users/nina",
        "/users/customer/points",
        "/users/other/points",
        "/leaderboard?period=all",
        "/leaderboard?period=week",
        "/superfans",
        "/badges",
        f"/search?q={QUESTION_CANARY}",
        "/search?q=charged",
        "/feeds/boards/billing-accounts.atom",
        "/feeds/tags/billing.atom",
        f"/nowhere/{QUESTION_CANARY}",
        f"/questions/{secret.id}/flag",
        f"/answers/{answer.id}/flag",
        *planted["files"],
        *(url.rsplit("/", 1)[0] + "/thumbnail" for url in planted["files"]),
    ]


def crawl(client, seeds: list[str]) -> dict[str, str]:
    """Every page reachable from the seeds through links on the site, as this client sees them."""
    pages: dict[str, str] = {}
    queue = deque(seeds)
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        if url in pages or url.startswith(SKIP):
            continue
        response = client.get(url, follow_redirects=True)
        body = response.get_data(as_text=True)
        pages[url] = body
        if "html" not in (response.content_type or ""):
            continue
        for href in LINK.findall(body):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or not parts.path.startswith("/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def _without_echo(url: str, body: str) -> str:
    """A page may repeat the address it was asked for (a sign-in link's `next`); that is the reader's own input."""
    for echo in {url, unquote(url), quote(url, safe="/"), html.escape(url), html.escape(unquote(url))}:
        body = body.replace(echo, "")
    for _name, value in parse_qsl(urlsplit(url).query):
        # As a link keeps it (a "Join" link's `next`): its "/" and "?" as they were, the rest percent-encoded.
        for form in (value, quote(value, safe=""), quote(value, safe="/?")):
            body = body.replace(form, "")
    return body


def _leaks(pages: dict[str, str], canaries: tuple[str, ...]) -> dict[str, list[str]]:
    found = {url: [c for c in canaries if c in _without_echo(url, body)] for url, body in pages.items()}
    return {url: hits for url, hits in found.items() if hits}


def test_a_visitor_sees_no_canary(client, secrets_planted):
    pages = crawl(client, _seed_urls(secrets_planted))
    assert len(pages) > 30
    assert _leaks(pages, ALL) == {}


def test_a_visitor_who_read_the_thread_before_it_was_withdrawn_sees_no_canary(app, client, session, secrets_planted):
    """Pages kept while the question was public are never served once it is withdrawn: the secret thread is made
    public again, crawled (and so cached) by a visitor, then withdrawn again and crawled again. (Withdrawal through
    the escalation service is proven in tests/test_page_cache.py.)"""
    secret = secrets_planted["secret"]
    secret.is_private = False
    session.commit()
    seeds = _seed_urls(secrets_planted)
    before = crawl(client, seeds)
    assert QUESTION_CANARY in before[f"/questions/{secret.id}/{secret.slug}"]  # the test can fail
    cached = client.get(f"/questions/{secret.id}/{secret.slug}")
    assert cached.headers.get("X-Page-Cache") == "hit"
    secret.is_private = True
    session.commit()
    assert _leaks(crawl(client, seeds), ALL) == {}


def test_another_member_sees_no_canary(client, login_as, secrets_planted):
    login_as(secrets_planted["other"])
    pages = crawl(client, _seed_urls(secrets_planted))
    assert len(pages) > 30
    assert _leaks(pages, ALL) == {}


def test_the_customer_never_sees_the_internal_note(client, login_as, secrets_planted):
    login_as(secrets_planted["customer"])
    pages = crawl(client, _seed_urls(secrets_planted))
    assert _leaks(pages, (NOTE_CANARY,)) == {}
    # ... while their own conversation and question are there for them (the test can fail).
    case_page = pages[f"/cases/{secrets_planted['case'].id}"]
    assert MESSAGE_CANARY in case_page and QUESTION_CANARY in case_page
    question_file, message_file, _note_file = secrets_planted["files"]
    assert QUESTION_CANARY in pages[question_file] and MESSAGE_CANARY in pages[message_file]


def test_a_volunteer_moderator_sees_the_case_but_not_its_conversation(client, login_as, secrets_planted):
    """By default moderators are treated as volunteer members: the case exists for them, its words do not."""
    login_as(secrets_planted["moderator"])
    pages = crawl(client, _seed_urls(secrets_planted))
    assert _leaks(pages, (MESSAGE_CANARY, NOTE_CANARY)) == {}
    case_page = pages[f"/cases/{secrets_planted['case'].id}"]
    assert "Staff took this private." in case_page and "Billing and payments" in case_page  # category, public note
    assert "Add internal note" not in case_page


def test_moderators_who_are_employees_read_the_conversation(app, client, login_as, secrets_planted):
    app.config["CASE_CONTENT_FOR_MODERATORS"] = True
    login_as(secrets_planted["moderator"])
    pages = crawl(client, _seed_urls(secrets_planted))
    case_page = pages[f"/cases/{secrets_planted['case'].id}"]
    assert MESSAGE_CANARY in case_page and NOTE_CANARY in case_page
    assert NOTE_CANARY in pages[secrets_planted["files"][2]]  # the note's file, for those who read notes
    # ... and still nowhere else: not in public pages, search, feeds or profiles.
    case_files = set(secrets_planted["files"][1:])
    elsewhere = {url: body for url, body in pages.items() if not url.startswith("/cases/") and url not in case_files}
    assert _leaks(elsewhere, (MESSAGE_CANARY, NOTE_CANARY)) == {}
