"""Quoted history and signatures are stripped from replies as Gmail, Outlook, Apple Mail and Thunderbird write
them, in English, Greek, Polish, Albanian and Hebrew; what the member wrote is kept whole."""

from __future__ import annotations

import pytest

from app.notifications.replyparse import html_to_text, strip_reply

ADDRESS = "Nimbus Community <reply+12-0123456789abcdef01234567@reply.nimbus.example>"
QUOTED = "> Our staff replied on your private case #12.\n>\n> https://community.nimbus.example/cases/12\n"

REPLIES = {
    "en": "Thanks, the refund arrived this morning.\n\nOne more thing: the invoice still shows the old plan.",
    "el": "Ευχαριστώ, η επιστροφή χρημάτων έφτασε σήμερα το πρωί.\n\n"
    "Κάτι ακόμα: το τιμολόγιο δείχνει το παλιό πρόγραμμα.",
    "pl": "Dziękuję, zwrot dotarł dziś rano.\n\nJeszcze jedno: na fakturze wciąż widnieje stary abonament.",
    "sq": "Faleminderit, rimbursimi mbërriti këtë mëngjes.\n\nEdhe diçka: fatura ende tregon planin e vjetër.",
    "he": "תודה, ההחזר הגיע הבוקר.\n\nעוד דבר: בחשבונית עדיין מופיעה התוכנית הישנה.",
}

