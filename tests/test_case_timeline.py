"""The case timeline and the audit log's filter read in the reader's language, names isolated in <bdi>: no
action codes on the page."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.escalation import service as escalation
from app.escalation.timeline_text import SENTENCES
from app.escalation.workflow import ACTIONS
from app.moderation.audit_text import ACTION_LABELS
from app.moderation.audit_text import SENTENCES as AUDIT_SENTENCES
from tests.factories import make_board, make_question, make_user
from tests.pending_catalogues import catalogue

TAG = re.compile(r"<[^>]+>")


def _text(html: str) -> str:
    return unescape(TAG.sub("", html))


@pytest.fixture
def worked_case(session):
    """Mod Elena escalated Sam's billing question; Nina (staff) replied, gave it to Omar, waits for Sam."""
    board = make_board(session, "billing", "Billing")
    sam = make_user(session, "sam", display_name="Sam")
    elena = make_user(session, "elena", role="moderator", display_name="Elena")
    nina = make_user(session, "nina", role="staff", display_name="Nina")
    make_user(session, "omar", role="staff", display_name="עומר")
    question = make_question(session, sam, board, title="Charged twice")
    case = escalation.escalate(session, elena, question.id, escalation.EscalationDraft("billing", "high"))
    session.commit()
    escalation.post_message(session, nina, case.id, "I can see the double charge.")
    escalation.assign(session, nina, case.id, "omar")
    escalation.transition(session, nina, case.id, "wait")
    escalation.post_message(session, nina, case.id, "Refund approved by finance.", internal=True)
    session.commit()
    return case, nina


def _case_page(client, login_as, session, reader, case, locale: str) -> str:
    reader.locale = locale
    session.commit()
    response = login_as(reader).get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_case_action_has_a_timeline_sentence_and_a_filter_label():
    assert {f"case_{action}" for action in ACTIONS} <= set(SENTENCES)
    assert set(AUDIT_SENTENCES) | {"case_assigned", "flags_dismissed", "member_suspended"} <= set(ACTION_LABELS)


def test_the_timeline_reads_as_english_sentences(client, login_as, session, worked_case):
    case, nina = worked_case
    html = _case_page(client, login_as, session, nina, case, "en")
    timeline = html[html.index('class="timeline"') :]
    text = _text(timeline)
    assert "Elena opened the case (Billing and payments, priority High)." in text
    assert "Nina changed the status to open." in text
    assert "Nina assigned the case to עומר." in text
    assert "Nina changed the status to waiting on customer." in text
    assert "Nina added an internal note." in text
    assert "<bdi>עומר</bdi>" in timeline and "<bdi>Nina</bdi>" in timeline
    for code in ("case_opened", "case_start", "case_wait", "case_assigned", "case_note", "<code>"):
        assert code not in html
    # The case's category and priority are words too, not codes.
    assert "· billing" not in html and ">high<" not in html


def test_the_timeline_reads_as_greek_sentences(client, login_as, session, worked_case):
    case, nina = worked_case
    greek = catalogue("el")
    text = _text(_case_page(client, login_as, session, nina, case, "el"))
    status = greek.get("%(actor)s changed the status to %(status)s.").string
    assert status % {"actor": "Nina", "status": greek.get("waiting on customer").string} in text
    assigned = greek.get("%(actor)s assigned the case to %(member)s.").string
    assert assigned % {"actor": "Nina", "member": "עומר"} in text
    assert "changed the status" not in text and "internal note" not in text


def test_the_audit_filter_names_actions_in_the_readers_language(client, login_as, session, worked_case):
    _case, _nina = worked_case
    admin = make_user(session, "root", role="admin", locale="he")
    html = login_as(admin).get("/mod/audit").get_data(as_text=True)
    hebrew = catalogue("he")
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', html)
    shown = dict(options)
    assert shown["case_opened"] == hebrew.get("Private case opened").string
    assert shown["case_assigned"] == hebrew.get("Case assigned").string
    for value, label in options:
        if value in ACTION_LABELS:
            assert label != value and "_" not in label
    # and the log's sentences isolate each name
    assert "<bdi>Nina</bdi>" in html and "<bdi>עומר</bdi>" in html


def test_a_name_that_looks_like_markup_stays_text(client, login_as, session, worked_case):
    case, nina = worked_case
    nina.display_name = "<script>alert(1)</script>"
    session.commit()
    html = _case_page(client, login_as, session, nina, case, "en")
    assert "<script>alert(1)</script>" not in html
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>" in html
