"""Case pages: lists, my queue, the case with its timeline, and the actions on it."""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from caseflow.cases import filters as saved_filters
from caseflow.cases import forms, operations, queue
from caseflow.cases.access import (
    STAFF_ROLES,
    get_visible_case,
    is_agency_staff,
    sees_personal_facts,
    visible_cases_clause,
)
from caseflow.cases.machine import SPECS
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import (
    FACT_FIELDS,
    OPEN_STATUSES,
    OUTCOME_LABELS,
    OUTCOMES,
    CaseStatus,
    Cause,
    CorrectionOutcome,
    DismissReason,
    FieldVerdict,
    Grade,
    NotificationMethod,
    ViewedOnPortal,
)
from caseflow.core.free_text import ShownInFull
from caseflow.core.japanese import today_jst, wareki, ymd
from caseflow.core.params import parse_count, parse_id
from caseflow.errors import DomainError, NotFound, PermissionDenied
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.users.models import Role, User, UserRole

bp = Blueprint("cases", __name__, url_prefix="/cases")

SORTS = {
    "due": (Case.due_date.asc().nulls_last(), Case.id.asc()),
    "-due": (Case.due_date.desc().nulls_last(), Case.id.desc()),
    "detected": (Case.detected_at.asc(), Case.id.asc()),
    "-detected": (Case.detected_at.desc(), Case.id.desc()),
}


def _list_filters(args) -> dict:
    return {
        "status": args.get("status", ""),
        "grade": args.get("grade", ""),
        "program": args.get("program", ""),
        "assignee": args.get("assignee", ""),
        "batch": args.get("batch", ""),
        "overdue": "1" if args.get("overdue") == "1" else "",
        # From a report's figure: the agency, the status group (OUTCOMES), viewed on the portal, cause.
        "agency": args.get("agency", ""),
        "outcome": args.get("outcome", ""),
        "viewed": args.get("viewed", ""),
        "cause": args.get("cause", ""),
        "sort": args.get("sort", "due") if args.get("sort", "due") in SORTS else "due",
    }


def _filtered_query(filters: dict, *, mine: bool) -> sa.Select:
    stmt = sa.select(Case).where(visible_cases_clause(current_user))
    if mine:
        stmt = stmt.where(Case.assignee_id == current_user.id, Case.status.in_(OPEN_STATUSES))
    if filters["status"]:
        try:
            stmt = stmt.where(Case.status == CaseStatus(filters["status"]))
        except ValueError:
            abort(400)
    if filters["grade"]:
        try:
            stmt = stmt.where(Case.grade == Grade(filters["grade"]))
        except ValueError:
            abort(400)
    if filters["program"]:
        stmt = stmt.where(Case.program_id == _id_filter(filters["program"]))
    if filters["batch"]:
        stmt = stmt.where(Case.batch_id == _id_filter(filters["batch"]))
    if filters["assignee"] == "me":
        stmt = stmt.where(Case.assignee_id == current_user.id)
    elif filters["assignee"] == "none":
        stmt = stmt.where(Case.assignee_id.is_(None))
    elif filters["assignee"]:
        stmt = stmt.where(Case.assignee_id == _id_filter(filters["assignee"]))
    if filters["overdue"]:
        stmt = stmt.where(queue.overdue_clause(today_jst()))
    return _report_filters(stmt, filters)


def _id_filter(value: str) -> int:
    number = parse_id(value)
    if number is None:
        abort(400)
    return number


def _report_filters(stmt: sa.Select, filters: dict) -> sa.Select:
    """The filters a report's figure links with (/reports): the list then shows the cases behind it."""
    if filters["agency"]:
        stmt = stmt.where(Case.agency_id == _id_filter(filters["agency"]))
    if filters["outcome"]:
        if filters["outcome"] not in OUTCOMES:
            abort(400)
        stmt = stmt.where(Case.status.in_(OUTCOMES[filters["outcome"]]))
    if filters["viewed"]:
        if filters["viewed"] != "yes":
            abort(400)
        stmt = stmt.where(Case.viewed_on_portal == ViewedOnPortal.YES)
    if filters["cause"] == "none":
        stmt = stmt.where(Case.cause.is_(None))
    elif filters["cause"]:
        try:
            stmt = stmt.where(Case.cause == Cause(filters["cause"]))
        except ValueError:
            abort(400)
    return stmt


