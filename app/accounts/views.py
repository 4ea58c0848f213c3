"""Sign up, sign in and out, profiles and settings."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_login.utils import decode_cookie
from limits import parse

from app.accounts import service, sessions
from app.accounts.forms import LanguageForm, LoginForm, ProfileForm, RegisterForm
from app.accounts.models import User
from app.accounts.throttle import LoginThrottle
from app.auth.access import access
from app.db import db
from app.extensions import limiter
from app.forum import service as forum
from app.reputation import service as reputation
from app.reputation.views import REASONS
from app.web import form_status, safe_next, submitted

bp = Blueprint("accounts", __name__)


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the member whose sign-in session this request's cookies name, if it is live."""
    max_age = timedelta(seconds=current_app.config["REMEMBER_COOKIE_DURATION"])
    user = sessions.load(db.session(), user_id, max_age, touch=request.method == "POST")
    if user is None:
        # An ended session: forget it, and have Flask-Login delete a remember-me cookie that names it.
        session.pop("_user_id", None)
        remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        if remembered and decode_cookie(remembered) == user_id:
            session["_remember"] = "clear"
    return user


def _fresh_session() -> None:
    """Start a new cookie session, keeping only the language: nothing a visitor (or someone who planted
    the cookie) put there, least of all the CSRF secret, survives a sign-in or sign-out."""
    locale = session.get("locale")
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's per-request copy
    if locale:
        session["locale"] = locale


def _login_throttle() -> LoginThrottle | None:
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return None
    return LoginThrottle(
        limiter.storage,
        parse(config["LOGIN_ACCOUNT_RATE_LIMIT"]),
        delay=int(config["LOGIN_ACCOUNT_DELAY"]),
        max_delay=int(config["LOGIN_ACCOUNT_MAX_DELAY"]),
    )


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/register", methods=["GET", "POST"])
@access("visitor")
@limiter.limit(_register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("forum.index"))
    form = RegisterForm()
    user = submitted(form, lambda: _register(form))
    if user is None:
        return render_template("accounts/register.html", form=form), form_status()
    _fresh_session()
    login_user(user)
    flash(_("Welcome to the community, %(name)s!", name=user.username), "success")
    return redirect(safe_next(request.args.get("next"), url_for("forum.index")))


def _register(form: RegisterForm) -> User:
    """The new member, with the sign-in session for this device started in the same transaction."""
    data = service.Registration(
        username=form.username.data.strip(),
        email=form.email.data.strip(),
        password=form.password.data,
        locale=session.get("locale", "en"),
    )
    user = service.register(db.session(), data)
    sessions.start(db.session(), user, request.headers.get("User-Agent", ""))
    return user


@bp.route("/login", methods=["GET", "POST"])
@access("visitor")
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("forum.index"))
    form = LoginForm()
    if form.validate_on_submit():
        attempt = service.SignIn(form.login.data, form.password.data, request.headers.get("User-Agent", ""))
        user = service.sign_in(db.session(), attempt, _login_throttle())
        if user is not None:
            db.commit()
            _fresh_session()
            login_user(user, remember=form.remember.data)
            flash(_("Signed in. Welcome back, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("forum.index")))
        form.form_errors.append(_("That username or e-mail and password don't match an account."))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@access("member")
def logout():
    sessions.end(db.session(), current_user)
    return _signed_out(_("You are signed out."))


@bp.post("/settings/sign-out-everywhere")
@access("member")
def sign_out_everywhere():
    sessions.end_all(db.session(), current_user)
    return _signed_out(_("You are signed out on every device, this one included."))


def _signed_out(message: str):
    """Commit the ended session(s), then start a fresh cookie session without the member."""
    db.commit()
    _fresh_session()
    logout_user()  # after the fresh session: it leaves the note that deletes the remember-me cookie
    flash(message, "info")
    return redirect(url_for("forum.index"))


@bp.get("/users/<username>")
@access("visitor")
def profile(username: str):
    session = db.session()
    user = service.user_by_username(session, username)
    return render_template(
        "accounts/profile.html",
        user=user,
        activity=forum.recent_activity(session, user, current_user),
        standing=reputation.standing(user),
        badges=reputation.badges_of(session, user),
        kudos_received=reputation.kudos_received(session, user),
        recent_points=reputation.recent_points(session, user),
        reasons=REASONS(),
    )


@bp.route("/settings/profile", methods=["GET", "POST"])
@access("member", owner=True)
def settings():
    form = ProfileForm(obj=current_user)
    saved = submitted(form, lambda: service.update_profile(db.session(), current_user, _profile_update(form)))
    if saved is None:
        return render_template("accounts/settings.html", form=form), form_status()
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("accounts.profile", username=current_user.username))


def _profile_update(form: ProfileForm) -> service.ProfileUpdate:
    return service.ProfileUpdate(
        display_name=form.display_name.data or "", bio=form.bio.data or "", locale=form.locale.data
    )


@bp.post("/language")
@access("visitor")
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        flash(_("Unknown language."), "error")
    else:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.commit()
    return redirect(safe_next(request.form.get("next"), url_for("forum.index")))
