"""Case pages: lists, my queue, the case with its timeline, and the actions on it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import defaultload
from werkzeug.datastructures import MultiDict

from caseflow.cases import export, forms, listing, operations, queue, table
from caseflow.cases import filters as saved_filters
from caseflow.cases.access import get_case_for_page, get_visible_case, named_only, visible_cases_clause
from caseflow.cases.machine import SPECS
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import (
    FACT_FIELDS,
    OUTCOME_LABELS,
    CaseSource,
    CaseStatus,
    Cause,
    DismissReason,
    FieldVerdict,
    Grade,
    IdentityMethod,
    NotificationMethod,
    ProposalKind,
    ViewedOnPortal,
)
from caseflow.core.free_text import ShownInFull
from caseflow.core.japanese import today_jst, wareki, ymd
from caseflow.core.pages import Done, action
from caseflow.core.params import parse_count
from caseflow.core.views import XLSX_MIMETYPE, download
from caseflow.db import Statements
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.policy import Permission, audience, may, roles_with
from caseflow.users.models import User, UserRole

bp = Blueprint("cases", __name__, url_prefix="/cases")
for _global in (table.status_badge, table.grade_badge, table.case_rows):
    bp.add_app_template_global(_global)

def _list_filters(args) -> dict:
    """The list's filters as typed (the form shows them); an unknown sort is the default."""
    filters = {key: args.get(key, "") for key in listing.FILTER_KEYS}
    for checkbox in ("overdue", "viewing", "identification"):  # anything but the checkbox's value is off
        filters[checkbox] = filters[checkbox] if filters[checkbox] in ("1", "pending", "waiting") else ""
    filters["sort"] = args.get("sort", "") if args.get("sort", "") in listing.SORTS else listing.DEFAULT_SORT
    return filters


def _render_list(*, mine: bool, args=None, status: int = 200):
    args = request.args if args is None else args
    filters = _list_filters(args)
    try:
        read = listing.read_filters(filters)
    except listing.BadFilter:
        abort(400)
    today = today_jst()
    stmt = listing.case_query(current_user, read, today=today, mine=mine)
    result = listing.page_of(db.session, stmt, sort=filters["sort"], page=parse_count(args.get("page", "1")) or 1,
                             per_page=current_app.config["CASES_PER_PAGE"], clamp=True, count_cap=listing.COUNT_CAP)
    # The programs of the cases the user sees: a probe per program (index on program, agency), not
    # a pass over all the cases.
    programs = db.session.scalars(_LIST_PROGRAMS.get(audience(current_user, Permission.CASE_VIEW), lambda: (
        sa.select(Program).where(sa.exists().where(Case.program_id == Program.id, visible_cases_clause(current_user)))
        .order_by(Program.id)))).all()
    # the filter's choices: ids and names
    assignees = db.session.execute(_ASSIGNEES, {"organization_id": current_user.organization_id}).all()
    return render_template(
        "cases/list.html", cases=result.cases, filters=filters, page=result.page, pages=result.pages,
        total=result.total, capped=result.capped, awaiting=result.awaiting, mine=mine,
        statuses=list(CaseStatus), grades=list(Grade), viewed_choices=list(ViewedOnPortal), sources=list(CaseSource),
        programs=programs,
        assignees=assignees, export_urls=_export_urls(args, mine=mine),
        today=today, report_filters=_report_filter_labels(filters),
        shows_facts=facts_shown_per_case(), hidden=export.HIDDEN,
        **_queue_list_context(args, mine=mine, today=today),
    ), status


def facts_shown_per_case():
    """Whether the current user sees a case's people's facts (the policy's ``case.facts``), asked once
    per agency, holder and program on a page of cases: the answer depends on nothing else of a case."""
    answers: dict[tuple, bool] = {}

    def shown(case: Case) -> bool:
        key = (case.agency_id, case.holder_id, case.program_id)
        if key not in answers:
            answers[key] = may(current_user, Permission.CASE_FACTS, case)
        return answers[key]

    return shown


def _export_urls(args, *, mine: bool) -> dict[str, str]:
    """The list's CSV and Excel downloads with the same filters and order (every page)."""
    query = {key: args[key] for key in saved_filters.QUERY_KEYS if args.get(key)}
    return {fmt: url_for("cases.export_list", fmt=fmt, mine=mine, **query) for fmt in ("csv", "xlsx")}