def _render_list(*, mine: bool, args=None, status: int = 200):
    args = request.args if args is None else args
    filters = _list_filters(args)
    page = max(parse_count(args.get("page", "1")) or 1, 1)
    per_page = current_app.config["CASES_PER_PAGE"]
    stmt = _filtered_query(filters, mine=mine)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(math.ceil(total / per_page), 1)
    page = min(page, pages)
    cases = db.session.scalars(
        stmt.order_by(*SORTS[filters["sort"]]).limit(per_page).offset((page - 1) * per_page)
    ).all()
    programs = db.session.scalars(
        sa.select(Program).where(
            Program.id.in_(sa.select(Case.program_id).where(visible_cases_clause(current_user)))
        ).order_by(Program.id)
    ).all()
    assignees = db.session.scalars(
        sa.select(User).where(User.organization_id == current_user.organization_id).order_by(User.display_name)
    ).all()
    today = today_jst()
    return render_template(
        "cases/list.html", cases=cases, filters=filters, page=page, pages=pages, total=total, mine=mine,
        statuses=list(CaseStatus), grades=list(Grade), programs=programs, assignees=assignees,
        today=today, report_filters=_report_filter_labels(filters),
        shows_facts=lambda case: sees_personal_facts(current_user, case), hidden=HIDDEN,
        **_queue_list_context(args, mine=mine, today=today),
    ), status


def _report_filter_labels(filters: dict) -> list[tuple[str, str, str]]:
    """(key, value, what it means) of the report filters in force, shown above the list."""
    shown = []
    if filters["agency"]:
        agency = db.session.get(Organization, int(filters["agency"]))
        shown.append(("agency", filters["agency"], f"紐付け実施機関：{agency.name if agency else '—'}"))
    if filters["outcome"]:
        shown.append(("outcome", filters["outcome"], OUTCOME_LABELS[filters["outcome"]]))
    if filters["viewed"]:
        shown.append(("viewed", "yes", "マイナポータルで閲覧あり"))
    if filters["cause"]:
        label = "原因未入力" if filters["cause"] == "none" else Cause(filters["cause"]).label
        shown.append(("cause", filters["cause"], f"原因：{label}"))
    return shown


@bp.route("/")
@login_required
def case_list():
    return _render_list(mine=False)


@bp.route("/mine")
@login_required
def my_queue():
    return _render_list(mine=True)


HIDDEN = "（非表示）"


def _fact_rows(case: Case, *, shown: bool) -> list[dict]:
    rows = []
    for field, label in FACT_FIELDS:
        record = getattr(case, f"record_{field}")
        registry = getattr(case, f"registry_{field}")
        verdict = case.verdict(field)
        rows.append({
            "field": field,
            "label": label,
            "record": _display(record) if shown else HIDDEN,
            "registry": _display(registry) if shown else HIDDEN,
            "verdict": verdict,
            "differs": verdict not in (None, FieldVerdict.MATCH, FieldVerdict.NOTATION),
        })
    return rows


def _display(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "label"):
        return value.label
    if hasattr(value, "isoformat"):
        return f"{ymd(value)}（{wareki(value)}）"
    return str(value)


