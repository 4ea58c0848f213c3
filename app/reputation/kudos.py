"""Kudos: giving and withdrawing them, with the points they earn under the daily caps."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.auth.permissions import require
from app.auth.visibility import access_post
from app.db import utcnow
from app.errors import Conflict
from app.forum.models import Answer, Question
from app.notifications import service as notifications
from app.reputation import badges, rules
from app.reputation.ledger import Post, points_today, post_ref, record, reverse_key, start_of_day
from app.reputation.models import Kudo


def _kudo_of(session: Session, giver_id: int, post: Post) -> Kudo | None:
    column = Kudo.answer_id if isinstance(post, Answer) else Kudo.question_id
    return session.scalar(select(Kudo).where(Kudo.giver_id == giver_id, column == post.id))


def _points_for(session: Session, giver: User, post: Post, now) -> int:
    """What this kudo earns: nothing past the same-pair limit (serial voting), and never past the daily cap."""
    points = rules.POINTS.kudo_on_answer if isinstance(post, Answer) else rules.POINTS.kudo_on_question
    same_pair_today = (
        session.scalar(
            select(func.count())
            .select_from(Kudo)
            .where(Kudo.giver_id == giver.id, Kudo.receiver_id == post.author_id, Kudo.created_at >= start_of_day(now))
        )
        or 0
    )
    if same_pair_today > rules.POINTS.same_pair_kudos_per_day:
        points = 0  # the kudo shows, the points don't
    _count, received_today = points_today(session, post.author_id, "kudo_received")
    return max(0, min(points, rules.POINTS.kudo_points_per_day - received_today))


def give_kudo(session: Session, giver: User, kind: str, post_id: int) -> Post:
    # Loaded as the giver sees it (NotFound otherwise); the policy's "kudo" rule then wants a public post.
    post = access_post(session, giver, kind, post_id)
    require(giver, "kudo", post, _("You can't give kudos to your own post."))
    if _kudo_of(session, giver.id, post) is not None:
        raise Conflict(_("You already gave kudos to this post."))
    now = utcnow()
    kudo = Kudo(
        giver_id=giver.id, receiver_id=post.author_id, token=secrets.token_hex(16), created_at=now, **post_ref(post)
    )
    session.add(kudo)
    post.kudos_count = type(post).kudos_count + 1
    session.flush()
    session.refresh(post, ["kudos_count"])
    points = _points_for(session, giver, post, now)
    record(session, post.author_id, points, "kudo_received", f"kudo:{kudo.token}", actor_id=giver.id, **post_ref(post))

    question = post.question if isinstance(post, Answer) else post
    anchor = f"#answer-{post.id}" if isinstance(post, Answer) else ""
    notifications.notify(
        session,
        post.author_id,
        "kudo",
        {"actor": giver.name, "title": question.title},
        f"/questions/{question.id}/{question.slug}{anchor}",
        actor_id=giver.id,
        group_key=f"kudos:{kind}:{post.id}",
    )
    if isinstance(post, Answer):
        if post.kudos_count >= rules.POPULAR_ANSWER_KUDOS:
            badges.award(session, post.author_id, "popular-answer")
        badges.check_fast_responder(session, post.author_id)
    return post


def withdraw_kudo(session: Session, giver: User, kind: str, post_id: int) -> Post:
    # A hidden post's points are already cancelled; withdrawing from it would take them away twice.
    post = access_post(session, giver, kind, post_id, "withdraw_kudo")
    kudo = _kudo_of(session, giver.id, post)
    if kudo is None:
        raise Conflict(_("You haven't given kudos to this post."))
    reverse_key(session, f"kudo:{kudo.token}", "kudo_withdrawn", actor_id=giver.id, **post_ref(post))
    session.execute(delete(Kudo).where(Kudo.id == kudo.id))
    post.kudos_count = type(post).kudos_count - 1
    session.flush()
    session.refresh(post, ["kudos_count"])
    return post


def kudoed_post_ids(session: Session, user: User | None, question: Question, answers: list[Answer]) -> set[str]:
    """Which posts of this page the member already gave kudos to, as {'question:1', 'answer:7'}."""
    if user is None or not user.is_authenticated:
        return set()
    answer_ids = [a.id for a in answers]
    rows = session.execute(
        select(Kudo.question_id, Kudo.answer_id).where(
            Kudo.giver_id == user.id,
            or_(Kudo.question_id == question.id, Kudo.answer_id.in_(answer_ids) if answer_ids else False),
        )
    )
    return {f"question:{q}" if q else f"answer:{a}" for q, a in rows}
