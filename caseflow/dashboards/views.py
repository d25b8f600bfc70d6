"""The dashboard: one section per role the user holds, each figure scoped by the user's rights.

Order: caseworker (my queue), supervisor (approvals, team load), ministry officer (its
programs), Digital Agency officer (national), administrator (the administration pages). Every
figure comes from a grouped query — the case figures from ``caseflow.reports.figures``, the
queues from ``caseflow.cases.queue`` — and links to the case list or report behind it, where the
viewer's rights apply again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user, login_required
from markupsafe import Markup

from caseflow.administration.listing import administration_counts
from caseflow.cases import queue
from caseflow.cases.access import visible_cases_clause
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import OPEN_STATUSES, CaseStatus, Grade
from caseflow.core.japanese import today_jst
from caseflow.dashboards import charts
from caseflow.dashboards.history import StatusHistory, status_history
from caseflow.extensions import db
from caseflow.organizations.models import Program
from caseflow.policy import Permission, Scope, may, roles_with, scopes, unrestricted
from caseflow.reports import figures
from caseflow.reports.estimate import Estimate
from caseflow.reports.tables import Line
from caseflow.users.models import Role, User, UserRole

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard")

TOP_AGENCIES = 10
ADMINISTRATION = (Permission.ADMIN_ORGANIZATIONS, Permission.ADMIN_PROGRAMS, Permission.ADMIN_USERS,
                  Permission.ADMIN_HISTORY)
APPROVALS_SHOWN = 5


def _count_if(condition) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


# --- caseworker ------------------------------------------------------------------------------------


@dataclass
class CaseworkerFigures:
    mine: int
    mine_overdue: int
    unassigned: dict[CaseStatus, int]  # open cases of the agency nobody has claimed, per status
    awaiting_identification: int = 0  # 本人特定待ち: the right number still to link (caseflow.cases.queue)

    @property
    def unassigned_total(self) -> int:
        return sum(self.unassigned.values())


def caseworker_figures(user: User, today: dt.date) -> CaseworkerFigures:
    """My open cases, those of them overdue, and my agency's unassigned open cases per status."""
    visible = visible_cases_clause(user)
    mine, mine_overdue = db.session.execute(
        sa.select(_count_if(Case.status.in_(OPEN_STATUSES)), _count_if(queue.overdue_clause(today)))
        .where(visible, Case.assignee_id == user.id)
    ).one()
    unassigned = dict.fromkeys(OPEN_STATUSES, 0) | dict(db.session.execute(
        sa.select(Case.status, sa.func.count())
        .where(visible, Case.agency_id == user.organization_id, Case.assignee_id.is_(None),
               Case.status.in_(OPEN_STATUSES))
        .group_by(Case.status)
    ).all())
    return CaseworkerFigures(mine, mine_overdue, unassigned,
                             queue.count_awaiting_identification(db.session, user))


# --- supervisor ------------------------------------------------------------------------------------


@dataclass
class Load:
    user_id: int | None  # None: nobody (unassigned)
    name: str
    open: int = 0
    overdue: int = 0


@dataclass
class SupervisorFigures:
    approvals: list[Case]
    overdue: int
    team: list[Load]
    team_chart: Markup
    awaiting_identification: int = 0


def team_load(user: User, today: dt.date) -> list[Load]:
    """Open cases (and overdue ones) per staff member of the user's agency, busiest first; unassigned last.

    Every active caseworker and supervisor is listed, with 0 when idle; anyone else holding open
    cases of the agency (a deactivated account) is listed too.
    """
    rows = db.session.execute(
        sa.select(Case.assignee_id, sa.func.count(), _count_if(queue.overdue_clause(today)))
        .where(visible_cases_clause(user), Case.agency_id == user.organization_id, Case.status.in_(OPEN_STATUSES))
        .group_by(Case.assignee_id)
    ).all()
    counts = {assignee: (n, late) for assignee, n, late in rows}
    staff = db.session.execute(
        sa.select(User.id, User.display_name)
        .where(sa.or_(
            sa.and_(User.organization_id == user.organization_id, User.active.is_(True),
                    User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(roles_with(Permission.CASE_ACT))))),
            User.id.in_([k for k in counts if k is not None]),
        ))
    ).all()
    loads = [Load(uid, name, *counts.get(uid, (0, 0))) for uid, name in staff]
    loads.sort(key=lambda x: (-x.open, x.name, x.user_id))
    if None in counts:
        loads.append(Load(None, "未割当", *counts[None]))
    return loads


def supervisor_figures(user: User, today: dt.date) -> SupervisorFigures:
    """Corrections awaiting approval, overdue cases, and the team's load (with its chart)."""
    team = team_load(user, today)
    return SupervisorFigures(
        approvals=queue.approvals_waiting(db.session, user),
        overdue=queue.count_overdue(db.session, user, today=today),
        team=team,
        team_chart=charts.bar_chart("担当者別の対応中の案件数", [(x.name, x.open) for x in team],
                                    chart_id="chart-team-load"),
        awaiting_identification=queue.count_awaiting_identification(db.session, user),
    )


