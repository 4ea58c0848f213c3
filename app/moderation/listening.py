"""Finds private data (cards, IBANs, e-mail addresses, phone numbers) and billing/account topics in member text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.marks import N_


@dataclass(frozen=True)
class Match:
    """A span of the original text: [start, end) and the text found there."""

    kind: str  # "card", "iban", "email", "phone", or a custom rule's kind "keyword"/"regex"
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class CustomRule:
    """An admin-defined rule; keyword rules match like the built-in keywords, regex rules ignore case."""

    id: int
    pattern: str
    kind: str  # "keyword" or "regex"
    action: str  # "flag", "suggest_private" or "mask"



BUILTIN_DETECTORS: dict[str, str] = {
    "card": N_("Payment card numbers"),
    "iban": N_("IBANs"),
    "email": N_("E-mail addresses"),
    "phone": N_("Phone numbers"),
}
_ALL_DETECTORS = frozenset(BUILTIN_DETECTORS)
_RANK = {kind: i for i, kind in enumerate(BUILTIN_DETECTORS)}  # ties between detectors on the same span
_PLAIN_REPLACEMENTS = {"email": "[e-mail hidden]", "phone": "[phone number hidden]"}
_MAX_REGEX_LENGTH = 200


def _glued(text: str, end: int) -> bool:
    """True when a number ending at `end` goes on as a word, a decimal or a time, so it is not one we want."""
    nxt = text[end : end + 1]
    return nxt.isalnum() or (nxt in {".", ",", ":"} and text[end + 1 : end + 2].isdigit())


# --- Payment cards -----------------------------------------------------------------------------------------------

# Digits in groups split by single spaces or dashes. Not glued to a letter or digit, not after "+" (a phone), not
# the tail of a longer spaced number or of a decimal ("12.4111...").
_DIGIT_RUN = re.compile(r"(?<![^\W_])(?<![0-9][ -])(?<!\+)(?<![0-9][.,])[0-9]+(?:[ -][0-9]+)*")


def _luhn_ok(digits: str) -> bool:
    doubled = (int(c) * 2 if i % 2 else int(c) for i, c in enumerate(reversed(digits)))
    return sum(d - 9 if d > 9 else d for d in doubled) % 10 == 0


def _issuer_ok(digits: str) -> bool:
    """A real issuer prefix with that issuer's lengths: Luhn alone passes one random number in ten."""
    n, p2, p3, p4 = len(digits), int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:  # Mastercard
        return n == 16
    if p2 in (34, 37):  # American Express
        return n == 15
    if p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 3528 <= p4 <= 3589:  # Discover, JCB
        return 16 <= n <= 19
    if p2 in (36, 38) or 300 <= p3 <= 305:  # Diners Club
        return 14 <= n <= 19
    return False  # Maestro (50, 56-69) and the rest: too broad to tell from other long numbers


def _cards(text: str) -> list[Match]:
    found = []
    for run in _DIGIT_RUN.finditer(text):
        if _glued(text, run.end()):
            continue
        groups = [(run.start() + g.start(), g.group()) for g in re.finditer(r"[0-9]+", run.group())]
        # A card may be followed by its expiry or CVV in the same run ("4111 1111 1111 1111 123"), so try each
        # window of whole groups up to 19 digits, earliest then longest. An ungrouped run is one group: all or nothing.
        i = 0
        while i < len(groups):
            best, digits = 0, ""
            for j in range(i, len(groups)):
                digits += groups[j][1]
                if len(digits) > 19:
                    break
                if len(digits) >= 13 and _luhn_ok(digits) and _issuer_ok(digits):
                    best = j + 1
            if not best:
                i += 1
                continue
            start, end = groups[i][0], groups[best - 1][0] + len(groups[best - 1][1])
            found.append(Match("card", start, end, text[start:end]))
            i = best
    return found


# --- IBANs -------------------------------------------------------------------------------------------------------

