"""Sign up, sign in and out, profiles and settings."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_login.utils import decode_cookie
from limits import parse_many

from app.accounts import oidc, service, service_mail, sessions
from app.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    StartCompanySignInForm,
)
from app.accounts.models import User
from app.accounts.throttle import login_throttle
from app.auth.access import access
from app.db import db
from app.errors import BadRequest
from app.extensions import csrf, limiter, user_or_address
from app.forum import service as forum
from app.reputation import service as reputation
from app.reputation.views import REASONS
from app.web import form_status, safe_next, submitted
from app.web.edge import require_same_origin
from app.web.headers import policy_sending_forms_to

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
    if oidc.company_only():
        # Members join through the company's sign-in: its first use creates their account.
        flash(_("Join with your company account: signing in with it the first time creates your account here."), "info")
        return redirect(url_for("accounts.login", next=request.args.get("next")))
    form = RegisterForm()
    done = submitted(form, lambda: service_mail.sign_up(db.session(), _registration(form)) or True)
    if done is None:
        return render_template("accounts/register.html", form=form), form_status()
    # The same answer whether the address was new or already had an account (whose owner was told).
    flash(_("Nearly there: we sent a link to %(email)s. Open it to confirm your address, then sign in.",
            email=form.email.data.strip()), "success")
    return redirect(url_for("accounts.login", next=safe_next(request.args.get("next"), None)))


def _registration(form: RegisterForm) -> service.Registration:
    locale = session.get("locale") or str(get_locale())
    return service.Registration(
        username=form.username.data.strip(),
        email=form.email.data.strip(),
        password=form.password.data,
        locale=locale if locale in service.LOCALES else "en",
    )


@bp.route("/login", methods=["GET", "POST"])
@access("visitor")
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("forum.index"))
    form = LoginForm()
    company_only = oidc.company_only()
    if form.validate_on_submit():
        attempt = service.SignIn(
            form.login.data, form.password.data, request.headers.get("User-Agent", ""), admins_only=company_only
        )
        user = service.sign_in(db.session(), attempt, login_throttle())
        if user is not None:
            db.commit()
            _fresh_session()
            login_user(user, remember=form.remember.data)
            flash(_("Signed in. Welcome back, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("forum.index")))
        form.form_errors.append(_("That username or e-mail and password don't match an account."))
    status = 422 if request.method == "POST" else 200
    page = render_template("accounts/login.html", form=form, **_company_sign_in(company_only))
    response = make_response(page, status)
    if oidc.enabled():
        response.headers["Content-Security-Policy"] = policy_sending_forms_to(*oidc.form_action_origins())
    return response


def _company_sign_in(company_only: bool) -> dict:
    """What the sign-in page shows of the company sign-in: its button, and (OIDC_ONLY) the password form only
    on the admins' fallback page (`?local=1`) or after an attempt there."""
    if not oidc.enabled():
        return {"company_button": None, "show_password": True, "company_only": False}
    text = current_app.config["OIDC_BUTTON_TEXT"] or _("Sign in with your company account")
    show_password = not company_only or request.method == "POST" or request.args.get("local") == "1"
    return {
        "company_button": text,
        "company_form": StartCompanySignInForm(),
        "show_password": show_password,
        "company_only": company_only,
    }


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
        sign_ins = sessions.recent(db.session(), current_user)
        this_device = sessions.token_hash_of(current_user)
        return (
            render_template("accounts/settings.html", form=form, sign_ins=sign_ins, this_device=this_device),
            form_status(),
        )
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("accounts.profile", username=current_user.username))


def _profile_update(form: ProfileForm) -> service.ProfileUpdate:
    return service.ProfileUpdate(
        display_name=form.display_name.data or "", bio=form.bio.data or "", locale=form.locale.data
    )


@bp.post("/language")
@access("visitor")
@csrf.exempt
def set_language():
    """Checked by origin instead of a CSRF token (see LanguageForm)."""
    require_same_origin()
    form = LanguageForm()
    if not form.validate_on_submit():
        flash(_("Unknown language."), "error")
    else:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.commit()
    return redirect(safe_next(request.form.get("next"), url_for("forum.index")))


