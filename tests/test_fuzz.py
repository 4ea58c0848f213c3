"""Hostile input against every route of the url_map, as a visitor and as a signed-in member: never a 5xx.

Hypothesis draws path segments, query strings and form bodies (numbers far out of range, NUL and other
control characters, broken UTF-8 percent-escapes, 100 KB strings, right-to-left marks, combining
characters) and each example is sent to every route, GET routes by GET and POST routes by POST with a
valid CSRF token. The examples are few and not shrunk, so the test stays within about a minute; a
failure names the route and the input."""

from __future__ import annotations

import os
import re
import time
from urllib.parse import quote

import pytest
from flask import got_request_exception
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.attachments import service as attachments
from app.escalation import service as escalation
from tests.factories import make_answer, make_board, make_question, make_user

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))  # per role; each example is one request per route

# Names the views read from the query or the form, so the fuzzed values land where they are parsed.
FIELD_NAMES = (
    "next", "before", "after", "page", "q", "filter", "tag", "period", "board", "status", "sort", "from", "to",
    "title", "body", "tags", "answer_id", "case_ids", "assignee", "reason", "note", "locale", "login", "password",
    "username", "email", "confirm", "dup-original", "move-board", "days", "category", "priority", "message",
    "public_note", "public_resolution", "back", "email_pref", "overdue", "action", "actor", "target_type",
    "display_name", "bio", "preview", "ask_private", "private_category", "withdraw", "remember", "kind", "pattern",
)  # fmt: skip

NUMBERS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64, 10**30]),
).map(str)
ODD_CHARACTERS = st.text(
    st.sampled_from(
        [
            "\x00", "\x01", "\x07", "\x1b", "\x7f", "\t", "\r", "\n", " ",
            "\u200f", "\u202e", "\u2066", "\u0301", "\u0336", "\ufeff", "\uffff", "\ufffd", "\u0085", "\u2028",
            "é", "ß", "İ", "ﬃ", "𝔘", "😀", "١", "²", "ℌ",
            "a", "9", "/", "\\", "%", "&", "=", "?", "#", ".", "'", '"', "<",
        ]
    ),
    max_size=30,
)  # fmt: skip


def values(long: int):
    """Text for a field: numbers, odd characters, any UTF-8, tricky words, or one character `long` times."""
    return st.one_of(
        NUMBERS,
        ODD_CHARACTERS,
        st.text(st.characters(codec="utf-8"), max_size=40),
        st.sampled_from(["", "1", "1e9", "0x1f", "NaN", "-0", "\\ud800", "../../etc/passwd", "//evil.example", "me"]),
        st.builds(lambda char: char * long, st.sampled_from(["a", "9", "é", "\u202e", "\x00"])),
    )


# 100 KB in a form body; 8 KB in a path or query (no server takes a longer request line, and a longer
# one costs the test client a second per request to quote and unquote).
BODY_TEXT, URL_TEXT = values(100_000), values(8_000)
# Percent-escapes that are not UTF-8: a lone continuation byte, overlong forms, an escaped surrogate, a cut sequence.
RAW_ESCAPES = st.sampled_from(["%ff", "%fe%ff", "%c0%af", "%ed%a0%80", "%ed%b0%80", "%e2%82", "%", "%zz", "%u202e"])


def encoded(text_strategy):
    """A URL-encoded value: quoted text, a broken escape, or both."""
    quoted = text_strategy.map(lambda text: quote(text, safe=""))
    return st.one_of(quoted, RAW_ESCAPES, st.tuples(quoted, RAW_ESCAPES).map("".join))


def pairs(text_strategy):
    """Up to four name=value pairs, the names mostly ones the views read."""
    names = st.one_of(st.sampled_from(FIELD_NAMES), encoded(ODD_CHARACTERS))
    return st.lists(st.tuples(names, encoded(text_strategy)), max_size=4)


