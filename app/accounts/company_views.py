"""Sign-in with the company's account: off to the provider, back with a verified ID token, then signed in, or
asked to choose a username or to link an existing account with its password."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user

from app.accounts import company, oidc
from app.accounts.forms import CompanyLinkForm, CompanyUsernameForm, StartCompanySignInForm
from app.accounts.models import User
from app.accounts.service import SignIn
from app.accounts.throttle import login_throttle
from app.accounts.views import _fresh_session
from app.auth.access import access
from app.db import db
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import limiter
from app.web import form_status, safe_next, submitted

bp = Blueprint("company", __name__, url_prefix="/login/company")

PENDING = "company_sign_in"  # the verified identity waiting for a username or a linked account
NEXT = "company_sign_in_next"
PENDING_FOR = 15 * 60  # seconds the member has to finish


def _limit() -> str:
    return current_app.config["OIDC_RATE_LIMIT"]


@bp.before_request
def _only_when_configured():
    if not oidc.enabled():
        abort(404)


def _redirect_uri() -> str:
    """Where the provider sends the member back: from PUBLIC_URL, the address registered with the provider,
    never from the request's Host header."""
    return current_app.config["PUBLIC_URL"].rstrip("/") + url_for("company.callback")


def _reader_language() -> str:
    """The language the visitor reads the site in (chosen, or from the browser): a new member keeps it."""
    return str(get_locale()).split("_")[0]


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")


@bp.post("")
@access("visitor")
@limiter.limit(_limit)
def start():
    """Off to the provider (a POST with a CSRF token: no other site can start a sign-in in someone's name)."""
    if current_user.is_authenticated:
        return redirect(url_for("forum.index"))
    form = StartCompanySignInForm()
    if not form.validate_on_submit():
        abort(400)
    session[NEXT] = safe_next(request.args.get("next"), url_for("forum.index"))
    try:
        return oidc.authorize_redirect(_redirect_uri())
    except oidc.SignInFailed:
        current_app.logger.exception("company sign-in: the provider could not be reached")
        return _failed(503, _("The company sign-in is not available right now. Please try again later."))


@bp.get("/callback")
@access("visitor")
@limiter.limit(_limit)
def callback():
    # The provider sends the browser back with a GET, and this GET starts a sign-in session: a write transaction
    # from the start, so SQLite never has to turn a read into a write under a concurrent writer.
    db.session(write=True)
    try:
        identity = company.Identity.from_claims(oidc.verified_claims())
    except (oidc.SignInFailed, ValidationFailed) as error:
        current_app.logger.warning("company sign-in refused: %s", error)
        return _failed(400, _("That sign-in could not be completed. Please start again."))
    try:
        user = company.sign_in(db.session(), identity, _user_agent(), _reader_language())
    except PermissionDenied as error:
        return _failed(403, str(error.message))
    if user is not None:
        return _signed_in(user)
    db.session().rollback()
    session[PENDING] = {**identity.as_dict(), "until": time.time() + PENDING_FOR}
    return redirect(url_for("company.finish"))


def _failed(status: int, message: str):
    return render_template("accounts/company_failed.html", message=message), status


def _signed_in(user: User):
    """Commit the new sign-in session, start a fresh cookie session, and go where the member was going."""
    db.commit()
    target = session.get(NEXT) or url_for("forum.index")
    _fresh_session()
    login_user(user)
    # A fresh company sign-in is how a member without a password of ours confirms deleting their account.
    session["signed_in_at"] = int(time.time())
    flash(_("Signed in. Welcome, %(name)s.", name=user.name), "success")
    return redirect(target)


def _pending() -> company.Identity:
    data = session.get(PENDING)
    if not data or data.get("until", 0) < time.time():
        session.pop(PENDING, None)
        raise PermissionDenied(_("Your company sign-in has expired. Please start again."))
    return company.Identity.from_dict(data)


def _finish_page(identity: company.Identity, username_form: CompanyUsernameForm, link_form: CompanyLinkForm):
    return render_template(
        "accounts/company_finish.html",
        identity=identity,
        can_create=company.can_create(db.session(), identity),
        username_form=username_form,
        link_form=link_form,
    )


@bp.get("/finish")
@access("visitor")
def finish():
    identity = _pending()
    username_form = CompanyUsernameForm(prefix="new", username=identity.username)
    problem = company.username_problem(db.session(), identity.username) if identity.username else None
    if problem:
        username_form.username.errors = [problem]
    return _finish_page(identity, username_form, CompanyLinkForm(prefix="link"))


@bp.post("/create")
@access("visitor")
@limiter.limit(_limit)
def create():
    identity = _pending()
    form = CompanyUsernameForm(prefix="new")
    user = submitted(
        form,
        lambda: company.create_member(
            db.session(), identity, form.username.data or "", _user_agent(), _reader_language()
        ),
    )
    if user is None:
        return _finish_page(identity, form, CompanyLinkForm(prefix="link")), form_status()
    return _signed_in(user)


@bp.post("/link")
@access("visitor")
@limiter.limit(_limit)
def link():
    identity = _pending()
    form = CompanyLinkForm(prefix="link")
    attempt = SignIn(form.login.data or "", form.password.data or "", _user_agent())
    user = submitted(form, lambda: company.link_account(db.session(), identity, attempt, login_throttle()))
    if user is None:
        form.password.data = ""
        username_form = CompanyUsernameForm(prefix="new", username=identity.username)
        return _finish_page(identity, username_form, form), form_status()
    return _signed_in(user)

