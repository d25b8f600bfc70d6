"""Login (a password, then a one-time code for supervisors and administrators), logout,
password change, and the lifetime of a session.

The session is Flask's signed cookie. It is replaced (cleared, with a new CSRF token) when the
password is accepted and again when the login completes, so a session obtained before login
is worth nothing after it. It ends after SESSION_IDLE_MINUTES without a request and, whatever
happens, SESSION_ABSOLUTE_HOURS after the login. No "remember me" cookie is ever issued.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import joinedload

from caseflow.core.json_errors import is_api_request
from caseflow.core.pages import action
from caseflow.core.params import parse_id
from caseflow.db import utcnow
from caseflow.errors import DomainError
from caseflow.extensions import db, limiter, login_manager
from caseflow.users import totp
from caseflow.users.forms import CodeForm, LoginForm, PasswordChangeForm
from caseflow.users.models import User
from caseflow.users.operations import (
    authenticate,
    change_password,
    confirm_second_factor,
    end_all_sessions,
    login_succeeded,
    start_second_factor_enrolment,
    verify_second_factor,
)
from caseflow.users.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "ログインしてください。"
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

# Session keys: when the login completed and when the last request came (seconds since the epoch);
# between the password and the code, who is logging in, since when, and where to go afterwards.
LOGIN_AT = "_login_at"
SEEN_AT = "_seen_at"
# The last activity is noted to the minute: a session changed by every request would be signed and sent
# back as a new cookie with every answer (~3 % of a web process's CPU under bench_load.py), and an
# idle timeout counted in minutes ends at most this much early.
SEEN_AT_STEP_SECONDS = 60
PENDING_USER = "_pending_user"
PENDING_AT = "_pending_at"
PENDING_NEXT = "_pending_next"
PENDING_SECONDS = 5 * 60
# Requests a page makes on its own (a job's progress bar): they do not keep an idle session alive.
PASSIVE_ENDPOINTS = frozenset({"jobs.job_status"})

# One message for an unknown login, a wrong password, a locked or a disabled account: the
# answer must not tell which logins exist.
FAILED_LOGIN = "ログインIDまたはパスワードが正しくありません。続けて誤ると、しばらくの間ログインできなくなります。"
WRONG_CODE = "確認コードが正しくありません。認証アプリに表示されている6桁の数字を入力してください。"
LOCKED_AT_CODE = "確認コードを続けて誤ったため、しばらくの間ログインできません。時間をおいてからやり直してください。"
START_AGAIN = "ログインの有効期限が切れました。もう一度ログインしてください。"
IDLE_TIMEOUT = "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。"
ABSOLUTE_TIMEOUT = "ログインしてから長時間が経過したため、ログアウトしました。もう一度ログインしてください。"


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


# Per client address, on every step that checks a secret; only refusals (401) count.
login_limit = limiter.shared_limit(_login_rate_limit, scope="login", methods=["POST"],
                                   deduct_when=lambda response: response.status_code == 401)


_SESSION_USER = sa.select(User).where(User.id == sa.bindparam("user_id")).options(joinedload(User.role_links))


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The session holds ``<id>:<session token>``: a changed token (logout elsewhere, new password) ends it."""
    number, _, token = user_id.partition(":")
    user_id = parse_id(number)
    if user_id is None:
        return None
    # The roles with the user (and its organisation): every request checks the session, in one statement,
    # built once (caseflow.db.Statements).
    user = db.session.execute(_SESSION_USER, {"user_id": user_id}).unique().scalar_one_or_none()
    if user is None or not user.active or (user.session_token or "") != token:
        return None
    return user


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a phishing link pass through us."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("cases.my_queue")


