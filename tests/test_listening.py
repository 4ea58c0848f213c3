"""Private data and billing-topic detection: what is masked, what is left alone, keywords, custom rules."""

from __future__ import annotations

import pytest

from app.moderation.listening import (
    BUILTIN_DETECTORS,
    CustomRule,
    Match,
    custom_flags,
    find_private_data,
    mask,
    suggests_private_help,
    validate_regex,
)


def masked(text: str, **kwargs) -> str:
    return mask(text, **kwargs)[0]


def with_check_digits(country: str, bban: str) -> str:
    """A mod-97-valid IBAN for any country and account part, to test the length rules on their own."""
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - number % 97:02d}{bban}"


def test_builtin_detectors_are_the_four_kinds():
    assert BUILTIN_DETECTORS == {
        "card": "Payment card numbers",
        "iban": "IBANs",
        "email": "E-mail addresses",
        "phone": "Phone numbers",
    }


# --- Cards ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "last4"),
    [
        ("4111 1111 1111 1111", "1111"),  # Visa
        ("4111-1111-1111-1111", "1111"),
        ("4242424242424242", "4242"),
        ("4012888888881881", "1881"),
        ("4222222222222", "2222"),  # Visa, 13 digits
        ("5555 5555 5555 4444", "4444"),  # Mastercard
        ("5105105105105100", "5100"),
        ("2223003122003222", "3222"),  # Mastercard 2-series
        ("378282246310005", "0005"),  # American Express
        ("3782 822463 10005", "0005"),
        ("371449635398431", "8431"),
        ("6011111111111117", "1117"),  # Discover
        ("6011 0009 9013 9424", "9424"),
        ("3530111333300000", "0000"),  # JCB
        ("30569309025904", "5904"),  # Diners Club
        ("36227206271667", "1667"),
        ("6555900000604105", "4105"),  # Discover 65
    ],
)
def test_card_numbers_are_masked_with_their_last_four_digits(number, last4):
    text, matches = mask(f"My card is {number}, can you check it?")
    assert text == f"My card is [card ending {last4}], can you check it?"
    assert matches == [Match("card", 11, 11 + len(number), number)]


@pytest.mark.parametrize(
    "number",
    [
        "4111 1111 1111 1112",  # fails Luhn
        "4111-1111-1111-1112",
        "5555555555554445",
        "3782 822463 10006",
        "1234 5678 9012 3456",
        "1234567812345670",  # passes Luhn, but no issuer starts with 12
        "0000 0000 0000 0000",
        "3782822463100052",  # passes Luhn, but Amex numbers have 15 digits
        "41111111111111111111",  # inside a longer run of digits
        "ID4111111111111111",  # glued to letters
        "4111111111111111x",
        "12.4111111111111111",  # the tail of a decimal
    ],
)
def test_numbers_that_are_not_cards_are_left_alone(number):
    text = f"Reference {number} from the log."
    assert mask(text) == (text, [])


def test_a_card_followed_by_its_cvv_is_still_found():
    assert masked("card 4111 1111 1111 1111 123 exp 12/27") == "card [card ending 1111] 123 exp 12/27"


def test_two_cards_in_one_run_are_both_masked():
    assert masked("4111 1111 1111 1111 5555 5555 5555 4444") == "[card ending 1111] [card ending 4444]"


# --- IBANs ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iban", "last4"),
    [
        ("DE89 3704 0044 0532 0130 00", "3000"),
        ("GB82WEST12345698765432", "5432"),
        ("GB82 WEST 1234 5698 7654 32", "5432"),
        ("GR16 0110 1250 0000 0001 2300 695", "0695"),
        ("PL61 1090 1014 0000 0712 1981 2874", "2874"),
        ("AL47 2121 1009 0000 0002 3569 8741", "8741"),
        ("FR76 3000 6000 0112 3456 7890 189", "0189"),
        ("ES91 2100 0418 4502 0005 1332", "1332"),
        ("IT60 X054 2811 1010 0000 0123 456", "3456"),
        ("NL91 ABNA 0417 1643 00", "4300"),
        ("IE29 AIBK 9311 5212 3456 78", "5678"),
        ("IL62 0108 0000 0009 9999 999", "9999"),
        ("CY17 0020 0128 0000 0012 0052 7600", "7600"),
        ("de89370400440532013000", "3000"),  # any case
        ("gb82 west 1234 5698 7654 32", "5432"),
    ],
)
def test_ibans_are_masked_with_their_last_four_characters(iban, last4):
    text, matches = mask(f"Please refund to {iban} today.")
    assert text == f"Please refund to [IBAN ending {last4}] today."
    assert [(m.kind, m.text) for m in matches] == [("iban", iban)]