# --- forgotten passwords, confirmed addresses, password and address changes ----------------------


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _account_mail_limit() -> str:
    return current_app.config["ACCOUNT_MAIL_RATE_LIMIT"]


def _account_allowance(setting: str):
    """Per-account counting in the rate-limit storage: True while `key` may have one more mail."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    items = parse_many(current_app.config[setting])
    return lambda key: all(limiter.limiter.hit(item, "account-mail", key) for item in items)


@bp.route("/forgot-password", methods=["GET", "POST"])
@access("visitor")
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    allow = _account_allowance("PASSWORD_RESET_ACCOUNT_RATE_LIMIT")
    done = submitted(form, lambda: service_mail.request_password_reset(db.session(), form.login.data, allow) or True)
    if done is None:
        return render_template("accounts/forgot_password.html", form=form), form_status()
    # Whether or not it matched an account: the visitor learns nothing about who is registered.
    flash(_("If that matches an account, we have sent a link to its e-mail address. The link works for an hour."),
          "info")
    return redirect(url_for("accounts.login"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@access("visitor")
def reset_password(token: str):
    if request.method == "GET" and not service_mail.link_is_live(db.session(), "reset", token):
        raise BadRequest(service_mail.BAD_LINK)
    form = ResetPasswordForm()
    user = submitted(form, lambda: service_mail.reset_password(db.session(), token, form.password.data))
    if user is None:
        return render_template("accounts/reset_password.html", form=form), form_status()
    if current_user.is_authenticated:
        _fresh_session()
        logout_user()
    flash(_("Your new password is set, and you are signed out everywhere. Sign in with the new password."),
          "success")
    return redirect(url_for("accounts.login"))


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
@access("visitor")
def verify_email(token: str):
    """The link in the mail shows a button: a GET changes nothing (mail scanners open links too)."""
    if request.method == "GET" and not service_mail.link_is_live(db.session(), "verify", token):
        raise BadRequest(service_mail.BAD_LINK)
    form = ConfirmForm()
    user = submitted(form, lambda: service_mail.verify_email(db.session(), token))
    if user is None:
        return render_template("accounts/verify_email.html", form=form), form_status()
    flash(_("Thank you: %(email)s is confirmed.", email=user.email), "success")
    return redirect(url_for("accounts.settings" if current_user.is_authenticated else "accounts.login"))


@bp.post("/settings/verify-email")
@access("member")
@limiter.limit(_account_mail_limit, key_func=user_or_address)
def resend_verification():
    if service_mail.resend_verification(db.session(), current_user):
        db.commit()
        flash(_("We sent a new link to %(email)s.", email=current_user.email), "success")
    else:
        flash(_("Your e-mail address is already confirmed."), "info")
    return redirect(url_for("accounts.settings"))


@bp.route("/settings/password", methods=["GET", "POST"])
@access("member")
def change_password():
    form = ChangePasswordForm()
    user = submitted(form, lambda: _change_password(form))
    if user is None:
        return render_template("accounts/change_password.html", form=form), form_status()
    _fresh_session()
    login_user(user)
    flash(_("Your password is changed. Every other device is signed out."), "success")
    return redirect(url_for("accounts.settings"))


def _change_password(form: ChangePasswordForm) -> User:
    """The new password; every sign-in session ends, and this device gets a new one in the same transaction."""
    member = current_user._get_current_object()  # the row itself: login_user() keeps it for this request
    user = service.change_password(db.session(), member, form.current_password.data, form.password.data)
    sessions.start(db.session(), user, request.headers.get("User-Agent", ""))
    return user


@bp.route("/settings/email", methods=["GET", "POST"])
@access("member")
@limiter.limit(_account_mail_limit, methods=["POST"], key_func=user_or_address)
def change_email():
    form = ChangeEmailForm()
    change = service_mail.EmailChange(password=form.password.data or "", email=(form.email.data or "").strip())
    done = submitted(form, lambda: service_mail.change_email(db.session(), current_user, change) or True)
    if done is None:
        return render_template("accounts/change_email.html", form=form), form_status()
    flash(_("We sent a link to %(email)s. Your address changes when you open it.", email=change.email), "success")
    return redirect(url_for("accounts.settings"))
