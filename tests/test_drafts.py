"""Drafts kept on the server: saved by the editor's script or by Preview, restored on return, gone on posting or
discarding, and never kept for a question the member may not read."""

from __future__ import annotations

from sqlalchemy import select

from app.forum.models import PostDraft
from app.moderation.service.flags import hide_post
from tests.factories import make_board, make_question, make_user


def _drafts(session):
    return session.scalars(select(PostDraft).order_by(PostDraft.id)).all()


def test_an_ask_draft_is_kept_restored_and_deleted_on_posting(client, login_as, session):
    make_board(session, "laptops")
    member = make_user(session, "writer")
    login_as(member)
    saved = client.form_post(
        "/drafts", {"title": "Fan is loud <script>x</script>", "body": "Half a sente", "board": "laptops"}
    )
    assert saved.status_code == 200 and saved.get_json() == {"saved": True}
    page = client.get("/ask").get_data(as_text=True)
    assert "Half a sente" in page and "Fan is loud &lt;script&gt;x&lt;/script&gt;" in page
    assert "Discard the draft" in page
    client.form_post(
        "/ask",
        {
            "board": "laptops",
            "title": "Fan is loud after the update",
            "body": "Half a sentence, now whole.",
            "tags": "",
            "language": "en",
            "public_confirmed": "1",
        },
    )
    assert _drafts(session) == []
    assert "Half a sente" not in client.get("/ask").get_data(as_text=True)


def test_preview_without_javascript_keeps_an_answer_draft(client, login_as, session):
    board = make_board(session, "laptops")
    asker, helper = make_user(session, "asker"), make_user(session, "helper")
    question = make_question(session, asker, board)
    login_as(helper)
    response = client.form_post(
        f"/questions/{question.id}/answers", {"body": "Try the other charger first.", "language": "en", "preview": "1"}
    )
    assert response.status_code == 200
    [draft] = _drafts(session)
    assert (draft.user_id, draft.question_id, draft.body) == (helper.id, question.id, "Try the other charger first.")
    page = client.get(f"/questions/{question.id}/{question.slug}").get_data(as_text=True)
    assert "Try the other charger first.</textarea>" in page
    # Another member sees an empty answer box.
    login_as(asker)
    assert "Try the other charger first." not in client.get(f"/questions/{question.id}/{question.slug}").get_data(
        as_text=True
    )
    login_as(helper)
    client.form_post(f"/questions/{question.id}/answers", {"body": "Try the other charger first.", "language": "en"})
    assert _drafts(session) == []


def test_discarding_and_emptying_delete_the_draft(client, login_as, session):
    login_as(make_user(session, "writer"))
    client.form_post("/drafts", {"body": "Something"})
    assert len(_drafts(session)) == 1
    response = client.form_post("/drafts/discard", {"question_id": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith("/ask")
    assert _drafts(session) == []
    client.form_post("/drafts", {"body": "Again"})
    client.form_post("/drafts", {"body": "  "})
    assert _drafts(session) == []


def test_bad_draft_requests_are_refused(client, login_as, session):
    board = make_board(session, "laptops")
    asker, mod = make_user(session, "asker"), make_user(session, "mod", role="moderator")
    hidden = make_question(session, asker, board)
    hide_post(session, mod, "question", hidden.id, "spam")
    session.commit()
    login_as(make_user(session, "writer"))
    assert client.post("/drafts", data={"body": "no token"}).status_code == 400
    assert client.form_post("/drafts", {"body": "x", "question_id": "99999999999"}).status_code == 404
    assert client.form_post("/drafts", {"body": "x", "question_id": "abc"}).status_code == 404
    assert client.form_post("/drafts", {"body": "x", "question_id": str(hidden.id)}).status_code == 404
    assert client.form_post("/drafts", {"body": "x" * 20_001}).status_code == 400
    assert _drafts(session) == []
