"""The tags page: counts of public questions per tag, descriptions that moderators write (audited), shown on
the tag's question list; members can't write them, and what is written is shown as text."""

from __future__ import annotations

from sqlalchemy import select

from app.escalation import service as escalation
from app.forum.models import Tag
from app.moderation.models import ModerationAction
from tests.factories import make_board, make_question, make_user


def test_the_tags_page_counts_public_questions_and_moderators_describe_tags(client, session, login_as):
    board = make_board(session, "laptops", "Laptops")
    asker, moderator = make_user(session, "asker"), make_user(session, "mod", role="moderator")
    make_question(session, asker, board, title="Battery drains overnight while asleep", tags=("battery", "sleep"))
    make_question(session, asker, board, title="Battery stops charging at 80 percent", tags=("battery",))
    secret = make_question(session, asker, board, title="Charged twice for the battery swap", tags=("refund",))
    escalation.escalate(session, moderator, secret.id, escalation.EscalationDraft("billing", withdraw=True))
    session.commit()
    page = client.get("/tags").get_data(as_text=True)
    text = page.replace("<bdi>", "").replace("</bdi>", "")  # counts are isolated from the sentence's direction
    assert page.index(">battery<") < page.index(">sleep<") and "2 questions" in text and "1 question" in text
    assert ">refund<" not in page  # only on a withdrawn question: the tag says nothing about it
    assert "Edit the description" not in page

    login_as(asker)
    response = client.form_post("/tags/battery/description", {"description": "Charging and battery life."})
    assert response.status_code == 403
    login_as(moderator)
    text = "Charging, battery life and <script>alert(1)</script> health reports."
    response = client.form_post("/tags/battery/description", {"description": text})
    assert response.status_code == 302 and response.headers["Location"].endswith("/tags#tag-battery")
    assert session.scalar(select(Tag.description).where(Tag.name == "battery")) == text
    for url in ("/tags", "/questions?tag=battery"):
        shown = client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt; health reports." in shown and "<script>alert(1)" not in shown
    assert session.scalar(select(ModerationAction.action).where(ModerationAction.action == "tag_described"))
    assert client.form_post("/tags/battery/description", {"description": "x" * 301}).status_code == 422
    assert client.form_post("/tags/no-such-tag/description", {"description": "Nothing."}).status_code == 404
    assert client.form_post("/tags/battery/description", {"description": ""}).status_code == 302
    assert session.scalar(select(Tag.description).where(Tag.name == "battery")) is None


def test_following_a_tag_brings_news_of_new_questions_with_it(client, session, login_as):
    from app.notifications.models import Notification, Subscription

    board = make_board(session, "laptops", "Laptops")
    asker, fan = make_user(session, "asker"), make_user(session, "fan")
    make_question(session, asker, board, title="Battery drains overnight while asleep", tags=("battery",))
    tag_id = session.scalar(select(Tag.id).where(Tag.name == "battery"))
    login_as(fan)
    page = client.get("/questions?tag=battery").get_data(as_text=True)
    assert f'action="/tags/{tag_id}/follow"' in page and "Follow this tag" in page
    response = client.form_post(f"/tags/{tag_id}/follow", {"next": "/questions?tag=battery"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/questions?tag=battery")
    assert "Unfollow this tag" in client.get("/questions?tag=battery").get_data(as_text=True)
    assert client.form_post("/tags/999999/follow").status_code == 404
    make_question(session, asker, board, title="Battery swelled after two years of use", tags=("battery", "safety"))
    make_question(session, asker, board, title="Fan runs loud after the update", tags=("fan",))
    news = session.scalars(select(Notification.text).where(Notification.user_id == fan.id)).all()
    assert news == ["New question in Laptops: “Battery swelled after two years of use”."]
    assert client.form_post(f"/tags/{tag_id}/unfollow").status_code == 302
    assert session.scalar(select(Subscription).where(Subscription.user_id == fan.id)) is None
