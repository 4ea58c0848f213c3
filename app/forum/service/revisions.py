"""Every version of a post: record a new one (with its screening flags and search update), list them, diff them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app import content
from app.accounts.models import User
from app.forum.models import Answer, Question, Revision
from app.forum.service.drafts import Checked
from app.search import outbox as search_outbox


def record_revision(
    session: Session,
    editor: User,
    post: Question | Answer,
    checked: Checked,
    at: datetime,
    tags: tuple[str, ...] = (),
    first: bool = False,
    summary: str = "",
    restored_from: int | None = None,
) -> Revision:
    """`post` now reads as `checked`: keep that version, flag what the listening rules found in it, and have
    search re-index its thread. The post must have an id (flushed); `first` for a new post saves a query."""
    key = {"question_id": post.id} if isinstance(post, Question) else {"answer_id": post.id}
    revision = Revision(
        **key,
        number=1 if first else _next_revision_number(session, **key),
        editor_id=editor.id,
        title=checked.title,
        tags=" ".join(tags) if isinstance(post, Question) else None,
        body_source=checked.body,
        created_at=at,
        summary=summary.strip() or None,
        restored_from=restored_from,
    )
    session.add(revision)
    checked.raise_flags(session, **key)
    search_outbox.enqueue(session, post.id if isinstance(post, Question) else post.question_id)
    return revision


def _next_revision_number(session: Session, **post: int) -> int:
    column = Revision.question_id if "question_id" in post else Revision.answer_id
    latest = session.scalar(select(func.max(Revision.number)).where(column == next(iter(post.values()))))
    return (latest or 0) + 1


def revisions_of(session: Session, question: Question | None = None, answer: Answer | None = None) -> list[Revision]:
    """Every version of a post, newest first, with its editor."""
    query = select(Revision).options(joinedload(Revision.editor)).order_by(Revision.number.desc())
    if question is not None:
        query = query.where(Revision.question_id == question.id)
    else:
        assert answer is not None
        query = query.where(Revision.answer_id == answer.id)
    return list(session.scalars(query))


@dataclass(frozen=True)
class RevisionChange:
    """One version of a post and what it changed against the version before it."""

    revision: Revision
    title_before: str | None
    tags_before: str | None
    body_diff: list[tuple[str, str]]  # ("same" | "add" | "del", words)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """What changed between two texts, word by word: runs of ("same" | "add" | "del", words)."""
    old, new = before.split(), after.split()
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            runs.append(("same", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("del", " ".join(old[i1:i2])))
        if j2 > j1:
            runs.append(("add", " ".join(new[j1:j2])))
    return runs


def history(revisions: list[Revision]) -> list[RevisionChange]:
    """Newest first, each version with the word diff of its readable text (the rendered Markdown, not its
    source) from its predecessor; the first is all added."""
    changes = []
    oldest_first = list(reversed(revisions))
    texts = [content.plain_text(revision.body_source) for revision in oldest_first]
    for index, revision in enumerate(oldest_first):
        before = oldest_first[index - 1] if index else None
        diff = word_diff(texts[index - 1] if index else "", texts[index])
        changes.append(
            RevisionChange(
                revision=revision,
                title_before=before.title if before and before.title != revision.title else None,
                tags_before=before.tags if before and before.tags != revision.tags else None,
                body_diff=diff,
            )
        )
    return list(reversed(changes))
