"""Loads the demo community from app/demo/data.py through the same services a member uses."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import passwords
from app.accounts import service as accounts
from app.accounts.models import User
from app.auth.roles import Role
from app.db import utcnow
from app.demo import archive, timeline
from app.demo.data import BOARDS, DEMO_PASSWORD, QUESTIONS, USERS
from app.forum import service as forum
from app.forum.models import Answer, Board, Question
from app.moderation import service as moderation
from app.reputation import service as reputation


def is_seeded(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Board)))


def seed(session: Session) -> dict[str, int]:
    for board in BOARDS:
        session.add(Board(**board))
    users = {}
    shared_hash = passwords.hash_password(DEMO_PASSWORD)  # every demo account has this password
    for spec in USERS:
        user = accounts.register(
            session,
            accounts.Registration(spec["username"], spec["email"], DEMO_PASSWORD, spec["locale"]),
            role=spec["role"],
            password_hash=shared_hash,
        )
        user.display_name, user.bio = spec["display_name"], spec["bio"]
        user.email_verified_at = utcnow()  # demo addresses count as confirmed, so their notifications are mailed
        users[spec["username"]] = user
    session.flush()

    now = utcnow()
    answer_count = 0
    for spec in QUESTIONS:
        # Most members of every locale write in English; the questions marked `native` (and their answers) are
        # written in their authors' own languages, so those posts take the author's locale as their language.
        native = spec.get("native", False)
        language = users[spec["author"]].locale if native else "en"
        draft = forum.QuestionDraft(spec["board"], spec["title"], spec["body"], tuple(spec["tags"]), language)
        question = forum.ask_question(session, users[spec["author"]], draft)
        asked = now - timedelta(hours=timeline.spread(spec["hours_ago"]))
        timeline.backdate(session, question, asked)
        for answer_spec in spec["answers"]:
            answerer = users[answer_spec["author"]]
            answer_draft = forum.AnswerDraft(answer_spec["body"], answerer.locale if native else "en")
            answer = forum.post_answer(session, answerer, question.id, answer_draft)
            timeline.backdate(session, answer, min(asked + timedelta(minutes=answer_spec["minutes_after"]), now))
            answer_count += 1
        _recognise(session, users, spec, question)
        timeline.settle_question_times(session, question)
    users.update({user.username: user for user in archive.register_regulars(session, shared_hash)})
    older = archive.seed_archive(session, users)
    timeline.backdate_points(session)
    _backdate_members(session)
    _flag_a_few(session, users)
    _open_a_case(session, users)
    return {
        "boards": len(BOARDS),
        "members": len(users),
        "questions": len(QUESTIONS) + older["questions"],
        "answers": answer_count + older["answers"],
    }


def _recognise(session: Session, users: dict[str, User], spec: dict, question: Question) -> None:
    """Kudos and accepted solutions, decided by the data's order so every seed is the same."""
    answers = list(session.scalars(select(Answer).where(Answer.question_id == question.id).order_by(Answer.id)))
    members = [u for u in users.values() if u.role == Role.MEMBER]
    for index, answer in enumerate(answers):
        fans = [m for m in members if m.id not in (answer.author_id, question.author_id)]
        for fan in fans[: (answer.id * 7 + index) % 4]:
            reputation.give_kudo(session, fan, "answer", answer.id)
    helpful = [a for a in answers if a.author_id != question.author_id]
    if helpful and question.id % 3 != 0:  # about two in three answered questions are solved
        asker = users[spec["author"]]
        reputation.accept_answer(session, asker, question.id, helpful[question.id % len(helpful)].id)


def _backdate_members(session: Session) -> None:
    """Members joined a while before their first post; solutions were accepted an hour after the answer."""
    for user in session.scalars(select(User)):
        first = session.scalar(select(func.min(Question.created_at)).where(Question.author_id == user.id))
        answered = session.scalar(select(func.min(Answer.created_at)).where(Answer.author_id == user.id))
        earliest = min([t for t in (first, answered) if t is not None], default=utcnow())
        user.created_at = earliest - timedelta(days=30 + user.id)
    for answer in session.scalars(select(Answer).where(Answer.is_accepted.is_(True))):
        answer.accepted_at = answer.created_at + timedelta(hours=1)


def _flag_a_few(session: Session, users: dict[str, User]) -> None:
    """Give the moderators something in their queue."""
    members = [u for u in users.values() if u.role == Role.MEMBER]
    answers = list(session.scalars(select(Answer).order_by(Answer.id).limit(12)))
    eligible = {m.id for m in members[2:]}  # members' answers, not by the two reporters
    targets = [a for a in answers if a.author_id in eligible][:2]
    for answer, (reporter, reason, note) in zip(
        targets,
        [(members[0], "off_topic", "This is about a different model."), (members[1], "spam", "")],
        strict=False,
    ):
        if reporter.id != answer.author_id:
            moderation.flag_post(session, reporter, "answer", answer.id, reason, note)


def _open_a_case(session: Session, users: dict[str, User]) -> None:
    """A billing question taken private, so the staff inbox and "My cases" have something to show."""
    from app.escalation import service as escalation

    moderator = next(u for u in users.values() if u.role == Role.MODERATOR)
    staff = next(u for u in users.values() if u.role == Role.STAFF)
    billing = session.scalars(
        select(Question)
        .join(Board, Board.id == Question.board_id)
        .where(Board.slug == "billing-accounts")
        .order_by(Question.id)
    ).first()
    if billing is None:
        return
    case = escalation.escalate(
        session,
        moderator,
        billing.id,
        escalation.EscalationDraft(
            "billing", "high", "Our billing team has taken this to a private conversation with the member."
        ),
    )
    escalation.post_message(
        session,
        staff,
        case.id,
        "Hello! I can see your account. Could you confirm the last four digits of the card used?",
    )
    escalation.post_message(
        session, staff, case.id, "Member has posted about billing before; be thorough.", internal=True
    )


def logins_text(session: Session) -> str:
    rows = session.execute(select(User.username, User.role).order_by(User.id)).all()
    demo_names = {spec["username"] for spec in USERS}
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for username, role in rows:
        if username in demo_names:
            lines.append(f"  {role:<10} {username}")
    return "\n".join(lines)