def _renew_session() -> None:
    """An empty session (a new cookie) and a new CSRF token."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def _complete_login(user: User, next_url: str | None, message: str | None = None):
    login_succeeded(db.session, user)
    _renew_session()
    login_user(user)
    session[LOGIN_AT] = session[SEEN_AT] = int(time.time())
    if message:
        flash(message, "success")
    return redirect(_safe_next(next_url))


def _pending_user() -> User | None:
    """The user who gave the right password in this session a moment ago and still owes a code."""
    user_id, since = session.get(PENDING_USER), session.get(PENDING_AT)
    if not isinstance(user_id, int) or not isinstance(since, int) or time.time() - since > PENDING_SECONDS:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.is_locked(utcnow()):
        return None
    return user


def _start_again():
    _renew_session()
    flash(START_AGAIN, "info")
    return redirect(url_for("auth.login"))


@bp.before_app_request
def _session_lifetime():
    """Log out a session idle too long or logged in too long ago; otherwise note this request."""
    if request.endpoint == "static" or is_api_request() or "_user_id" not in session:
        return None
    now = time.time()
    config = current_app.config
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or now - login_at > config["SESSION_ABSOLUTE_HOURS"] * 3600:
        message = ABSOLUTE_TIMEOUT
    elif not isinstance(seen_at, int) or now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        message = IDLE_TIMEOUT
    else:
        if request.endpoint not in PASSIVE_ENDPOINTS and now - seen_at >= SEEN_AT_STEP_SECONDS:
            session[SEEN_AT] = int(now)
        return None
    logout_user()
    _renew_session()
    flash(message, "info")
    back = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=back))


@bp.route("/login", methods=["GET", "POST"])
@login_limit
@action()
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.my_queue"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.login.data.strip(), form.password.data)  # a failure counts, committed
        if user is None:
            flash(FAILED_LOGIN, "error")
            return render_template("auth/login.html", form=form), 401
        next_url = request.args.get("next")
        if not user.needs_second_factor:
            return _complete_login(user, next_url)
        _renew_session()
        session[PENDING_USER], session[PENDING_AT] = user.id, int(time.time())
        if next_url:
            session[PENDING_NEXT] = next_url
        return redirect(url_for("auth.second_factor" if user.has_second_factor else "auth.enrol_second_factor"))
    return render_template("auth/login.html", form=form)


def _code_refused(user: User):
    """After a wrong code: back to the login page if that locked the account (None otherwise, with a message)."""
    if user.is_locked(utcnow()):
        _renew_session()
        flash(LOCKED_AT_CODE, "error")
        return redirect(url_for("auth.login"))
    flash(WRONG_CODE, "error")
    return None


@bp.route("/login/code", methods=["GET", "POST"])
@login_limit
@action()
def second_factor():
    if current_user.is_authenticated:
        return redirect(url_for("cases.my_queue"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if not user.has_second_factor:
        return redirect(url_for("auth.enrol_second_factor"))
    form = CodeForm()
    if form.validate_on_submit():
        accepted = verify_second_factor(db.session, user, form.code.data)
        if accepted:
            return _complete_login(user, session.get(PENDING_NEXT))
        return _code_refused(user) or (render_template("auth/second_factor.html", form=form), 401)
    return render_template("auth/second_factor.html", form=form)


@bp.route("/login/code/setup", methods=["GET", "POST"])
@login_limit
@action()
def enrol_second_factor():
    if current_user.is_authenticated:
        return redirect(url_for("cases.my_queue"))
    user = _pending_user()
    if user is None:
        return _start_again()
    if user.has_second_factor:
        return redirect(url_for("auth.second_factor"))
    secret = start_second_factor_enrolment(db.session, user)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        accepted = confirm_second_factor(db.session, user, form.code.data)
        if accepted:
            return _complete_login(user, session.get(PENDING_NEXT),
                                   "確認コードを設定しました。次回からは、パスワードの後に確認コードを入力します。")
        if locked := _code_refused(user):
            return locked
        status = 401
    return render_template("auth/enrol_second_factor.html", form=form, secret=totp.grouped(secret),
                           uri=totp.provisioning_uri(secret, user.login, current_app.config["TOTP_ISSUER"]),
                           issuer=current_app.config["TOTP_ISSUER"], account=user.login), status


@bp.route("/logout", methods=["POST"])
@login_required
@action()
def logout():
    # The cookie is kept by the browser and could have been copied: changing the token ends it
    # (and the user's sessions in other browsers).
    end_all_sessions(db.session, current_user._get_current_object())
    logout_user()
    _renew_session()
    flash("ログアウトしました。", "info")
    return redirect(url_for("auth.login"))


# The page's minlength and maxlength are the rules the server checks (caseflow.users.passwords).
PASSWORD_LENGTHS = {"password_min": MIN_PASSWORD_LENGTH, "password_max": MAX_PASSWORD_LENGTH}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@action()
def password():
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(db.session, user, form.current_password.data, form.new_password.data)
        except DomainError as exc:  # answered here, not refused: the count of failures is kept
            flash(exc.message, "error")
            return render_template("auth/password.html", form=form, **PASSWORD_LENGTHS), 422
        # Other sessions ended with the change; this one goes on under a new cookie, with its
        # login time kept (the absolute timeout still counts from the login).
        login_at = session.get(LOGIN_AT)
        _renew_session()
        login_user(user)
        session[LOGIN_AT], session[SEEN_AT] = login_at, int(time.time())
        flash("パスワードを変更しました。", "success")
        return redirect(url_for("auth.password"))
    return render_template("auth/password.html", form=form, **PASSWORD_LENGTHS), 422 if form.errors else 200