def _report_filter_labels(filters: dict) -> list[tuple[str, str, str]]:
    """(key, value, what it means) of the report filters in force, shown above the list."""
    shown = []
    if filters["agency"]:
        agency = db.session.get(Organization, int(filters["agency"]))
        shown.append(("agency", filters["agency"], f"紐付け実施機関：{agency.name if agency else '—'}"))
    if filters["outcome"]:
        shown.append(("outcome", filters["outcome"], OUTCOME_LABELS[filters["outcome"]]))
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


@bp.route("/export.<fmt>", defaults={"mine": False})
@bp.route("/mine/export.<fmt>", defaults={"mine": True})
@login_required
def export_list(fmt: str, mine: bool):
    """The list with its filters in force as CSV or Excel (never a My Number: caseflow.cases.export)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    try:
        read = listing.read_filters(_list_filters(request.args))
    except listing.BadFilter:
        abort(400)
    today = today_jst()
    stmt = listing.case_query(current_user, read, today=today, mine=mine)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if total > export.EXPORT_MAX_ROWS:
        flash(f"出力できるのは{export.EXPORT_MAX_ROWS:,}件までです（該当{total:,}件）。絞り込んでから出力してください。",
              "error")
        return redirect(url_for("cases.my_queue" if mine else "cases.case_list", **request.args))
    cases = db.session.scalars(stmt.order_by(*listing.SORTS[_list_filters(request.args)["sort"]]))
    lines = export.rows(cases, shows_facts=lambda case: may(current_user, Permission.CASE_FACTS, case), today=today)
    stem = f"anken_{today:%Y%m%d}"
    if fmt == "csv":
        return download(export.cases_csv(lines), "text/csv; charset=utf-8", f"{stem}.csv")
    title = f"{'自分の担当' if mine else '案件一覧'}（{today:%Y年%-m月%-d日}現在・{total:,}件）"
    return download(export.cases_xlsx(lines, title=title), XLSX_MIMETYPE, f"{stem}.xlsx")


def _fact_rows(case: Case, *, shown: bool) -> list[dict]:
    rows = []
    for field, label in FACT_FIELDS:
        record = getattr(case, f"record_{field}")
        registry = getattr(case, f"registry_{field}")
        verdict = case.verdict(field)
        rows.append({
            "field": field,
            "label": label,
            "record": _display(record) if shown else export.HIDDEN,
            "registry": _display(registry) if shown else export.HIDDEN,
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


def _page_sections() -> dict[str, type]:
    """The case page's sections with rows of their own: ``get_case_for_page`` asks whether the case has
    any, in the case's statement, and a section is read only when it has (a case just detected has none)."""
    from caseflow.evidence.models import Evidence
    from caseflow.letters.models import Letter, Recipient
    from caseflow.routing.models import Referral

    return {"letters": Letter, "recipients": Recipient, "referrals": Referral, "evidence": Evidence}


# The statements of every case page and list, built once (caseflow.db.Statements): the timeline of a
# case, the filters' programs (those of the cases the viewer may see, kept per audience) and assignees.
_TIMELINE = (sa.select(CaseEvent).where(CaseEvent.case_id == sa.bindparam("case_id", type_=sa.Integer))
             .order_by(CaseEvent.id).options(named_only(defaultload(CaseEvent.actor))))
_ASSIGNEES = (sa.select(User.id, User.display_name)
              .where(User.organization_id == sa.bindparam("organization_id", type_=sa.Integer))
              .order_by(User.display_name))
_LIST_PROGRAMS = Statements()