# --- ministry officer ------------------------------------------------------------------------------


@dataclass
class ProgramBlock:
    line: Line
    agencies: list[Line]  # the agencies with the most errors, at most TOP_AGENCIES
    agency_count: int
    chart: Markup | None  # none without errors


@dataclass
class MinistryFigures:
    lines: list[Line]
    total: Line
    blocks: list[ProgramBlock]
    chart: Markup


def ministry_figures(user: User) -> MinistryFigures:
    """The programs of the user's ministry: a line each, and per program its agencies with the most errors."""
    ministry_id = user.organization_id
    grains = [g for g in figures.live_grains(db.session, user) if g.ministry_id == ministry_id]
    causes = [c for c in figures.live_causes(db.session, user) if c.ministry_id == ministry_id]
    programs = db.session.scalars(sa.select(Program).where(Program.ministry_id == ministry_id).order_by(Program.id)).all()
    lines = figures.program_lines(programs, grains, causes)
    blocks = []
    for line in lines:
        agencies = figures.agency_lines(db.session, grains, line.program_id) if line.agencies else []
        top = agencies[:TOP_AGENCIES]
        chart = None
        if line.errors:
            chart = charts.bar_chart(
                f"{line.label}：紐付け誤りの多い紐付け実施機関（上位{len(top)}機関）",
                [(x.label, x.errors) for x in top], chart_id=f"chart-program-{line.program_id}-agencies")
        blocks.append(ProgramBlock(line, top, len(agencies), chart))
    chart = charts.bar_chart("事務別の紐付け誤りの件数", [(x.label, x.errors) for x in lines],
                             chart_id="chart-ministry-programs")
    return MinistryFigures(lines, figures.grand_total(lines, grains), blocks, chart)


# --- Digital Agency officer ------------------------------------------------------------------------


@dataclass
class NationalFigures:
    total: Line
    estimate: Estimate
    history: StatusHistory
    history_chart: Markup
    grades: list[tuple[str, tuple[int, int, int], int | None]]  # (label, A/B/C, program id; None: all)
    grades_chart: Markup
    causes: list[tuple[str, str, int]]  # (cause value, label, errors)
    causes_chart: Markup


def national_figures(user: User, today: dt.date) -> NationalFigures:
    """National totals, the expected remaining errors, cases by status over time, A/B/C and causes."""
    grains = figures.live_grains(db.session, user)
    causes = figures.live_causes(db.session, user)
    lines = figures.program_lines(figures.programs_in_scope(db.session, user, grains), grains, causes)
    total = figures.grand_total(lines, grains)
    history = status_history(db.session, user, today=today)
    history_chart = charts.line_chart(
        "状態別の案件数の推移", [f"{d.month}/{d.day}" for d in history.dates], history.series(),
        chart_id="chart-status-history")
    grades = [("全国", _abc(total.extra), None)] + [
        (x.label, _abc(x.extra), x.program_id) for x in lines if sum(_abc(x.extra))]
    grades_chart = charts.stacked_bar_chart(
        "A/B/C判定の割合", [g.label for g in Grade], [(label, values) for label, values, _ in grades],
        chart_id="chart-grades")
    cause_rows = figures.cause_table(causes)
    causes_chart = charts.bar_chart("原因別の紐付け誤りの件数", [(label, n) for _, label, n in cause_rows],
                                    chart_id="chart-causes")
    return NationalFigures(total, figures.estimate(grains), history, history_chart, grades, grades_chart,
                           cause_rows, causes_chart)


def _abc(extra: dict) -> tuple[int, int, int]:
    return extra.get("count_a", 0), extra.get("count_b", 0), extra.get("count_c", 0)


# --- the page --------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def dashboard():
    """ダッシュボード: the sections of the user's roles; a short note when no role has one."""
    user = current_user
    today = today_jst()
    sections: dict[str, object] = {}
    # A caseworker's own queue is the caseworker role's section, not a permission (a supervisor,
    # who may work cases too, has the supervisor's section instead); every figure in it is scoped.
    if user.has_role(Role.CASEWORKER):
        sections["caseworker"] = caseworker_figures(user, today)
    if may(user, Permission.CASE_SUPERVISE):
        sections["supervisor"] = supervisor_figures(user, today)
    if Scope.PROGRAM in scopes(user, Permission.REPORT_VIEW):
        sections["ministry"] = ministry_figures(user)
    if unrestricted(user, Permission.REPORT_VIEW):
        sections["national"] = national_figures(user, today)
    # The administrator's: links to the administration pages, and what needs their attention.
    if any(may(user, p) for p in ADMINISTRATION):
        sections["administration"] = administration_counts(db.session)
    return render_template("dashboards/dashboard.html", today=today, statuses=list(CaseStatus),
                           approvals_shown=APPROVALS_SHOWN, **sections)
