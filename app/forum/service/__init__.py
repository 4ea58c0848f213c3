"""The forum's operations, one import for views and other domains: `from app.forum import service`."""

from app.forum.service.drafts import (
    AnswerDraft,
    QuestionDraft,
    parse_tags,
    private_help_keywords,
    screened_text,
)
from app.forum.service.keeping import DraftText, discard_draft, draft_for, keep_draft, slot_for
from app.forum.service.posting import ask_question, edit_answer, edit_question, post_answer, roll_back
from app.forum.service.reading import (
    Activity,
    Cursor,
    QuestionPage,
    access_answer,
    access_question,
    answers_for,
    get_board,
    list_boards,
    list_questions,
    pinned_questions,
    recent_activity,
)
from app.forum.service.revisions import RevisionChange, history, revisions_of
from app.forum.service.tags import get_tag, tags_with_counts

__all__ = [
    "Activity",
    "AnswerDraft",
    "Cursor",
    "DraftText",
    "QuestionDraft",
    "QuestionPage",
    "RevisionChange",
    "access_answer",
    "access_question",
    "answers_for",
    "ask_question",
    "discard_draft",
    "draft_for",
    "edit_answer",
    "edit_question",
    "get_board",
    "get_tag",
    "history",
    "keep_draft",
    "list_boards",
    "list_questions",
    "parse_tags",
    "pinned_questions",
    "post_answer",
    "private_help_keywords",
    "recent_activity",
    "revisions_of",
    "roll_back",
    "screened_text",
    "slot_for",
    "tags_with_counts",
]
