"""Referral forms on the case page, and the organisation's inbox."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from caseflow.cases import forms
from caseflow.cases.access import get_visible_case
from caseflow.core.pages import Done, action
from caseflow.core.params import parse_id
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.organizations.models import Organization
from caseflow.routing import operations

bp = Blueprint("routing", __name__)


@bp.app_context_processor
def _inbox_badge() -> dict:
    """The unread count in the navigation bar, for every page."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    return {"inbox_unread": lambda: operations.unread_count(db.session, current_user)}


def _routing_of_case(case_id: int) -> str:
    return url_for("cases.case_detail", case_id=case_id, _anchor="routing")


def _routing_of_referral(referral_id: int) -> str:
    return _routing_of_case(operations.get_visible_referral(db.session, current_user, referral_id).case_id)


@bp.route("/cases/<int:case_id>/referrals", methods=["POST"])
@login_required
@action(back=_routing_of_case)
def refer(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    target_id = request.form.get("to", "")
    target = db.session.get(Organization, number) if (number := parse_id(target_id)) else None
    if target is None:
        raise DomainError("照会先を選択してください。")
    operations.refer_case(current_user, case, to=target, question=request.form.get("question"),
                          expected_version=forms.version(request.form))
    return Done(f"{target.name}に照会しました。回答が戻るまで、案件は{target.name}が保有します。")


@bp.route("/referrals/<int:referral_id>/answer", methods=["POST"])
@login_required
@action(back=_routing_of_referral)
def answer(referral_id: int):
    referral = operations.get_visible_referral(db.session, current_user, referral_id)
    operations.answer_referral(current_user, referral, answer=request.form.get("answer"),
                               expected_version=forms.version(request.form))
    return Done(f"回答しました。案件は{referral.from_organization.name}に戻りました。")


@bp.route("/inbox")
@login_required
def inbox():
    unread_only = request.args.get("unread") == "1"
    items = operations.inbox(db.session, current_user, unread_only=unread_only)
    return render_template("routing/inbox.html", items=items, unread_only=unread_only,
                           unread=operations.unread_count(db.session, current_user))


@bp.route("/inbox/read", methods=["POST"])
@login_required
@action(back=lambda: url_for("routing.inbox"))
def mark_read():
    ids = [number for value in request.form.getlist("item") if (number := parse_id(value))]
    count = operations.mark_read(db.session, current_user, ids or None)
    return Done(f"{count}件を既読にしました。")