@pytest.mark.parametrize(
    "text",
    [
        "DE88 3704 0044 0532 0130 00",  # wrong check digits
        "GB82 WEST 1234 5698 7654 33",
        "DE89 3704 0044 0532 0130",  # cut short
        with_check_digits("DE", "370400440532013000"[:-1]),  # mod 97 passes, but a German IBAN has 22 characters
        with_check_digits("NL", "ABNA04171643001"),  # and a Dutch one 18
        "XX12",
        "WEST12345698765432",
    ],
)
def test_strings_that_are_not_valid_ibans_are_left_alone(text):
    sentence = f"Account {text} is mine."
    assert mask(sentence) == (sentence, [])


def test_an_unlisted_country_needs_only_the_mod_97_check_and_15_to_34_characters():
    iban = with_check_digits("ZZ", "1234567890123")  # 17 characters
    assert masked(f"IBAN {iban}.") == "IBAN [IBAN ending 0123]."


def test_a_short_word_after_a_grouped_iban_is_not_part_of_it():
    assert masked("PL61 1090 1014 0000 0712 1981 2874 then") == "[IBAN ending 2874] then"
    assert masked("NL91 ABNA 0417 1643 00 ok") == "[IBAN ending 4300] ok"


# --- E-mail addresses ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me at user.name+tag@example.co.uk please", "Mail me at [e-mail hidden] please"),
        ("bob@example.com.", "[e-mail hidden]."),
        ("(j_doe@mail.example.org)", "([e-mail hidden])"),
        ("Contact: Anna.Kowalska@Poczta.PL", "Contact: [e-mail hidden]"),
        ("[mail](mailto:bob@example.com)", "[mail](mailto:[e-mail hidden])"),
        ("_bob@example.com_ and __bob@example.com__", "_[e-mail hidden]_ and __[e-mail hidden]__"),
    ],
)
def test_email_addresses_are_masked(text, expected):
    assert masked(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "See https://example.com/users/bob@example.com for details",  # a URL path
        "http://user:pass@host.example.com/",  # credentials inside a URL are not an address to mask
        "Thanks @nimbus_support!",
        "The icon is logo@2x.png",
        "Installed left-pad@1.3.0",
        "Log in as admin@localhost",
        "a/bob@example.com",
    ],
)
def test_things_that_are_not_email_addresses_are_left_alone(text):
    assert mask(text) == (text, [])


# --- Phone numbers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "+44 20 7946 0958",
        "+30 210 123 4567",
        "0044 7700 900123",
        "+972-52-123-4567",
        "+48 601 234 567",
        "+447700900123",
        "+44 (0)20 7946 0958",
        "+1 415 555 2671",
        "020 7946 0958",
        "07700 900123",
        "07700900123",
        "(020) 7946-0958",
        "052-123-4567",
        "01 23 45 67 89",
        "020.7946.0958",
    ],
)
def test_phone_numbers_are_masked(number):
    text, matches = mask(f"Call me on {number} after six.")
    assert text == "Call me on [phone number hidden] after six."
    assert matches == [Match("phone", 11, 11 + len(number), number)]


def test_a_phone_in_parentheses_keeps_the_closing_parenthesis():
    assert masked("(call 020 7946 0958)") == "(call [phone number hidden])"


@pytest.mark.parametrize(
    "text",
    [
        "It broke on 2026-11-26.",
        "It broke on 26.11.2026.",
        "It broke on 11/26/2026.",
        "It broke on 01.02.2026 10:30.",
        "It broke on 01-02-2026 10 times.",
        "It broke at 10:30 and again at 09:45:00.",
        "Order #123456789 never arrived.",
        "order 4000123456 never arrived.",
        "Updated from 1.10.2 to 3.4.2 today.",
        "Router at 192.168.1.1 and 10.0.0.254 drops out.",
        "MAC 00:1A:2B:3C:4D:5E and 00-11-22-33-44-55.",
        "The card 4111 1111 1111 1112 was declined.",
        "It cost €1,299.00, or 1.299,00 € in Germany, or $0.99 a month.",
        "Error 0x80070005 on install.",
        "My NB-1400-X laptop.",
        "Supported 2019-2024 models.",
        "Ship to SW1A 1AA, 00-950 Warszawa, 105 57 Αθήνα, 02134-1234 or 90210.",
        "Serial 1234 0123 4567 890 on the box.",
        "Battery at 0.5%.",
    ],
)
def test_numbers_that_are_not_phones_are_left_alone(text):
    assert mask(text) == (text, [])