ARGUMENT = re.compile(r"<(?:[^<>]*:)?(\w+)>")


def _joined(fields: list[tuple[str, str]]) -> str:
    """A query string or form body from pairs whose names and values are already encoded."""
    return "&".join(f"{name}={value}" for name, value in fields)


@pytest.fixture
def world(app, session):
    owner = make_user(session, "owner")
    board = make_board(session, "laptops")
    rules = attachments.UploadRules.from_config(app.config)
    [log] = attachments.upload(session, app.extensions["agora_attachments"], owner, [("boot.log", b"boot")], rules)
    question = make_question(session, owner, board, tags=("battery",), body=f"The log: {attachments.markdown_for(log)}")
    answer = make_answer(session, make_user(session, "helper"), question)
    moderator = make_user(session, "moderator", role="moderator")
    case = escalation.escalate(session, moderator, question.id, escalation.EscalationDraft(category="billing"))
    session.commit()
    return owner, {
        "question_id": question.id,
        "answer_id": answer.id,
        "post_id": answer.id,
        "target_id": question.id,
        "case_id": case.id,
        "rule_id": 1,
        "notification_id": 1,
        "export_id": 1,
        "token_id": 1,
        "endpoint_id": 1,
        "delivery_id": 1,
        "slug": question.slug,
        "username": "owner",
        "tag": "battery",
        "name": "battery",
        "token": "not-a-token",
        "filename": "css/app.css",
        "key": "card",
        "kind": "questions",
        "action": "follow",
        "board_id": board.id,
        "direction": "up",
        "attachment_id": log.id,
        "number": 1,
    }


def _routes(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route; signing out comes last, so the member stays signed in."""
    routes = [
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    return sorted(routes, key=lambda route: route[0] == "accounts.logout")


@pytest.mark.parametrize("role", ["visitor", "member"])
def test_no_input_gives_a_server_error(app, client, login_as, world, role):
    owner, known = world
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 response to count, not an exception
    routes = _routes(app)
    names = sorted({name for _endpoint, _method, rule in routes for name in ARGUMENT.findall(rule)})
    crashes: list[BaseException] = []

    def record(_sender, exception, **_extra):
        crashes.append(exception)

    # A segment is the known good value (so the route's own parsing is reached) or a fuzzed one; never
    # empty, as "//host/..." at the start of a path would be read by the test client as another host.
    segments = st.fixed_dictionaries(
        {name: st.one_of(st.just(quote(str(known[name]))), encoded(URL_TEXT).filter(bool)) for name in names}
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: every example already costs a request per route
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(segments=segments, query=pairs(URL_TEXT), form=pairs(BODY_TEXT), wants_json=st.booleans())
    def every_route(segments, query, form, wants_json):
        if role == "member":
            login_as(owner)
        token = client.csrf()
        query_string, body = _joined(query), _joined([*form, ("csrf_token", token)])
        headers = {"Accept": "application/json"} if wants_json else {}
        failures = []
        for endpoint, method, rule in routes:
            url = ARGUMENT.sub(lambda match: segments[match.group(1)], rule)
            crashes.clear()
            if method == "GET":
                response = client.get(f"{url}?{query_string}", headers=headers)
            else:
                response = client.post(
                    f"{url}?{query_string}",
                    data=body.encode(),
                    content_type="application/x-www-form-urlencoded",
                    headers=headers,
                )
            if response.status_code >= 500:
                crash = repr(crashes[-1])[:300] if crashes else ""
                failures.append(
                    f"{response.status_code} {role} {method} {endpoint} {url[:200]}?{query_string[:200]} "
                    f"form={body[:200]!r} {crash}"
                )
        assert not failures, "\n".join(failures)

    started = time.monotonic()
    with got_request_exception.connected_to(record, app):
        every_route()
    print(f"fuzz as {role}: {EXAMPLES} examples x {len(routes)} routes in {time.monotonic() - started:.1f}s")
