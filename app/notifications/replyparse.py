"""What a member wrote in an e-mail reply, without the quoted history and signature their mail client added.

Quote headers are matched as Gmail, Outlook, Apple Mail and Thunderbird write them in English, Greek, Polish,
Albanian and Hebrew ("On ... wrote:", "Στις ... έγραψε:", "W dniu ... napisał:", "Më ... shkroi:",
"בתאריך ... כתב:"), also when the client wrapped them over two lines; everything from there on is history.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
QUOTE_HEADERS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^(on|am|le)\s.{4,250}\s(wrote|schrieb|a écrit)\s*:$",
        r"^στις\s.{4,250}\sέγραψε\s*:$",
        r"^(w dniu|dnia)\s.{4,250}\s(napisał|napisała|napisał\(a\)|pisze)\s*:$",
        r"^(më|me)\s.{4,250}\sshkroi\s*:$",
        r"^(ב-?\d|בתאריך\s).{4,250}\s(כתב|כתבה|כתב/ה|כתב\(ה\))\s*:$",
        r"^בתאריך\s.{4,250}\sמאת\s.{1,200}:$",  # Gmail in Hebrew: "בתאריך <date> מאת <name> <address>:"
        # Gmail in Polish starts with the date ("wt., 1 gru 2026 o 15:04 Jan <jan@...> napisał(a):"); any line
        # with a date or time and an address or a comma in it that ends like a quote header is one.
        r"^(?=.*\d)(?=.*[<@,]).{4,400}\s(wrote|έγραψε|napisał\(a\)|napisał|napisała|pisze|shkroi|כתב|כתבה|כתב/ה)\s*:$",
        r"^wiadomość napisana przez\s.{4,250}\sw dniu\s.{4,250}:$",  # Apple Mail in Polish
        r"^-+\s*(original message|αρχικό μήνυμα|wiadomość oryginalna|oryginalna wiadomość|mesazhi origjinal|"
        r"הודעה מקורית)\s*-+$",
    )
]
# Outlook's header block ("From: ... Sent: ... To: ... Subject: ...") in the five languages.
OUTLOOK_FROM = re.compile(r"^\*?(from|από|od|nga|מאת)\s*:\*?\s", re.IGNORECASE)
OUTLOOK_NEXT = re.compile(
    r"^\*?(sent|date|to|subject|στάλθηκε|ημερομηνία|προς|θέμα|wysłano|wysłane|data|do|temat|dërguar|"
    r"dërguar më|data|për|subjekti|tema|נשלח|תאריך|אל|נושא)\s*:",
    re.IGNORECASE,
)
OUTLOOK_RULE = re.compile(r"^_{10,}$")
SIGNATURE_RULE = re.compile(r"^--\s?$")
# "Sent from my iPhone" and its kin, as the last line(s) of a reply.
SENT_FROM = re.compile(
    r"^(sent from my |sent from outlook|get outlook for |στάλθηκε από |wysłano z |wysłane z |dërguar nga |"
    r"dërguar nga |נשלח מ)",
    re.IGNORECASE,
)


def _clean(line: str) -> str:
    return BIDI.sub("", line).strip()


def _starts_history(lines: list[str], index: int) -> bool:
    line = _clean(lines[index])
    if not line:
        return False
    following = _clean(lines[index + 1]) if index + 1 < len(lines) else ""
    candidates = (line, f"{line} {following}".strip())
    if any(pattern.match(candidate) for pattern in QUOTE_HEADERS for candidate in candidates):
        return True
    if OUTLOOK_RULE.match(line):
        return True
    if OUTLOOK_FROM.match(line):
        window = [_clean(text) for text in lines[index + 1 : index + 5]]
        return any(OUTLOOK_NEXT.match(text) for text in window)
    return False


def strip_reply(text: str) -> str:
    """The new text of a reply: cut at the first quote header, signature rule or Outlook header block; quoted
    ("> ") lines and a trailing "Sent from my phone" dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if SIGNATURE_RULE.match(line) or _starts_history(lines, index):
            break
        if _clean(line).startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and (not kept[-1].strip() or SENT_FROM.match(_clean(kept[-1]))):
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


class _Text(HTMLParser):
    """An HTML reply as text, leaving out quoted history (blockquote, Gmail's and Thunderbird's quote boxes,
    Outlook's reply header) and what is never shown (head, style, script)."""

    SKIP = frozenset({"blockquote", "style", "script", "head", "title"})
    QUOTE_CLASSES = frozenset({"gmail_quote", "gmail_attr", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote"})
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "table"})
    VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: does it hide its content?
        self.stopped = False

    def _hidden(self) -> bool:
        return self.stopped or any(self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if attributes.get("id") in ("divRplyFwdMsg", "appendonsend") or "OutlookMessageHeader" in classes:
            self.stopped = True  # Outlook: everything after its reply header is history
        if tag in self.BREAKS and not self._hidden():
            self.parts.append("\n")
        if tag in self.VOID:
            return
        self.stack.append(tag in self.SKIP or bool(classes & self.QUOTE_CLASSES))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self.stack:
            self.stack.pop()
        if tag in self.BREAKS and not self._hidden():
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