# --- Masking ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**4111 1111 1111 1111**", "**[card ending 1111]**"),
        ("__4111 1111 1111 1111__", "__[card ending 1111]__"),
        ("`bob@example.com`", "`[e-mail hidden]`"),
        ("*+44 20 7946 0958*", "*[phone number hidden]*"),
        ("_020 7946 0958_", "_[phone number hidden]_"),
        ("> IBAN: DE89 3704 0044 0532 0130 00\n> thanks", "> IBAN: [IBAN ending 3000]\n> thanks"),
        ("| card | 5555 5555 5555 4444 |", "| card | [card ending 4444] |"),
        ("- bob@example.com\n- +48 601 234 567", "- [e-mail hidden]\n- [phone number hidden]"),
    ],
)
def test_markdown_around_a_match_stays_intact(text, expected):
    assert masked(text) == expected


def test_several_kinds_in_one_sentence():
    text = (
        "Card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, "
        "mail bob@example.com or call +44 20 7946 0958 before 2026-11-26."
    )
    result, matches = mask(text)
    assert result == (
        "Card [card ending 1111], IBAN [IBAN ending 3000], "
        "mail [e-mail hidden] or call [phone number hidden] before 2026-11-26."
    )
    assert [m.kind for m in matches] == ["card", "iban", "email", "phone"]
    assert [text[m.start : m.end] for m in matches] == [m.text for m in matches]
    assert find_private_data(text) == matches


def test_disabled_detectors_are_left_alone():
    text = "Card 4111 1111 1111 1111, mail bob@example.com, call 020 7946 0958."
    assert masked(text, enabled=frozenset({"email"})) == (
        "Card 4111 1111 1111 1111, mail [e-mail hidden], call 020 7946 0958."
    )
    assert masked(text, enabled=frozenset({"card", "phone"})) == (
        "Card [card ending 1111], mail bob@example.com, call [phone number hidden]."
    )
    assert mask(text, enabled=frozenset()) == (text, [])
    assert [m.kind for m in find_private_data(text, frozenset({"phone"}))] == ["phone"]


def test_a_disabled_detector_still_keeps_others_out_of_its_match():
    # The digits of this IBAN look like a national phone number; with IBANs off they are left whole.
    text = "NL91 ABNA 0417 1643 00"
    assert mask(text, enabled=frozenset({"phone"})) == (text, [])


def test_text_without_private_data_is_unchanged():
    text = "My **Nimbus Book 14** (model NB-1400-X, BIOS 1.10.2) won't wake up since 26.11.2026."
    assert mask(text) == (text, [])
    assert find_private_data(text) == []


