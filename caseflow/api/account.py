"""The page where a signed-in user issues and revokes their own API tokens (/account/tokens)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from caseflow.api import operations
from caseflow.api.models import TOKEN_NAME_MAX
from caseflow.core.json_errors import API_PREFIX
from caseflow.core.pages import Done, action
from caseflow.extensions import db

bp = Blueprint("api_tokens", __name__, url_prefix="/account")


@bp.after_request
def _no_store(response):
    # The page shows a new token once: no cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(*, new_token: str | None = None, status: int = 200):
    return render_template(
        "api/tokens.html", tokens=operations.tokens_of(db.session, current_user), new_token=new_token,
        name_max=TOKEN_NAME_MAX, openapi_url=f"{API_PREFIX}/openapi.json",
    ), status


@bp.route("/tokens")
@login_required
def tokens():
    return _render()


@bp.route("/tokens", methods=["POST"])
@login_required
@action(refused=lambda exc: _render(status=exc.status_code))
def issue():
    _token, plaintext = operations.issue_token(db.session, current_user, request.form.get("name"))
    # Shown in this response only, never flashed: flashed messages travel in the session cookie.
    return _render(new_token=plaintext, status=201)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
@action(back=lambda token_id: url_for("api_tokens.tokens"))
def revoke(token_id: int):
    token = operations.get_own_token(db.session, current_user, token_id)
    operations.revoke_token(db.session, token)
    return Done(f"トークン「{token.name}」を無効にしました。このトークンは今後使えません。")
