"""What cases' states, actions, categories and priorities are called on the page, looked up by key: the keys
themselves live in workflow.py and rules.py, and a test checks that every key has its words here."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.marks import N_

STATE_LABELS = {
    "new": _l("new"),
    "open": _l("open"),
    "waiting_on_customer": _l("waiting on customer"),
    "resolved": _l("resolved"),
    "closed": _l("closed"),
}
# The inbox's status filter: every state, plus these two.
FILTER_LABELS = {"active": _l("Active"), "all": _l("All"), **STATE_LABELS}

# The case page's buttons (a customer's reply moves a waiting case by itself; it is never a button).
ACTION_LABELS = {
    "start": _l("Start working on it"),
    "wait": _l("Wait for the customer"),
    "resume": _l("Resume"),
    "customer_reply": _l("Reply"),
    "resolve": _l("Resolve"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
}



# What the customer is told when staff move their case: "Your private case #7 …". Kept in English in the
# notification and translated when it is read (app/notifications/messages.py), in the reader's language.
STATUS_NEWS = {
    "start": N_("is being worked on"),
    "wait": N_("is waiting for your reply"),
    "resume": N_("is being worked on again"),
    "resolve": N_("is resolved"),
    "close": N_("is closed"),
    "reopen": N_("was reopened"),
}

CATEGORY_LABELS = {
    "billing": _l("Billing and payments"),
    "account": _l("My account and sign-in"),
    "privacy": _l("Private data"),
    "legal": _l("Legal"),
    "other": _l("Something else"),
}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