def _render_case(case: Case, status: int = 200, *, revealed_number: str | None = None,
                 facts_revealed: bool = False):
    events = db.session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    actions = operations.available_actions(case, current_user)
    # Other cases with the same My Number, of those the viewer may see (found through the look-up digest).
    same_number_cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(
        Case.registered_number_digest == case.registered_number_digest, Case.id != case.id,
        visible_cases_clause(current_user)))
    facts_shown = facts_revealed or sees_personal_facts(current_user, case)
    return render_template(
        "cases/detail.html", case=case, facts=_fact_rows(case, shown=facts_shown), events=events, actions=actions,
        facts_shown=facts_shown, facts_revealed=facts_revealed,
        same_number_cases=same_number_cases,
        **_letter_context(case), **_routing_context(case), **_queue_context(case),
        specs=SPECS, causes=list(Cause), dismiss_reasons=list(DismissReason), viewed_choices=list(ViewedOnPortal),
        notification_methods=list(NotificationMethod), outcomes=list(CorrectionOutcome),
        trigger_labels=operations.EVENT_LABELS, today=today_jst(),
        revealed_number=revealed_number, may_reveal=is_agency_staff(current_user, case) and case.facts_disposed_at is None,
    ), status


def _reveal(case_id: int, reveal: str, shown):
    """Record a display with its purpose (``caseflow.audit.operations.<reveal>``), then show the case
    with what ``shown(value)`` gives the page.

    A refused display (no purpose …) goes back to the case page with the message; nothing is recorded.
    """
    from caseflow.audit import operations as audit

    case = get_visible_case(db.session, case_id, current_user)
    try:
        value = getattr(audit, reveal)(db.session, current_user, case, purpose=request.form.get("purpose", ""),
                                       remote_addr=request.remote_addr)
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("cases.case_detail", case_id=case_id))
    db.session.commit()
    return _render_case(case, **shown(value))


@bp.route("/<int:case_id>/number", methods=["POST"])
@login_required
def reveal_number(case_id: int):
    """The full My Number, for the holding agency's staff, with a purpose; the display is recorded first."""
    return _reveal(case_id, "reveal_number", lambda number: {"revealed_number": ShownInFull(number)})


@bp.route("/<int:case_id>/facts", methods=["POST"])
@login_required
def reveal_facts(case_id: int):
    """The people's facts, for an overseeing officer who states a purpose; the display is recorded first."""
    return _reveal(case_id, "reveal_personal_facts", lambda _nothing: {"facts_revealed": True})


def _routing_context(case: Case) -> dict:
    """The case page's holder and referrals section (caseflow.routing)."""
    from caseflow.routing import operations as routing

    current = routing.open_referral(case)
    return {
        "holder": case.holder or case.agency, "referrals": routing.referrals_of(db.session, case),
        "open_referral": current, "referral_targets": routing.referral_targets(case, current_user),
        "may_answer": current is not None and routing.speaks_for(current_user, current.to_organization),
    }


def _letter_context(case: Case) -> dict:
    """The case page's letters section (caseflow.letters)."""
    from caseflow.letters import operations as letters
    from caseflow.letters.models import ReturnReason

    issued = letters.letters_of(db.session, case)
    staff = is_agency_staff(current_user, case)
    return {
        "show_letters": bool(issued) or (staff and case.status in (CaseStatus.CONFIRMED, CaseStatus.CORRECTED,
                                                                    CaseStatus.NOTIFIED)),
        "letters": issued, "letter_kinds": letters.letter_kinds_for(case),
        "recipient_missing": letters.recipient_problems(case) if letters.may_issue(case) else [],
        "may_handle_letters": staff, "may_issue_letters": staff and letters.may_issue(case),
        "return_reasons": list(ReturnReason),
    }


@bp.route("/<int:case_id>")
@login_required
def case_detail(case_id: int):
    return _render_case(get_visible_case(db.session, case_id, current_user))


def _act(case_id: int, action) -> object:
    """Run one operation for the current user, commit once, and go back to the case.

    A refused action re-renders the case with the reason and the right status
    code; nothing of it is kept.
    """
    case = get_visible_case(db.session, case_id, current_user)
    try:
        message = action(case)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        case = get_visible_case(db.session, case_id, current_user)
        flash(exc.message, "error")
        return _render_case(case, exc.status_code)
    flash(message, "success")
    return redirect(url_for("cases.case_detail", case_id=case_id))