# Country, check digits, then the account: unbroken, or in groups of four with a shorter last group.
_IBAN_RUN = re.compile(
    r"(?<![^\W_])[A-Za-z]{2}[0-9]{2}"
    r"(?:[A-Za-z0-9]{11,30}|(?: [A-Za-z0-9]{4}){2,7}(?: [A-Za-z0-9]{1,4})?)(?![^\W_])"
)
# ISO 13616 lengths of the countries we are sure of; any other country may have 15 to 34 characters.
_IBAN_LENGTHS = {
    item[:2]: int(item[2:])
    for item in """AD24 AL28 AT20 BA20 BE16 BG22 CH21 CY28 CZ24 DE22 DK18 EE20 ES24 FI18 FR27 GB22 GR27 HR21 HU28 IE22
    IL23 IS26 IT27 LI21 LT20 LU20 LV21 MC27 ME22 MK19 MT31 NL18 NO15 PL28 PT25 RO24 RS22 SE24 SI19 SK24 SM27
    TR26""".split()
}


def _iban_ok(compact: str) -> bool:
    iban = compact.upper()
    expected = _IBAN_LENGTHS.get(iban[:2])
    if not (len(iban) == expected if expected else 15 <= len(iban) <= 34):
        return False
    if not 2 <= int(iban[2:4]) <= 98:  # check digits 00, 01 and 99 are never issued
        return False
    return int("".join(str(int(char, 36)) for char in iban[4:] + iban[:4])) % 97 == 1


def _ibans(text: str) -> list[Match]:
    found = []
    for run in _IBAN_RUN.finditer(text):
        # The last group may be a short word after the IBAN ("... 2874 then"): drop groups until it checks out.
        parts = run.group().split(" ")
        for k in range(len(parts), 0, -1):
            if _iban_ok("".join(parts[:k])):
                end = run.start() + len(" ".join(parts[:k]))
                found.append(Match("iban", run.start(), end, text[run.start() : end]))
                break
    return found


# --- E-mail addresses --------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+/-])"  # not the middle of a word or of a path
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(?![A-Za-z0-9/-]|\.[A-Za-z0-9])"  # "_" and "*" may follow: Markdown emphasis
)


def _emails(text: str) -> list[Match]:
    found = []
    for m in _EMAIL.finditer(text):
        token_start = max(text.rfind(space, 0, m.start()) for space in " \t\n") + 1
        if "://" in text[token_start : m.start()]:  # user@host in a URL, or an address in its path
            continue
        start = m.start() + len(m.group()) - len(m.group().lstrip("_"))  # leading "_" is Markdown emphasis
        domain = m.group().rsplit("@", 1)[1]
        if re.match(r"[0-9]+x\.", domain):  # retina image names: logo@2x.png
            continue
        found.append(Match("email", start, m.end(), text[start : m.end()]))
    return found


# --- Phone numbers -----------------------------------------------------------------------------------------------

# A candidate: "+", "(" or a digit, then digits, parentheses and single separators. It must not follow a letter or
# digit, a reference sign, a path, a decimal point, a currency sign, or a digit and separator (a longer number).
_PHONE_RUN = re.compile(r"(?<![^\W_])(?<![+#/.,€$£¥-])(?<![0-9][ .-])[+(]?[0-9](?:[0-9()]|[ .-](?=[(0-9]))*")
# At most one pair of parentheses, around up to five digits (an area code or the "(0)" of "+44 (0)20").
_PHONE_SHAPE = re.compile(r"\+?[0-9 .-]*(?:\([0-9]{1,5}\)[0-9 .-]*)?")


