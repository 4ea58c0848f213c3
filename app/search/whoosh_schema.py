"""What a Whoosh document holds and how its words are analysed (folded, stemmed), shared by reads and writes."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from whoosh.analysis import Filter, RegexTokenizer, StemFilter
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.highlight import HtmlFormatter

from app.search.documents import Document


class FoldFilter(Filter):
    """Case-fold and drop accents in any script: "faktura" finds "fakturą", "φορητος" finds "φορητός"."""

    EXTRA = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ß": "ss"})

    def __call__(self, tokens):
        for token in tokens:
            # "Wi-Fi" and "wifi", "e-mail" and "email" are the same word to a reader.
            text = unicodedata.normalize("NFKD", token.text.casefold().translate(self.EXTRA).replace("-", ""))
            token.text = "".join(ch for ch in text if not unicodedata.combining(ch))
            yield token


# Unicode words in any script, folded, then English stemming: it only changes words with English endings,
# so the other languages pass through unchanged.
WORDS = RegexTokenizer(r"\w+(?:[-.'’]\w+)*")
ANALYZER = WORDS | FoldFilter() | StemFilter(lang="en")
PLAIN = WORDS | FoldFilter()

SCHEMA = Schema(
    id=NUMERIC(int, bits=64, stored=True, unique=True, signed=False),
    title=TEXT(analyzer=ANALYZER, stored=True, field_boost=3.0, spelling=True),
    body=TEXT(analyzer=ANALYZER, stored=True, spelling=True),
    answers=TEXT(analyzer=ANALYZER),
    best_answer=TEXT(analyzer=ANALYZER, stored=True),
    tags=KEYWORD(lowercase=True, commas=False, scorable=True),
    board=ID(),
    language=ID(),  # the post's language code (en, el, pl, sq, he)
    author=ID(),
    solved=BOOLEAN(stored=True),
    answered=BOOLEAN(),
    created=DATETIME(sortable=True),
    activity=DATETIME(sortable=True),
)


class SnippetFormatter(HtmlFormatter):
    """Fragments cut on word boundaries, with an ellipsis where the text goes on before or after them
    (Whoosh's context fragments start and end mid-word, "ery drains" for "battery drains")."""

    def format(self, fragments, replace: bool = False) -> str:
        fragments = list(fragments)
        if not fragments:
            return ""
        trimmed = [_whole_words(fragment) for fragment in fragments]
        text = fragments[0].text
        lead = "… " if trimmed[0].startchar > 0 else ""
        tail = " …" if trimmed[-1].endchar < len(text.rstrip()) else ""
        return lead + self.between.join(self.format_fragment(f, replace=replace) for f in trimmed) + tail


def _whole_words(fragment):
    """The fragment moved inwards to the nearest word boundaries, never past its first or last match."""
    from whoosh.highlight import Fragment

    text, start, end = fragment.text, fragment.startchar, fragment.endchar
    starts = [t.startchar for t in fragment.matches if t.startchar is not None]
    ends = [t.endchar for t in fragment.matches if t.endchar is not None]
    first, last = (min(starts) if starts else end), (max(ends) if ends else start)
    if start > 0 and not text[start - 1].isspace():
        while start < first and not text[start].isspace():
            start += 1
    while start < first and text[start].isspace():
        start += 1
    if end < len(text) and not text[end].isspace():
        while end > last and not text[end - 1].isspace():
            end -= 1
    while end > last and text[end - 1].isspace():
        end -= 1
    return Fragment(text, fragment.matches, startchar=start, endchar=end)


FORMATTER = SnippetFormatter(tagname="mark", classname="", termclass="", between=" … ")


def naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def fields(doc: Document) -> dict:
    return {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "answers": doc.answers,
        "best_answer": doc.best_answer,
        "tags": " ".join(doc.tags),
        "board": doc.board,
        "language": doc.language,
        "author": doc.author.lower(),
        "solved": doc.solved,
        "answered": doc.answered,
        "created": naive_utc(doc.created_at),
        "activity": naive_utc(doc.last_activity_at),
    }


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
