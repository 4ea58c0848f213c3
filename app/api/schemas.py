"""What the API takes and gives, as pydantic models: they validate requests and are the OpenAPI description's
schemas, so the description cannot drift from what the views do."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.forum.models import TITLE_MAX

BODY_MAX = 20000
Status = Literal["all", "solved", "unsolved", "unanswered"]


class Strict(BaseModel):
    """Request bodies: unknown fields are refused, so a typo is an error and not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_max_length=BODY_MAX)


# --- errors ------------------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable machine-readable code: bad_request, unauthorized, forbidden, ...")
    message: str = Field(description="What went wrong, in the reader's language")
    fields: dict[str, str] = Field(default_factory=dict, description="Field name → what is wrong with it")


class Error(BaseModel):
    error: ErrorDetail


# --- tokens ------------------------------------------------------------------------------------------


class TokenRequest(Strict):
    username: str = Field(max_length=254, description="Username or e-mail address")
    password: str = Field(max_length=1024)
    name: str = Field(max_length=80, description="What the token is for, e.g. 'help desk'")
    scopes: list[Literal["read", "write", "moderate", "staff"]] = Field(default=["read"], max_length=4)
    expires_in_days: int = Field(default=90, ge=1, le=365)


class Token(BaseModel):
    id: int
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime


class NewToken(Token):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown only this once")


class TokenList(BaseModel):
    tokens: list[Token]


# --- reading -----------------------------------------------------------------------------------------


class Board(BaseModel):
    slug: str
    name: str
    description: str
    question_count: int


class BoardList(BaseModel):
    boards: list[Board]


class Author(BaseModel):
    username: str | None = Field(description="None for a former member")
    name: str


class QuestionSummary(BaseModel):
    id: int
    title: str
    url: str
    board: str
    tags: list[str]
    language: str
    author: Author
    is_solved: bool
    is_locked: bool
    answer_count: int
    kudos_count: int
    created_at: datetime
    last_activity_at: datetime


class QuestionList(BaseModel):
    questions: list[QuestionSummary]
    next: str | None = Field(description="The next page's URL, or null on the last page")


class QuestionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    board: str | None = Field(default=None, max_length=60)
    tag: str | None = Field(default=None, max_length=40)
    status: Status = "all"
    language: Literal["en", "el", "pl", "sq", "he"] | None = Field(default=None, description="Posts written in it")
    sort: Literal["activity", "newest", "kudos", "unanswered"] = Field(
        default="activity", description="unanswered: the oldest unanswered question first"
    )
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=20, ge=1, le=100)


class Answer(BaseModel):
    id: int
    question_id: int
    author: Author
    body_markdown: str
    body_html: str
    language: str
    kudos_count: int
    is_accepted: bool
    is_staff: bool
    created_at: datetime
    edited_at: datetime | None


class QuestionDetail(QuestionSummary):
    body_markdown: str
    body_html: str
    edited_at: datetime | None
    accepted_answer_id: int | None
    answers: list[Answer]


class Badge(BaseModel):
    key: str
    name: str
    awarded_at: datetime


class Member(BaseModel):
    username: str
    name: str
    bio: str
    role: str
    points: int
    rank: str
    solution_count: int
    badges: list[Badge]
    joined_at: datetime


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=300)
    board: str | None = Field(default=None, max_length=60)
    status: Literal["", "solved", "unsolved", "unanswered"] = ""
    page: int = Field(default=1, ge=1, le=50)


class SearchHit(BaseModel):
    question: QuestionSummary
    snippet: str


class SearchResults(BaseModel):
    total: int
    total_capped: bool = Field(
        default=False, description="Matches were counted up to a cap: `total` or more questions match"
    )
    page: int
    results: list[SearchHit]


# --- writing -----------------------------------------------------------------------------------------


class Ask(Strict):
    board: str = Field(max_length=60)
    title: str = Field(max_length=TITLE_MAX)
    body: str = Field(description="Markdown")
    tags: list[str] = Field(default=[], max_length=5)
    language: str | None = Field(default=None, max_length=8)


class EditQuestion(Strict):
    board: str | None = Field(default=None, max_length=60)
    title: str | None = Field(default=None, max_length=TITLE_MAX)
    body: str | None = None
    tags: list[str] | None = Field(default=None, max_length=5)
    language: str | None = Field(default=None, max_length=8)


class Reply(Strict):
    body: str = Field(description="Markdown")
    language: str | None = Field(default=None, max_length=8)


class Kudos(BaseModel):
    kudos_count: int
    given: bool


class Accept(Strict):
    answer_id: int = Field(ge=1, le=2**31 - 1)


class Solution(BaseModel):
    question_id: int
    accepted_answer_id: int | None


class FlagRequest(Strict):
    reason: Literal["spam", "offensive", "off_topic", "private_data", "other"]
    note: str = Field(default="", max_length=500)


class Flagged(BaseModel):
    id: int
    status: str


# --- moderation and staff ----------------------------------------------------------------------------


class Escalate(Strict):
    category: Literal["billing", "account", "privacy", "other"]
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    public_note: str = Field(default="", max_length=500)
    answer_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class CaseSummary(BaseModel):
    id: int
    question_id: int
    category: str
    priority: str
    status: str
    customer: Author
    assignee: Author | None
    opened_at: datetime
    due_at: datetime
    is_overdue: bool


class CaseList(BaseModel):
    cases: list[CaseSummary]
    counts: dict[str, int]


class CaseQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(default=None, max_length=24)
    category: str | None = Field(default=None, max_length=16)
    priority: str | None = Field(default=None, max_length=16)
    assignee: str | None = Field(default=None, max_length=40, description="'me', 'none' or a username")
    overdue: bool = False


class CaseDetail(CaseSummary):
    public_note: str
    public_resolution: str | None
    first_staff_response_at: datetime | None
    resolved_at: datetime | None
    moves: list[str] = Field(description="Status changes this token's member may make now")


class CaseMessage(BaseModel):
    id: int
    author: Author
    body_markdown: str
    body_html: str
    internal: bool
    created_at: datetime


class CaseMessages(BaseModel):
    messages: list[CaseMessage]


class PostCaseMessage(Strict):
    body: str
    internal: bool = Field(default=False, description="An internal note, seen by staff only")


class CaseMove(Strict):
    action: str = Field(max_length=32, description="One of the case's `moves`")
    public_resolution: str = Field(default="", max_length=BODY_MAX)


class Assign(Strict):
    assignee: str | None = Field(default=None, max_length=40, description="A staff username, or null to unassign")