@bp.route("/<int:case_id>/transitions/<trigger>", methods=["POST"])
@login_required
def fire_transition(case_id: int, trigger: str):
    if trigger not in SPECS:
        abort(404)

    def action(case: Case) -> str:
        operations.fire(case, trigger, current_user, expected_version=forms.version(request.form),
                        **forms.transition_arguments(trigger, request.form))
        return f"「{SPECS[trigger].label}」を記録しました。"

    return _act(case_id, action)


@bp.route("/<int:case_id>/correction", methods=["POST"])
@login_required
def propose_correction(case_id: int):
    def action(case: Case) -> str:
        operations.propose_correction(case, current_user, expected_version=forms.version(request.form),
                                      **forms.correction_arguments(request.form))
        return "訂正内容を登録しました。承認者の承認を待っています。"

    return _act(case_id, action)


@bp.route("/<int:case_id>/correction/return", methods=["POST"])
@login_required
def return_correction(case_id: int):
    def action(case: Case) -> str:
        operations.return_correction(case, current_user, expected_version=forms.version(request.form),
                                     comment=forms.comment_argument(request.form))
        return "訂正内容を差し戻しました。"

    return _act(case_id, action)


@bp.route("/<int:case_id>/viewing", methods=["POST"])
@login_required
def set_viewing(case_id: int):
    def action(case: Case) -> str:
        suspended = forms.suspended_argument(request.form)
        operations.set_viewing_suspended(case, current_user, suspended=suspended,
                                         expected_version=forms.version(request.form),
                                         comment=forms.comment_argument(request.form))
        return "マイナポータルでの閲覧を停止しました。" if suspended else "閲覧停止を解除しました。"

    return _act(case_id, action)


@bp.route("/<int:case_id>/comments", methods=["POST"])
@login_required
def add_comment(case_id: int):
    def action(case: Case) -> str:
        operations.add_comment(case, current_user, comment=forms.comment_argument(request.form))
        return "コメントを追加しました。"

    return _act(case_id, action)


# --- queues and deadlines (caseflow.cases.queue, caseflow.cases.filters) ------------------------------

_LIST_PAGES = {"list": "cases.case_list", "mine": "cases.my_queue"}


def _staff_members(case: Case | None = None) -> list[User]:
    """Active caseworkers and supervisors of the current user's organisation (who may hold ``case``)."""
    has_staff_role = sa.exists().where(UserRole.user_id == User.id, UserRole.role.in_(STAFF_ROLES))
    users = db.session.scalars(
        sa.select(User).where(User.organization_id == current_user.organization_id, User.active, has_staff_role)
        .order_by(User.display_name, User.id)
    ).all()
    return [u for u in users if case is None or is_agency_staff(u, case)]


def _list_query(args) -> str:
    """The list's filters as a query string (for saving them, and for coming back after a POST)."""
    try:
        return saved_filters.normalize_query(urlencode([(k, v) for k, v in args.items(multi=True)]))
    except DomainError:
        return ""


def _queue_list_context(args, *, mine: bool, today) -> dict:
    """The list pages' overdue marks, bulk assignment (supervisors) and saved filters."""
    may_bulk_assign = current_user.has_role(Role.SUPERVISOR)
    return {
        "is_overdue": lambda case: queue.is_overdue(case, today),
        "may_bulk_assign": may_bulk_assign,
        "bulk_staff": _staff_members() if may_bulk_assign else [],
        "saved_filters": saved_filters.saved_filters_of(db.session, current_user),
        "list_query": _list_query(args),
        "list_page": "mine" if mine else "list",
        "list_endpoint": _LIST_PAGES["mine" if mine else "list"],
    }


def _queue_context(case: Case) -> dict:
    """The case page's 担当にする／担当を外す／担当者を変更 forms (templates/cases/_queue_actions.html)."""
    actions = queue.available_queue_actions(case, current_user)
    staff = [u for u in _staff_members(case) if u.id != case.assignee_id] if "reassign" in actions else []
    return {"queue_actions": actions, "queue_staff": staff}


def _staff_member(form) -> User:
    user_id = forms.id_argument(form, "to", "担当者")
    user = db.session.scalars(
        sa.select(User).where(User.id == user_id, User.organization_id == current_user.organization_id)
    ).one_or_none()
    if user is None:
        raise DomainError("選択された職員が見つかりません。画面を再読み込みしてください。")
    return user