def _render_case(case: Case, status: int = 200, *, revealed_number: str | None = None,
                 facts_revealed: bool = False, same_number_cases: int | None = None, has: dict[str, bool] | None = None):
    """The case page; ``same_number_cases`` as ``get_case_for_page`` counts them (None: counted here);
    ``has``: which of ``_page_sections`` the case has rows in (None: each section is read)."""
    has = has if has is not None else dict.fromkeys(_page_sections(), True)
    events = db.session.scalars(_TIMELINE, {"case_id": case.id}).all()
    actions = operations.available_actions(case, current_user)
    if same_number_cases is None:  # other cases with the same My Number, of those the viewer may see
        same_number_cases = db.session.scalar(sa.select(sa.func.count()).select_from(Case).where(
            Case.registered_number_digest == case.registered_number_digest, Case.id != case.id,
            visible_cases_clause(current_user)))
    facts_shown = facts_revealed or may(current_user, Permission.CASE_FACTS, case)
    return render_template(
        "cases/detail.html", case=case, facts=_fact_rows(case, shown=facts_shown), events=events, actions=actions,
        facts_shown=facts_shown, facts_revealed=facts_revealed,
        same_number_cases=same_number_cases,
        **_letter_context(case, has), **_routing_context(case, has), **_queue_context(case),
        **_evidence_context(case, facts_shown, has), **_intake_context(case),
        specs=SPECS, causes=list(Cause), dismiss_reasons=list(DismissReason), viewed_choices=list(ViewedOnPortal),
        notification_methods=list(NotificationMethod), outcomes=operations.outcomes_for(case),
        max_query_matches=operations.MAX_QUERY_MATCHES,
        trigger_labels=operations.EVENT_LABELS, today=today_jst(),
        identity_methods=list(IdentityMethod), describe_event=operations.describe_event,
        revealed_number=revealed_number, may_reveal=may(current_user, Permission.NUMBER_REVEAL, case) and case.facts_disposed_at is None,
    ), status


def _intake_context(case: Case) -> dict:
    """The case page's 住民基本台帳の情報を入力 form for a case opened by hand (caseflow.intake)."""
    from caseflow.intake.views import case_section_context

    return case_section_context(case)


def _evidence_context(case: Case, facts_shown: bool, has: dict[str, bool]) -> dict:
    """The case page's evidence section (caseflow.evidence): shown to those who see the people's facts."""
    from caseflow.evidence import operations as evidence

    show = facts_shown and may(current_user, Permission.CASE_FACTS, case)
    return {
        "show_evidence": show,
        "evidence": evidence.evidence_of(db.session, case) if show and has["evidence"] else [],
        "may_add_evidence": may(current_user, Permission.CASE_ACT, case) and case.status in evidence.OPEN_FOR_EVIDENCE,
        "evidence_max_mb": evidence.EVIDENCE_MAX_BYTES // 1024**2, "evidence_types": evidence.ACCEPTED,
    }


def _case_page(case_id: int, **_args) -> str:
    return url_for("cases.case_detail", case_id=case_id)


def _case_refused(exc: DomainError, case_id: int, **_args):
    """A refused action shows the case again, with the reason and the refusal's status code."""
    return _render_case(get_visible_case(db.session, case_id, current_user), exc.status_code)


@bp.route("/<int:case_id>/number", methods=["POST"])
@login_required
@action(back=_case_page)
def reveal_number(case_id: int):
    """The full My Number, for the holding agency's staff, with a purpose; the display is recorded first."""
    from caseflow.audit.operations import reveal_number as reveal

    case = get_visible_case(db.session, case_id, current_user)
    number = reveal(db.session, current_user, case, purpose=request.form.get("purpose", ""),
                    remote_addr=request.remote_addr)
    return _render_case(case, revealed_number=ShownInFull(number))


@bp.route("/<int:case_id>/facts", methods=["POST"])
@login_required
@action(back=_case_page)
def reveal_facts(case_id: int):
    """The people's facts, for an overseeing officer who states a purpose; the display is recorded first."""
    from caseflow.audit.operations import reveal_personal_facts

    case = get_visible_case(db.session, case_id, current_user)
    reveal_personal_facts(db.session, current_user, case, purpose=request.form.get("purpose", ""),
                          remote_addr=request.remote_addr)
    return _render_case(case, facts_revealed=True)


def _routing_context(case: Case, has: dict[str, bool]) -> dict:
    """The case page's holder and referrals section (caseflow.routing)."""
    from caseflow.routing import operations as routing

    referrals = routing.referrals_of(db.session, case) if has["referrals"] else []
    current = routing.open_referral(case, referrals)
    return {
        "holder": case.holder or case.agency, "referrals": referrals,
        "open_referral": current, "referral_targets": routing.referral_targets(case, current_user, referrals),
        "may_answer": current is not None and may(current_user, Permission.REFERRAL_ANSWER, current),
    }