# --- Billing and account keywords ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("I want a REFUND for last month", "refund"),
        ("Refunds take how long?", "refund"),
        ("I was refunded only half", "refunded"),
        ("Where is my invoice?", "invoice"),
        ("Invoices for March are missing", "invoice"),
        ("I got charged twice this month", "charged twice"),
        ("Double-charged again!", "double charged"),
        ("Billing question", "billing"),
        ("My bill is wrong", "bill"),
        ("Payment failed", "payment"),
        ("Set up a direct debit", "direct debit"),
        ("The password reset e-mail never arrives", "password reset"),
        ("How do I reset my password?", "reset my password"),
        ("Account locked after the update", "account locked"),
        ("I'm locked out of the app", "locked out"),
        ("I want to cancel my contract", "cancel my contract"),
        ("Is there a cancellation fee?", "cancellation fee"),
        ("Θέλω επιστροφή χρημάτων", "επιστροφη χρηματων"),
        ("Πού είναι το ΤΙΜΟΛΟΓΙΟ μου;", "τιμολογιο"),
        ("Λάθος χρέωση στον λογαριασμό", "χρεωση"),
        ("χρεωθηκα δυο φορες", "χρεωθηκα δυο φορεσ"),  # casefold turns final ς into σ
        ("Η πληρωμή απέτυχε", "πληρωμη"),
        ("Δεν λειτουργεί η επαναφορά κωδικού", "επαναφορα κωδικου"),
        ("Έχω κλειδωμένο λογαριασμό", "κλειδωμενοσ λογαριασμοσ"),
        ("Proszę o zwrot pieniędzy", "zwrot pieniedzy"),
        ("Gdzie jest moja faktura?", "faktura"),
        ("Problem z fakturą", "faktura"),
        ("Nie dostałem faktury", "faktury"),
        ("Zostałem podwójnie obciążony", "podwojnie obciazony"),
        ("Obciążono dwa razy!", "obciazono dwa razy"),
        ("Płatność nie przeszła", "platnosc"),
        ("platnosc nie przeszla", "platnosc"),
        ("Reset hasła nie działa", "reset hasla"),
        ("Moje konto zablokowane od wczoraj", "konto zablokowane"),
        ("Dua rimbursim", "rimbursim"),
        ("Ku është fatura?", "fatura"),
        ("Nuk mora faturë", "fature"),
        ("Nuk mora fature", "fature"),
        ("Gabim në faturim", "faturim"),
        ("Pagesë e dështuar", "pagese"),
        ("Më kanë tarifuar dy herë", "me kane tarifuar dy here"),
        ("Rivendosja e fjalëkalimit nuk punon", "rivendosja e fjalekalimit"),
        ("Llogaria e bllokuar", "llogaria e bllokuar"),
        ("אני רוצה החזר כספי", "החזר כספי"),
        ("לא קיבלתי חשבונית", "חשבונית"),
        ("והחשבונית לא הגיעה", "חשבונית"),
        ("חויבתי פעמיים", "חויבתי פעמיים"),
        ("יש חיוב כפול", "חיוב"),
        ("התשלום נכשל", "תשלום"),
        ("הַתַּשְׁלוּם נכשל", "תשלום"),  # with niqqud
        ("איפוס סיסמה לא עובד", "איפוס סיסמה"),
        ("החשבון נעול", "החשבון נעול"),
    ],
)
def test_billing_keywords_suggest_private_help(text, keyword):
    assert suggests_private_help(text) == [keyword]


def test_several_keywords_come_in_order_of_appearance_once_each():
    assert suggests_private_help("Refund my payment, the payment for my invoice") == ["refund", "payment", "invoice"]


@pytest.mark.parametrize(
    "text",
    [
        "The billboard app crashes",
        "Billiards night at the office",
        "Non-refundable upgrade",
        "The payload was rejected",
        "I reset my router",
        "pip locked outdated packages",
        "Η πληροφορία είναι λάθος",
        "Konto użytkownika",
        "התגובה הייתה חיובית",
        "Faturimet? No idea",
        "How do I pair my headphones?",
    ],
)
def test_harmless_text_suggests_nothing(text):
    assert suggests_private_help(text) == []


# --- Custom rules ----------------------------------------------------------------------------------------------------

CHARGEBACK = CustomRule(1, "Chargeback", "keyword", "flag")
TICKET = CustomRule(2, r"ticket\s*#?\d{5,}", "regex", "flag")
LOYALTY = CustomRule(3, "loyalty  points", "keyword", "suggest_private")
CONTRACT = CustomRule(4, r"contract\s+no\.?\s*\d+", "regex", "suggest_private")
FALCON = CustomRule(5, "Project Falcon", "keyword", "mask")
NIM = CustomRule(6, r"NIM-\d{6}", "regex", "mask")
CAFE = CustomRule(7, "Café Nimbus", "keyword", "mask")
ALL_RULES = (CHARGEBACK, TICKET, LOYALTY, CONTRACT, FALCON, NIM, CAFE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'll file a CHARGEBACK now", [CHARGEBACK]),
        ("See Ticket #123456", [TICKET]),
        ("chargeback, see ticket 99999", [CHARGEBACK, TICKET]),
        ("chargebacks are slow", []),  # keywords are whole words
        ("ticket #12", []),
        ("project falcon and NIM-123456", []),  # mask rules do not flag
    ],
)
def test_custom_flag_rules(text, expected):
    assert custom_flags(text, ALL_RULES) == expected


