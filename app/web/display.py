"""Helpers templates call to display things: a member's rank, a notification as a sentence."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from app.reputation.rules import Rank, rank_for


def rank_of(user: Any) -> Rank:
    return rank_for(user.points or 0, user.solution_count or 0)


def notification_text(note: Any) -> str:
    """A notification in the reader's language, from its kind and parameters."""
    from app.notifications.messages import render
    from app.notifications.service import params_of

    params = params_of(note)
    if "title" in params and params["title"] == "a question that is now private":
        params["title"] = gettext("a question that is now private")
    for key, value in params.items():
        if value == "Former member":  # a member who deleted their account (app/privacy/deletion.py)
            params[key] = gettext("Former member")
    return render(note.kind, params, translate=gettext) or note.text