# How each client introduces the quoted message, per language (as they write it, wrapping included).
GMAIL = {
    "en": "On Tue, Dec 1, 2026 at 3:04 PM Nimbus Community <\n"
    "reply+12-0123456789abcdef01234567@reply.nimbus.example> wrote:",
    "el": f"Στις Τρί 1 Δεκ 2026 στις 3:04 μ.μ., ο/η {ADDRESS} έγραψε:",
    "pl": f"wt., 1 gru 2026 o 15:04 {ADDRESS} napisał(a):",
    "sq": f"Më mar, 1 dhj 2026 në 3:04 e pasdites, {ADDRESS}\nshkroi:",
    "he": f"\u202bבתאריך יום ג׳, 1 בדצמ׳ 2026 ב-15:04 מאת \u202a{ADDRESS}\u202c\u200f:\u202c",
}
OUTLOOK = {
    "en": f"________________________________\nFrom: {ADDRESS}\nSent: Tuesday, December 1, 2026 3:04 PM\n"
    "To: Eleni <eleni@example.com>\nSubject: Nimbus Community: Our staff replied on your private case #12.",
    "el": f"Από: {ADDRESS}\nΣτάλθηκε: Τρίτη, 1 Δεκεμβρίου 2026 3:04 μμ\nΠρος: Eleni <eleni@example.com>\n"
    "Θέμα: Κοινότητα Nimbus: Η ομάδα μας απάντησε",
    "pl": f"Od: {ADDRESS}\nWysłane: wtorek, 1 grudnia 2026 15:04\nDo: Marta <marta@example.com>\n"
    "Temat: Społeczność Nimbus: odpowiedź w sprawie #12",
    "sq": f"Nga: {ADDRESS}\nDërguar: e martë, 1 dhjetor 2026 15:04\nPër: Arben <arben@example.com>\n"
    "Subjekti: Komuniteti Nimbus: përgjigje për rastin #12",
    "he": f"מאת: {ADDRESS}\nנשלח: יום שלישי 01 דצמבר 2026 15:04\nאל: Dana <dana@example.com>\n"
    "נושא: קהילת Nimbus: תשובה בפנייה #12",
}
APPLE = {
    "en": f"Sent from my iPhone\n\n> On 1 Dec 2026, at 15:04, {ADDRESS} wrote:",
    "el": f"Στάλθηκε από το iPhone μου\n\n> Στις 1 Δεκ 2026, στις 15:04, ο χρήστης {ADDRESS} έγραψε:",
    "pl": f"Wysłane z iPhone'a\n\nWiadomość napisana przez {ADDRESS} w dniu 01.12.2026, o godz. 15:04:",
    "sq": f"Dërguar nga iPhone im\n\nMë 1 dhjetor 2026, në 15:04, {ADDRESS} shkroi:",
    "he": f"נשלח מה-iPhone שלי\n\n\u200fב-1 בדצמ׳ 2026, בשעה 15:04, \u200f{ADDRESS}\u200f כתב/ה:",
}
THUNDERBIRD = {
    "en": "On 01/12/2026 15:04, Nimbus Community wrote:",
    "el": "Στις 1/12/26 3:04 μ.μ., ο/η Nimbus Community έγραψε:",
    "pl": "W dniu 1.12.2026 o 15:04, Nimbus Community pisze:",
    "sq": "Më 01/12/2026 15:04, Nimbus Community shkroi:",
    "he": "בתאריך 01/12/2026 15:04, Nimbus Community כתב:",
}
SIGNATURES = {
    "en": "-- \nEleni Papadopoulou\nAthens",
    "el": "-- \nΕλένη Παπαδοπούλου\nΑθήνα",
    "pl": "-- \nMarta Nowak\nKraków",
    "sq": "-- \nArben Hoxha\nTiranë",
    "he": "-- \nדנה לוי\nתל אביב",
}
LANGUAGES = tuple(REPLIES)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("client", ["gmail", "thunderbird"])
def test_the_quote_header_and_what_follows_are_cut(client, language):
    header = {"gmail": GMAIL, "thunderbird": THUNDERBIRD}[client][language]
    mail = f"{REPLIES[language]}\n\n{header}\n{QUOTED}"
    assert strip_reply(mail) == REPLIES[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_outlook_header_blocks_are_cut_with_the_message_below(language):
    mail = f"{REPLIES[language]}\r\n\r\n{OUTLOOK[language]}\r\n\r\nOur staff replied on your private case #12.\r\n"
    assert strip_reply(mail) == REPLIES[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_apple_mail_loses_its_sent_from_line_and_the_quote(language):
    mail = f"{REPLIES[language]}\n\n{APPLE[language]}\n>\n{QUOTED}"
    assert strip_reply(mail) == REPLIES[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_signature_after_the_standard_rule_is_dropped(language):
    mail = f"{REPLIES[language]}\n\n{SIGNATURES[language]}\n\n{THUNDERBIRD[language]}\n{QUOTED}"
    assert strip_reply(mail) == REPLIES[language]


def test_words_that_merely_look_like_headers_stay():
    text = (
        "From: the settings page I changed my plan.\nOn the invoice it says I wrote: nothing.\n"
        "To be clear, 3 charges came in, not > 3."
    )
    assert strip_reply(text) == text


def test_an_interleaved_reply_keeps_the_members_lines_only():
    text = "> Did the refund arrive?\nYes, today.\n> And the invoice?\nStill the old plan."
    assert strip_reply(text) == "Yes, today.\nStill the old plan."


def test_gmail_html_reply_without_its_quote_box():
    html = (
        '<div dir="ltr">Ευχαριστώ, η επιστροφή έφτασε.<div><br></div><div>Κάτι ακόμα &amp; τέλος.</div></div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">Στις Τρί 1 Δεκ 2026 έγραψε:<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px">Η ομάδα μας απάντησε</blockquote></div>'
    )
    assert html_to_text(html) == "Ευχαριστώ, η επιστροφή έφτασε.\n\nΚάτι ακόμα & τέλος."


def test_outlook_html_reply_stops_at_its_reply_header():
    html = (
        "<html><head><style>p{margin:0}</style></head><body><div><p>Dziękuję, zwrot dotarł.</p></div>"
        '<hr><div id="divRplyFwdMsg"><b>Od:</b> Nimbus<br><b>Wysłane:</b> wtorek</div>'
        "<div>Nasz zespół odpowiedział</div></body></html>"
    )
    assert html_to_text(html) == "Dziękuję, zwrot dotarł."


def test_apple_and_thunderbird_html_quotes_are_left_out():
    html = (
        '<html dir="rtl"><body><div>תודה, ההחזר הגיע.</div><div><br><blockquote type="cite">'
        "<div>הצוות שלנו ענה</div></blockquote></div>"
        '<div class="moz-cite-prefix">בתאריך 01/12/2026 15:04, Nimbus Community כתב:</div></body></html>'
    )
    assert html_to_text(html) == "תודה, ההחזר הגיע."