def test_custom_keywords_ignore_case_and_accents():
    rule = CustomRule(8, "Zażalenie", "keyword", "flag")
    assert custom_flags("ZAZALENIE w sprawie", (rule,)) == [rule]
    assert custom_flags("Nowe zażalenia", (rule,)) == []


def test_custom_suggest_private_rules():
    assert suggests_private_help("Where are my Loyalty Points?", ALL_RULES) == ["loyalty points"]
    assert suggests_private_help("About Contract No. 42", ALL_RULES) == ["contract no. 42"]
    assert suggests_private_help("My refund for contract no 7", ALL_RULES) == ["refund", "contract no 7"]
    assert suggests_private_help("Loyalty points", (CustomRule(9, "loyalty points", "keyword", "flag"),)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We are on project falcon.", "We are on [hidden]."),
        ("Ref NIM-123456, nim-654321.", "Ref [hidden], [hidden]."),
        ("**Project Falcon** ships soon", "**[hidden]** ships soon"),
        ("Meet at CAFÉ NIMBUS", "Meet at [hidden]"),
        ("Meet at Cafe\u0301 Nimbus!", "Meet at [hidden]!"),  # a decomposed accent is part of the match
        ("Meet at cafe nimbus or mail bob@example.com", "Meet at [hidden] or mail [e-mail hidden]"),
        ("Chargeback for ticket 12345", "Chargeback for ticket 12345"),  # flag rules do not mask
    ],
)
def test_custom_mask_rules(text, expected):
    assert masked(text, custom=ALL_RULES) == expected


def test_custom_mask_matches_are_reported():
    _, matches = mask("Ref NIM-123456 and project falcon", custom=ALL_RULES)
    assert matches == [Match("regex", 4, 14, "NIM-123456"), Match("keyword", 19, 33, "project falcon")]


def test_overlapping_matches_keep_the_earliest_and_longest():
    rule = CustomRule(10, r"call \+44[\d ]+\d", "regex", "mask")
    assert masked("Please call +44 20 7946 0958", custom=(rule,)) == "Please [hidden]"
    later = CustomRule(11, r"7946", "regex", "mask")
    assert masked("Please call +44 20 7946 0958", custom=(later,)) == "Please call [phone number hidden]"


def test_custom_masks_apply_even_where_a_detector_is_disabled():
    rule = CustomRule(12, r"example\.com", "regex", "mask")
    assert masked("bob@example.com", enabled=frozenset(), custom=(rule,)) == "bob@[hidden]"


@pytest.mark.parametrize(
    "rule",
    [
        CustomRule(13, "(a+)+", "regex", "mask"),  # unsafe rules saved before validation are skipped
        CustomRule(14, "(", "regex", "mask"),
        CustomRule(15, "", "keyword", "mask"),
        CustomRule(16, "   ", "keyword", "mask"),
        CustomRule(17, "laptop", "unknown", "mask"),
    ],
)
def test_broken_custom_rules_are_ignored(rule):
    assert mask("aaaa( laptop", custom=(rule,)) == ("aaaa( laptop", [])


# --- validate_regex --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [r"ticket\s*#?\d{5,}", r"\bNIM-\d{6}\b", "(?:foo|bar)+", r"(\d{3})+", r"(\+)+", "refund|chargeback", "x" * 200],
)
def test_acceptable_patterns(pattern):
    assert validate_regex(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("x" * 201, "too long"),
        ("(", "not a valid regular expression"),
        ("[a-", "not a valid regular expression"),
        ("a{2,1}", "not a valid regular expression"),
        ("", "empty"),
        ("a*", "empty"),
        (r"\b", "empty"),
        ("x?", "empty"),
        ("refund|", "empty"),
        ("(a+)+", "repeats"),
        ("(a*)*", "repeats"),
        ("(.*)*", "repeats"),
        (r"(\w+)+", "repeats"),
        (r"(\w+\s?)+$", "repeats"),
        ("((ab)+)+", "repeats"),
        (r"(\d{1,})*x", "repeats"),
        ("(?:x+)+y", "repeats"),
    ],
)
def test_rejected_patterns_say_why(pattern, words):
    message = validate_regex(pattern)
    assert message is not None
    assert words in message