def _is_phone(candidate: str) -> bool:
    if not _PHONE_SHAPE.fullmatch(candidate):
        return False
    groups = re.findall(r"[0-9]+", candidate)
    digits, sizes = "".join(groups), [len(g) for g in groups]
    separators = set(re.sub(r"[0-9+()]", "", candidate))
    if "." in separators and len(separators) > 1:  # "01.02.2026 10": a date and a time, not a number
        return False
    if sizes == [2] * 6:  # 00-11-22-33-44-55: a MAC address
        return False
    if sizes[:3] == [2, 2, 4] and groups[2][:2] in ("19", "20"):  # 01-02-2026 ...: a date
        return False
    if candidate.startswith("+"):
        return 8 <= len(digits) <= 15 and digits[0] != "0"
    if digits.startswith("00"):  # international prefix: 0044 7700 900123; unbroken, it may well be a reference
        return (8 if len(groups) > 1 else 10) <= len(digits) - 2 <= 15 and digits[2] != "0"
    if not digits.startswith("0") or not 9 <= len(digits) <= 11:
        # Without "+", "00" or a trunk 0 it could be anything: an order number, a year range, an IP address.
        return False
    if len(groups) == 1:
        return len(digits) >= 10
    if not 2 <= sizes[0] <= 5:
        return False
    if len(groups) == 2:  # 07700 900123, 030 12345678; "02134-1234" is a US ZIP+4 code
        return sizes[1] >= 6
    return all(2 <= size <= 4 for size in sizes[1:])  # 020 7946 0958, 052-123-4567, 01 23 45 67 89


def _phones(text: str) -> list[Match]:
    found = []
    for run in _PHONE_RUN.finditer(text):
        candidate = run.group()
        if candidate.count(")") > candidate.count("("):  # "(call 020 7946 0958)": the ")" closes the sentence
            candidate = candidate[: candidate.rindex(")")]
        end = run.start() + len(candidate)
        if not _glued(text, end) and _is_phone(candidate):
            found.append(Match("phone", run.start(), end, candidate))
    return found


# --- Keywords ----------------------------------------------------------------------------------------------------

# Matching is on folded text: NFKD, casefold, combining marks dropped, and the few letters that do not decompose
# folded by hand ("platnosc" is how many Poles type "płatność").
_EXTRA_FOLD = str.maketrans({"ł": "l", "đ": "d", "ø": "o"})


