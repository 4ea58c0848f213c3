"""Markdown rendering and sanitising: what users write can never become script."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app import content

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "![x](javascript:alert(1))",
    '<a href="&#106;avascript:alert(1)">x</a>',
    "<object data=evil.swf></object>",
    '"><script>alert(1)</script>',
]


class _Elements(HTMLParser):
    """Collects the real elements and attributes of an HTML fragment (text stays text)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_payload_survives_as_markup(payload: str) -> None:
    elements = _Elements(content.render(payload)).elements
    for tag, attrs in elements:
        assert tag in content.ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), name
            assert name != "style"
            if name in ("href", "src"):
                assert (value and value.split(":")[0].lower() in ("http", "https", "mailto")) or value.startswith("/")


def test_markdown_renders_the_common_constructs() -> None:
    html = content.render("# Title\n\n**bold** _em_ `code`\n\n- one\n- two\n\n```python\nx = 1\n```\n")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html and "<code>code</code>" in html
    assert "<li>one</li>" in html
    assert '<code class="language-python">' in html


def test_links_get_nofollow_ugc_noopener() -> None:
    html = content.render("[docs](https://example.com/help) and https://example.org/x")
    assert html.count('rel="nofollow ugc noopener"') == 2
    assert 'href="https://example.com/help"' in html


def test_raw_html_is_shown_as_text_not_dropped() -> None:
    html = content.render("Press <kbd>Fn</kbd> + F2")
    assert "&lt;kbd&gt;Fn&lt;/kbd&gt;" in html


def test_only_this_sites_uploads_are_shown_as_images() -> None:
    remote = content.render("![tracker](https://evil.example/pixel.png)")
    assert "src=" not in remote and '<a href="https://evil.example/pixel.png"' in remote and ">tracker</a>" in remote
    # Other addresses on this site are links too: an image must be an upload, which follows its post's visibility.
    assert "src=" not in content.render("![logo](/static/img/logo.svg)")
    assert 'src="/attachments/12/shot.png"' in content.render("![shot](/attachments/12/shot.png)")
    assert "src=" not in content.render('![x](/attachments/12/../../logout "t")')


def test_sanitize_is_the_allow_list() -> None:
    assert content.sanitize('<p onclick="x()">hi</p><b>b</b>') == "<p>hi</p>b"


def test_plain_text_strips_markup_and_unescapes() -> None:
    assert content.plain_text("**Fish & chips** <b>") == "Fish & chips <b>"
    assert content.plain_text("word " * 50, limit=20).endswith("…")


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Wi-Fi drops every hour — Hub 3!", "wi-fi-drops-every-hour-hub-3"),
        ("Ο φορητός μου δεν φορτίζει", "ο-φορητος-μου-δεν-φορτιζει"),
        ("Zażółć gęślą jaźń", "zazołc-gesla-jazn"),
        ("!!!", "question"),
    ],
)
def test_slugify(title: str, slug: str) -> None:
    assert content.slugify(title) == slug


@pytest.mark.parametrize(("raw", "tag"), [("Wi Fi", "wi-fi"), (" Nimbus_Hub_3 ", "nimbus-hub-3"), ("Café", "cafe")])
def test_normalize_tag(raw: str, tag: str) -> None:
    assert content.normalize_tag(raw) == tag


def test_search_snippets_keep_only_their_marks():
    shown = content.marks_only(
        'a &lt;b&gt; <mark class="x">bat</mark> <script>alert(1)</script> <img src=x onerror=y> &amp; <MARK>z</Mark>'
    )
    assert shown == (
        "a &lt;b&gt; <mark>bat</mark> &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=y&gt; &amp; "
        "<mark>z</mark>"
    )
    assert content.marks_only("&lt;mark onclick=x&gt;") == "&lt;mark onclick=x&gt;"  # typed text stays text
