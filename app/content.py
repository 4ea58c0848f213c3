"""User text to safe HTML: Markdown (CommonMark) rendered, then sanitised; the only module that imports bleach."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

# Bump when the rendering changes; stored posts with an older version can be re-rendered.
RENDER_VERSION = 2  # 2: images only from this site's uploads, other image syntax becomes a link

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "blockquote",
        "pre",
        "code",
        "em",
        "strong",
        "del",
        "s",
        "a",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "img",
        "mark",  # search highlights
    }
)
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel"],
    "img": ["src", "alt", "title"],
    "code": ["class"],
    "ol": ["start"],
    "th": ["align"],
    "td": ["align"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"
_CODE_CLASS = re.compile(r"^language-[A-Za-z0-9_+-]{1,30}$")
# This site's uploads (app/attachments): the only images a post shows. A remote image would leak readers'
# addresses to its host, and the Content-Security-Policy would block it anyway.
UPLOAD_SRC = re.compile(r"^/attachments/\d{1,12}/[^/?#\s]+$")


def _attribute_filter(tag: str, name: str, value: str) -> bool:
    if tag == "code" and name == "class":
        return bool(_CODE_CLASS.match(value))
    if tag == "img" and name == "src":
        return bool(UPLOAD_SRC.match(value))
    return name in ALLOWED_ATTRIBUTES.get(tag, ())


def _set_rel(attrs: dict, new: bool = False) -> dict:
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


def _image(renderer, tokens, idx, options, env) -> str:
    """`![alt](src)`: an image when src is one of this site's uploads, else a link to it with the alt text."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    if UPLOAD_SRC.match(src):
        return renderer.image(tokens, idx, options, env)
    text = renderer.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{html.escape(src)}">{html.escape(text)}</a>'


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Raw HTML in the source is shown as text, not passed through: users write Markdown.
    md = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(["table", "strikethrough", "linkify"])
    md.add_render_rule("image", _image)
    return md


@lru_cache(maxsize=1)
def _cleaner() -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_attribute_filter,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[lambda source: LinkifyFilter(source, callbacks=[_set_rel], parse_email=False)],
    )


def sanitize(html: str) -> str:
    """Allow-listed HTML from any HTML: the one sanitising function in the app."""
    return _cleaner().clean(html)


_MARK_TAG = re.compile(r"(</?mark\b[^>]*>)", re.IGNORECASE)


def marks_only(text: str) -> str:
    """Escaped text with <mark> highlights (search snippets) made safe: every mark tag is rewritten bare and everything
    else is escaped again, so nothing but <mark> can be markup. sanitize() parsed the 60 snippets of a results page
    with html5lib, a fifth of a search's time, for text that holds no other tag."""
    parts = _MARK_TAG.split(text)
    return "".join(
        ("</mark>" if part[1] == "/" else "<mark>") if index % 2 else html.escape(html.unescape(part), quote=False)
        for index, part in enumerate(parts)
    )


def render(source: str) -> str:
    """Markdown source to sanitised HTML, ready to store in a `*_html` column."""
    return sanitize(_markdown().render(source))


def plain_text(source: str, limit: int | None = None) -> str:
    """The readable text of a Markdown source (for excerpts and search), without markup."""
    text = html.unescape(bleach.clean(_markdown().render(source), tags=set(), strip=True))
    text = re.sub(r"\s+", " ", text).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return text


def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug: accents folded, any script kept, lower-case words joined by dashes."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = re.findall(r"\w+", folded.lower())
    slug = "-".join(words)[:max_length].strip("-")
    return slug or "question"


TAG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def normalize_tag(raw: str) -> str:
    """'Wi Fi' -> 'wi-fi', '  Nimbus_Hub_3 ' -> 'nimbus-hub-3'; validation happens elsewhere."""
    folded = unicodedata.normalize("NFKD", raw.strip().lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[\s_]+", "-", folded).strip("-")
