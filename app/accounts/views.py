"""Sign up, sign in and out, profiles and settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.accounts import service
from app.accounts.forms import LanguageForm, LoginForm, ProfileForm, RegisterForm
from app.accounts.models import User
from app.auth.access import access
from app.db import db
from app.errors import ValidationFailed
from app.extensions import limiter
from app.forum import service as forum
from app.reputation import service as reputation
from app.web import form_error, safe_next

bp = Blueprint("accounts", __name__)


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the signed-in member for this request's session."""
    try:
        return service.get_user(db.session(), int(user_id))
    except ValueError:
        return None


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
    if form.validate_on_submit():
        data = service.Registration(
            username=form.username.data.strip(),
            email=form.email.data.strip(),
            password=form.password.data,
            locale=session.get("locale", "en"),
        )
        try:
            user = service.register(db.session(), data)
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            login_user(user)
            flash(_("Welcome to the community, %(name)s!", name=user.username), "success")
            return redirect(safe_next(request.args.get("next"), url_for("forum.index")))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@access("visitor")
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("forum.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(db.session(), form.login.data, form.password.data)
        if user is not None:
            db.commit()
            login_user(user, remember=form.remember.data)
            flash(_("Signed in. Welcome back, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("forum.index")))
        form.form_errors.append(_("That username or e-mail and password don't match an account."))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@access("member")
def logout():
    logout_user()
    flash(_("You are signed out."), "info")
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
        recent_points=reputation.ledger(session, user, limit=5).events,
    )


@bp.route("/settings/profile", methods=["GET", "POST"])
@access("member", owner=True)
def settings():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        update = service.ProfileUpdate(
            display_name=form.display_name.data or "", bio=form.bio.data or "", locale=form.locale.data
        )
        try:
            service.update_profile(db.session(), current_user, update)
        except ValidationFailed as error:
            form_error(form, error)
        else:
            db.commit()
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile", username=current_user.username))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/settings.html", form=form), status


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