def _letter_context(case: Case, has: dict[str, bool]) -> dict:
    """The case page's letters section (caseflow.letters): its recipients per party and its letters."""
    from caseflow.letters.views import case_section_context

    return case_section_context(case, has_letters=has["letters"], has_recipients=has["recipients"])


@bp.route("/<int:case_id>")
@login_required
def case_detail(case_id: int):
    case, same_number_cases, has = get_case_for_page(db.session, case_id, current_user, sections=_page_sections())
    return _render_case(case, same_number_cases=same_number_cases, has=has)


@bp.route("/<int:case_id>/transitions/<trigger>", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def fire_transition(case_id: int, trigger: str):
    if trigger not in SPECS:
        abort(404)
    case = get_visible_case(db.session, case_id, current_user)
    operations.fire(case, trigger, current_user, expected_version=forms.version(request.form),
                    **forms.transition_arguments(trigger, request.form))
    return Done(f"「{SPECS[trigger].label}」を記録しました。")


@bp.route("/<int:case_id>/correction", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def propose_correction(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.propose_correction(case, current_user, expected_version=forms.version(request.form),
                                  **forms.correction_arguments(request.form))
    return Done("訂正内容を登録しました。承認者の承認を待っています。")


@bp.route("/<int:case_id>/correction/return", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def return_correction(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.return_correction(case, current_user, expected_version=forms.version(request.form),
                                 comment=forms.comment_argument(request.form))
    return Done("訂正内容を差し戻しました。")


@bp.route("/<int:case_id>/correction/withdraw", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def withdraw_correction(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.withdraw_proposal(case, current_user, ProposalKind.CORRECTION,
                                 expected_version=forms.version(request.form),
                                 comment=forms.comment_argument(request.form))
    return Done("訂正内容を取り下げました。")


@bp.route("/<int:case_id>/dismissal", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def propose_dismissal(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.propose_dismissal(case, current_user, expected_version=forms.version(request.form),
                                 **forms.dismissal_arguments(request.form))
    return Done("誤りなしの判断を登録しました。承認者の承認を待っています。")


@bp.route("/<int:case_id>/dismissal/return", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def return_dismissal(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.return_dismissal(case, current_user, expected_version=forms.version(request.form),
                                comment=forms.comment_argument(request.form))
    return Done("誤りなしの判断を差し戻しました。")


@bp.route("/<int:case_id>/dismissal/withdraw", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def withdraw_dismissal(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.withdraw_proposal(case, current_user, ProposalKind.DISMISSAL,
                                 expected_version=forms.version(request.form),
                                 comment=forms.comment_argument(request.form))
    return Done("誤りなしの判断を取り下げました。")


@bp.route("/<int:case_id>/viewed", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def amend_viewed(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.amend_viewed(case, current_user, expected_version=forms.version(request.form),
                            comment=forms.comment_argument(request.form), **forms.viewed_arguments(request.form))
    return Done("マイナポータルでの閲覧の有無を修正しました。")


@bp.route("/<int:case_id>/cause", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def amend_cause(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.amend_cause(case, current_user, expected_version=forms.version(request.form),
                           comment=forms.comment_argument(request.form), **forms.cause_arguments(request.form))
    return Done("主な原因を修正しました。")


@bp.route("/<int:case_id>/viewing", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def set_viewing(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    suspended = forms.suspended_argument(request.form)
    operations.set_viewing_suspended(case, current_user, suspended=suspended,
                                     expected_version=forms.version(request.form),
                                     comment=forms.comment_argument(request.form))
    return Done("マイナポータルでの閲覧を停止しました。" if suspended else "閲覧停止を解除しました。")


@bp.route("/<int:case_id>/comments", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def add_comment(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    operations.add_comment(case, current_user, comment=forms.comment_argument(request.form))
    return Done("コメントを追加しました。")


# --- queues and deadlines (caseflow.cases.queue, caseflow.cases.filters) ------------------------------

_LIST_PAGES = {"list": "cases.case_list", "mine": "cases.my_queue"}


def _staff_members(case: Case | None = None) -> list[User]:
    """Active caseworkers and supervisors of the current user's organisation (who may hold ``case``)."""
    has_staff_role = sa.exists().where(UserRole.user_id == User.id, UserRole.role.in_(roles_with(Permission.CASE_ACT)))
    users = db.session.scalars(
        sa.select(User).where(User.organization_id == current_user.organization_id, User.active, has_staff_role)
        .order_by(User.display_name, User.id)
    ).all()
    return [u for u in users if case is None or may(u, Permission.CASE_ACT, case)]


def _list_query(args) -> str:
    """The list's filters as a query string (for saving them, and for coming back after a POST)."""
    try:
        return saved_filters.normalize_query(urlencode([(k, v) for k, v in args.items(multi=True)]))
    except DomainError:
        return ""


def _queue_list_context(args, *, mine: bool, today) -> dict:
    """The list pages' overdue marks, bulk assignment (supervisors) and saved filters."""
    may_bulk_assign = may(current_user, Permission.CASE_SUPERVISE)
    return {
        "is_overdue": lambda case: queue.is_overdue(case, today),
        "may_bulk_assign": may_bulk_assign,
        "bulk_staff": _staff_members() if may_bulk_assign else [],
        "saved_filters": saved_filters.saved_filters_of(db.session, current_user),
        "filter_name_max": saved_filters.NAME_MAX,
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
@action(back=_case_page, refused=_case_refused)
def claim(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    queue.claim_case(case, current_user, expected_version=forms.version(request.form))
    return Done("この案件を自分の担当にしました。")


@bp.route("/<int:case_id>/release", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def release(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    queue.release_case(case, current_user, expected_version=forms.version(request.form),
                       comment=forms.comment_argument(request.form))
    return Done("担当を外しました。この案件は未割当になりました。")


@bp.route("/<int:case_id>/reassign", methods=["POST"])
@login_required
@action(back=_case_page, refused=_case_refused)
def reassign(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    queue.check_may_supervise(current_user)  # who may, before whom to: a refusal of access first
    to = _staff_member(request.form)
    queue.reassign_case(case, current_user, to=to, expected_version=forms.version(request.form),
                        comment=forms.comment_argument(request.form))
    return Done(f"担当者を{to.display_name}さんに変更しました。")


def _back_to_list(form) -> tuple[str, str]:
    page = form.get("return_to", "list")
    if page not in _LIST_PAGES:
        abort(400)
    return page, _list_query(MultiDict(parse_qsl(form.get("query", ""))))


def _list_url(page: str, query: str) -> str:
    return url_for(_LIST_PAGES[page]) + (f"?{query}" if query else "")


def _back_to_the_list() -> str:
    return _list_url(*_back_to_list(request.form))


def _list_refused(exc: DomainError):
    """A refused list action shows the list again, as it was, with the reason."""
    page, query = _back_to_list(request.form)
    return _render_list(mine=page == "mine", args=MultiDict(parse_qsl(query)), status=exc.status_code)


@bp.route("/bulk-assign", methods=["POST"])
@login_required
@action(back=_back_to_the_list, refused=_list_refused)
def bulk_assign():
    _back_to_list(request.form)  # a wrong page is a 400 before anything is done
    queue.check_may_supervise(current_user)
    to = _staff_member(request.form)
    count = queue.bulk_assign(db.session, current_user, forms.case_ids_argument(request.form), to=to)
    return Done(f"{count}件を{to.display_name}さんの担当にしました。")


@bp.route("/filters", methods=["POST"])
@login_required
@action(refused=_list_refused)
def save_filter():
    page, _query = _back_to_list(request.form)
    saved = saved_filters.save_filter(db.session, current_user, name=request.form.get("name"),
                                      query=request.form.get("query", ""))
    flash(f"絞り込み「{saved.name}」を保存しました。", "success")
    return redirect(_list_url(page, saved.query))


@bp.route("/filters/<int:filter_id>/delete", methods=["POST"])
@login_required
@action(back=lambda filter_id: _back_to_the_list())
def delete_filter(filter_id: int):
    _back_to_list(request.form)  # a wrong page is a 400 before anything is done
    name = saved_filters.delete_filter(db.session, current_user, filter_id)  # another user's: 404
    return Done(f"絞り込み「{name}」を削除しました。")


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
        awaiting_identification=queue.count_awaiting_identification(db.session, current_user),
        escalated=queue.escalation_times(db.session, (c.id for c in overdue)),
        days_overdue={c.id: (today - c.due_date).days for c in overdue},
    )