@bp.route("/<int:case_id>/claim", methods=["POST"])
@login_required
def claim(case_id: int):
    def action(case: Case) -> str:
        queue.claim_case(case, current_user, expected_version=forms.version(request.form))
        return "この案件を自分の担当にしました。"

    return _act(case_id, action)


@bp.route("/<int:case_id>/release", methods=["POST"])
@login_required
def release(case_id: int):
    def action(case: Case) -> str:
        queue.release_case(case, current_user, expected_version=forms.version(request.form),
                           comment=forms.comment_argument(request.form))
        return "担当を外しました。この案件は未割当になりました。"

    return _act(case_id, action)


@bp.route("/<int:case_id>/reassign", methods=["POST"])
@login_required
def reassign(case_id: int):
    def action(case: Case) -> str:
        queue.check_may_supervise(current_user)  # who may, before whom to: a refusal of access first
        to = _staff_member(request.form)
        queue.reassign_case(case, current_user, to=to, expected_version=forms.version(request.form),
                            comment=forms.comment_argument(request.form))
        return f"担当者を{to.display_name}さんに変更しました。"

    return _act(case_id, action)


def _back_to_list(form) -> tuple[str, str]:
    page = form.get("return_to", "list")
    if page not in _LIST_PAGES:
        abort(400)
    return page, _list_query(MultiDict(parse_qsl(form.get("query", ""))))


def _list_url(page: str, query: str) -> str:
    return url_for(_LIST_PAGES[page]) + (f"?{query}" if query else "")


def _list_refused(exc: DomainError, page: str, query: str):
    db.session.rollback()
    flash(exc.message, "error")
    return _render_list(mine=page == "mine", args=MultiDict(parse_qsl(query)), status=exc.status_code)


@bp.route("/bulk-assign", methods=["POST"])
@login_required
def bulk_assign():
    page, query = _back_to_list(request.form)
    try:
        queue.check_may_supervise(current_user)
        to = _staff_member(request.form)
        count = queue.bulk_assign(db.session, current_user, forms.case_ids_argument(request.form), to=to)
        db.session.commit()
    except DomainError as exc:
        return _list_refused(exc, page, query)
    flash(f"{count}件を{to.display_name}さんの担当にしました。", "success")
    return redirect(_list_url(page, query))


@bp.route("/filters", methods=["POST"])
@login_required
def save_filter():
    page, _query = _back_to_list(request.form)
    query = request.form.get("query", "")
    try:
        saved = saved_filters.save_filter(db.session, current_user, name=request.form.get("name"), query=query)
        db.session.commit()
    except DomainError as exc:
        return _list_refused(exc, page, _query)
    flash(f"絞り込み「{saved.name}」を保存しました。", "success")
    return redirect(_list_url(page, saved.query))


@bp.route("/filters/<int:filter_id>/delete", methods=["POST"])
@login_required
def delete_filter(filter_id: int):
    page, query = _back_to_list(request.form)
    name = saved_filters.delete_filter(db.session, current_user, filter_id)  # another user's: 404
    db.session.commit()
    flash(f"絞り込み「{name}」を削除しました。", "success")
    return redirect(_list_url(page, query))


SUPERVISION_LIMIT = 200


@bp.route("/supervision")
@login_required
def supervision():
    """承認待ち・期限超過: what a supervisor must look at, with counts."""
    queue.check_may_supervise(current_user)
    today = today_jst()
    approvals = queue.approvals_waiting(db.session, current_user)
    overdue = queue.overdue_cases(db.session, current_user, today=today, limit=SUPERVISION_LIMIT)
    return render_template(
        "cases/supervision.html", approvals=approvals, overdue=overdue, today=today,
        overdue_total=queue.count_overdue(db.session, current_user, today=today),
        escalated=queue.escalation_times(db.session, (c.id for c in overdue)),
        days_overdue={c.id: (today - c.due_date).days for c in overdue},
    )
