"""Login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from caseflow.extensions import db, login_manager
from caseflow.users.forms import LoginForm
from caseflow.users.models import User
from caseflow.users.operations import authenticate

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "ログインしてください。"
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would let a phishing link pass through us."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("cases.my_queue")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.my_queue"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, form.login.data.strip(), form.password.data)
        if user is not None:
            db.session.commit()
            session.clear()  # a fresh session at login (no fixation)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash("ログインIDまたはパスワードが正しくありません。", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("auth.login"))