def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").translate(_EXTRA_FOLD)


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original character it came from."""
    pieces = [_fold_char(char) for char in text]
    return "".join(pieces), [i for i, piece in enumerate(pieces) for _ in piece]


def _fold(text: str) -> str:
    return _fold_with_map(text)[0]


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """Whole words only (so "billboard" is not "bill"); words may be split by spaces or hyphens."""
    alternatives = sorted({"[\\s-]+".join(map(re.escape, _fold(p).split())) for p in phrases}, key=len, reverse=True)
    alternatives = [a for a in alternatives if a]
    if not alternatives:
        return None
    # Hebrew writes "and", "the", "that" and "to" as prefixes: החשבונית, לתשלום. Not "ב" ("in"): בחיוב is "positively".
    prefix = "[והשל]{0,2}" if "\u0590" <= phrases[0].strip()[:1] <= "\u05ff" else ""
    return re.compile(rf"(?<!\w){prefix}(?:{'|'.join(alternatives)})(?!\w)")


# Each keyword, then the other forms of it that customers write (plurals, cases, spellings); all are folded.
# fmt: off
_KEYWORDS: dict[str, tuple[str, ...]] = {
    # English
    "refund": ("refunds", "refunding"), "refunded": (), "invoice": ("invoices", "invoiced"), "billing": (),
    "charged twice": ("charged me twice",), "double charged": ("double charge", "double charges"), "locked out": (),
    "bill": ("bills", "billed"), "payment": ("payments",), "direct debit": ("direct debits",), "password reset": (),
    "reset my password": ("resetting my password",),
    "cancel my contract": ("cancelling my contract", "canceling my contract"),
    "account locked": ("account is locked", "account got locked", "account has been locked"),
    "cancellation fee": ("cancellation fees", "cancelation fee", "cancelation fees"),
    # Greek
    "επιστροφή χρημάτων": ("επιστροφής χρημάτων", "επιστροφή των χρημάτων"),
    "τιμολόγιο": ("τιμολόγια", "τιμολογίου", "τιμολογίων"), "χρέωση": ("χρεώσεις", "χρέωσης", "χρεώσεων"),
    "χρεώθηκα δύο φορές": ("χρεώθηκα 2 φορές", "χρεώθηκα διπλά"), "πληρωμή": ("πληρωμής", "πληρωμές", "πληρωμών"),
    "επαναφορά κωδικού": ("επαναφοράς κωδικού", "επαναφορά του κωδικού"),
    "κλειδωμένος λογαριασμός": ("κλειδωμένο λογαριασμό", "λογαριασμός κλειδώθηκε", "λογαριασμός μου κλειδώθηκε"),
    # Polish
    "zwrot pieniędzy": ("zwrotu pieniędzy", "zwrot środków", "zwrotu środków"),
    "faktura": ("fakturę", "fakturą", "fakturze", "faktur", "fakturach"), "faktury": (),
    "podwójnie obciążony": ("podwójnie obciążona", "podwójnie obciążeni"),
    "obciążono dwa razy": ("obciążono mnie dwa razy", "obciążyli mnie dwa razy"),
    "płatność": ("płatności", "płatnością"), "reset hasła": ("resetu hasła", "resetowanie hasła", "zresetować hasło"),
    "konto zablokowane": ("zablokowane konto", "konto jest zablokowane", "konto zostało zablokowane"),
    # Albanian
    "rimbursim": ("rimbursimi", "rimbursimin", "rimbursimit"), "faturë": ("faturën", "faturës"),
    "fatura": ("faturat", "faturave"), "faturim": ("faturimi", "faturimin", "faturimit"),
    "pagesë": ("pagesa", "pagesën", "pagesës", "pagesat"), "më kanë tarifuar dy herë": ("më tarifuan dy herë",),
    "rivendosja e fjalëkalimit": ("rivendosje e fjalëkalimit", "rivendosjen e fjalëkalimit"),
    "llogaria e bllokuar": ("llogari e bllokuar", "llogaria është e bllokuar", "llogaria ime është bllokuar"),
    # Hebrew
    "החזר כספי": ("החזר כספים",), "חשבונית": ("חשבוניות",), "חויבתי פעמיים": ("חייבו אותי פעמיים",),
    "חיוב": ("חיובים",), "תשלום": ("תשלומים",), "איפוס סיסמה": ("איפוס סיסמא", "איפוס הסיסמה"),
    "החשבון נעול": ("החשבון שלי נעול", "חשבון נעול"),
}
# fmt: on
_KEYWORD_PATTERNS = [(_fold(word), _phrase_pattern((word, *forms))) for word, forms in _KEYWORDS.items()]


# --- Custom rules ------------------------------------------------------------------------------------------------

# A repeated group with an unbounded repeat inside, e.g. (a+)+, (.*)*, ((ab)+)+, (\w+\s?)+: backtracking through
# every way of splitting the input between the two loops takes exponential time. Crude on purpose: it also
# refuses some safe patterns like (ab+)+, which an admin can write another way.
_UNBOUNDED = r"(?:[+*]|\{[0-9]*,[0-9]*\})"
_BODY = r"(?:\\.|[^()\\])*"  # group content without nested groups; an escape like \+ is one unit
_NESTED_QUANTIFIER = re.compile(rf"(?<!\\){_UNBOUNDED}\??\)+{_UNBOUNDED}|\({_BODY}{_UNBOUNDED}{_BODY}\){_UNBOUNDED}")


def validate_regex(pattern: str) -> str | None:
    """None if an admin may save this pattern, else why not, in English."""
    if len(pattern) > _MAX_REGEX_LENGTH:
        return f"The pattern is too long: at most {_MAX_REGEX_LENGTH} characters."
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        return f"The pattern is not a valid regular expression: {exc.msg}{where}."
    if _NESTED_QUANTIFIER.search(pattern):
        return "The pattern repeats a group that itself repeats, like (a+)+; that can make matching extremely slow."
    # An empty match would fire on every post; a few probes also catch zero-width patterns such as \b or x?.
    if any(m.start() == m.end() for probe in ("", "a", "A b-1.") for m in compiled.finditer(probe)):
        return "The pattern matches empty text, so it would match every post."
    return None


def _custom_matches(rule: CustomRule, text: str, folded: str, origin: list[int]) -> list[Match]:
    if rule.kind == "keyword":
        pattern = _phrase_pattern((rule.pattern,))
        if pattern is None:
            return []
        found = []
        for m in pattern.finditer(folded):
            start, end = origin[m.start()], origin[m.end() - 1] + 1
            while end < len(text) and not _fold_char(text[end]):  # a combining accent on the last letter
                end += 1
            found.append(Match(rule.kind, start, end, text[start:end]))
        return found
    if rule.kind == "regex" and validate_regex(rule.pattern) is None:  # rules saved before validation existed
        found = re.finditer(rule.pattern, text, re.IGNORECASE)
        return [Match(rule.kind, m.start(), m.end(), m.group()) for m in found if m.end() > m.start()]
    return []


# --- Public API ----------------------------------------------------------------------------------------------------


def _resolve(matches: list[Match]) -> list[Match]:
    """Non-overlapping matches: of those that overlap, the earliest-starting wins, then the longest."""
    kept: list[Match] = []
    for m in sorted(matches, key=lambda m: (m.start, m.start - m.end, _RANK.get(m.kind, len(_RANK)))):
        if not kept or m.start >= kept[-1].end:
            kept.append(m)
    return kept


def find_private_data(text: str, enabled: frozenset[str] = _ALL_DETECTORS) -> list[Match]:
    """Built-in matches of the enabled detectors, in order, without overlaps."""
    # Every detector runs, so a disabled one still claims its span: with IBANs off, the digits of
    # "NL91 ABNA 0417 1643 00" are still not a phone number.
    everything = _resolve([*_cards(text), *_ibans(text), *_emails(text), *_phones(text)])
    return [m for m in everything if m.kind in enabled]


def mask(
    text: str, enabled: frozenset[str] = _ALL_DETECTORS, custom: tuple[CustomRule, ...] = ()
) -> tuple[str, list[Match]]:
    """The text with private data and custom "mask" matches replaced, and the matches that were replaced."""
    folded, origin = _fold_with_map(text) if custom else ("", [])
    custom_found = [m for rule in custom if rule.action == "mask" for m in _custom_matches(rule, text, folded, origin)]
    replaced = _resolve([*find_private_data(text, enabled), *custom_found])
    pieces, position = [], 0
    for m in replaced:  # only the match itself is replaced, so Markdown around it stays as written
        pieces += [text[position : m.start], _replacement(m)]
        position = m.end
    return "".join([*pieces, text[position:]]), replaced


def _replacement(m: Match) -> str:
    if m.kind == "card":
        return f"[card ending {re.sub(r'[^0-9]', '', m.text)[-4:]}]"
    if m.kind == "iban":
        return f"[IBAN ending {re.sub(r'[^0-9A-Za-z]', '', m.text)[-4:].upper()}]"
    return _PLAIN_REPLACEMENTS.get(m.kind, "[hidden]")  # custom rules: the rule's own pattern may be secret too


def suggests_private_help(text: str, custom: tuple[CustomRule, ...] = ()) -> list[str]:
    """Billing/account keywords found (folded), in order; a custom regex rule gives the folded text it matched."""
    folded, origin = _fold_with_map(text)
    hits: list[tuple[int, str]] = []
    for keyword, pattern in _KEYWORD_PATTERNS:
        if pattern and (m := pattern.search(folded)):
            hits.append((origin[m.start()], keyword))
    for rule in custom:
        if rule.action == "suggest_private" and (found := _custom_matches(rule, text, folded, origin)):
            label = " ".join(_fold(rule.pattern).split()) if rule.kind == "keyword" else _fold(found[0].text)
            hits.append((found[0].start, label))
    return list(dict.fromkeys(label for _, label in sorted(hits, key=lambda hit: hit[0])))


def custom_flags(text: str, custom: tuple[CustomRule, ...]) -> list[CustomRule]:
    """The custom rules with action "flag" that match the text, in the order given."""
    folded, origin = _fold_with_map(text)
    return [rule for rule in custom if rule.action == "flag" and _custom_matches(rule, text, folded, origin)]
