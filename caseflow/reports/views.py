"""Report pages: the inspection tables (live, published, month-end snapshots) and their exports."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from caseflow.core.japanese import today_jst
from caseflow.core.pages import action
from caseflow.core.params import parse_id
from caseflow.core.views import XLSX_MIMETYPE, download
from caseflow.extensions import db
from caseflow.inspections.models import InspectionBatch
from caseflow.policy import Permission, Scope, clause, may, scopes, unrestricted
from caseflow.reports import figures, published, published_tables, snapshots, tables

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _check_reporter() -> None:
    if not may(current_user, Permission.REPORT_VIEW):
        abort(403)


def case_link(**params) -> str | None:
    """The case list behind a figure (the list applies the viewer's rights again)."""
    return url_for("cases.case_list") + "?" + urlencode({k: v for k, v in params.items() if v is not None})


def _scope_label() -> str:
    """The range of the figures shown, as the viewer's rights make it."""
    if unrestricted(current_user, Permission.REPORT_VIEW):
        return "全国"
    if Scope.PROGRAM in scopes(current_user, Permission.REPORT_VIEW):
        return f"{current_user.organization.name}所管の事務"
    return current_user.organization.name


class Report:
    """The figures behind one report page or export: live, or from a snapshot, for the viewer."""

    def __init__(self, grains, causes, *, live: bool):
        self.grains, self.causes, self.live = grains, causes, live
        programs = figures.programs_in_scope(db.session, current_user, grains)
        self.lines = figures.program_lines(programs, grains, causes)
        self.total = figures.grand_total(self.lines, grains)

    @classmethod
    def now(cls) -> Report:
        return cls(figures.live_grains(db.session, current_user), figures.live_causes(db.session, current_user),
                   live=True)

    @classmethod
    def of(cls, snapshot) -> Report:
        return cls(figures.visible_grains(current_user, snapshots.grains_of(snapshot)),
                   figures.visible_causes(current_user, snapshots.causes_of(snapshot)), live=False)

    def layout(self, name: str) -> list[tables.Line]:
        return tables.published_layout(self.lines) if name == "published" else self.lines


def _layout() -> str:
    return "all" if request.args.get("layout") == "all" else "published"


@bp.route("/")
@login_required
def programs():
    """事務別の点検結果: the first published table, computed from the cases now."""
    dataset = request.args.get("dataset")
    if dataset:
        return _published_page(dataset)
    _check_reporter()
    report = Report.now()
    return render_template(
        "reports/programs.html", report=report, lines=report.layout(_layout()), layout=_layout(),
        scope=_scope_label(), estimate=figures.estimate(report.grains), case_link=case_link,
        datasets=published.DATASETS, today=today_jst(),
    )


def _published_page(dataset: str):
    if dataset not in published.DATASETS:
        abort(404)
    lines = published.published_lines(db.session, dataset)
    return render_template(
        "reports/published.html", dataset=dataset, title=published.DATASETS[dataset],
        lines=tables.published_layout(lines) if _layout() == "published" else lines, layout=_layout(),
        total=tables.total(lines), all_lines=lines, imported_at=published.imported_at(db.session, dataset),
        datasets=published.DATASETS, report=published_tables.published_report(db.session, dataset),
        sections=published_tables.SECTIONS, **published_tables.TEMPLATE_HELPERS,
    )


@bp.route("/programs/<int:program_id>")
@login_required
def program(program_id: int):
    """Per agency within one program (e.g. the agencies behind a program's errors)."""
    _check_reporter()
    report = Report.now()
    line = next((x for x in report.lines if x.program_id == program_id), None)
    if line is None:
        abort(404)
    agencies = figures.agency_lines(db.session, report.grains, program_id)
    causes = figures.cause_table([c for c in report.causes if c.program_id == program_id])
    return render_template("reports/program.html", line=line, agencies=agencies, causes=causes,
                           case_link=case_link, scope=_scope_label())


@bp.route("/causes")
@login_required
def causes():
    """原因別: confirmed errors by cause, overall and per program."""
    _check_reporter()
    report = Report.now()
    per_program = {
        line.program_id: dict((value, n) for value, _label, n in
                              figures.cause_table([c for c in report.causes if c.program_id == line.program_id]))
        for line in report.lines if line.errors
    }
    return render_template("reports/causes.html", report=report, causes=figures.cause_table(report.causes),
                           per_program=per_program, case_link=case_link, scope=_scope_label())


@bp.route("/grades")
@login_required
def grades():
    """A/B/C per program and per inspection batch."""
    _check_reporter()
    report = Report.now()
    return render_template("reports/grades.html", report=report, batches=_visible_batches(), scope=_scope_label(),
                           case_link=case_link)


def _visible_batches() -> list[InspectionBatch]:
    """The batches whose figures the viewer sees (a batch's own page is ``batch.view``: the template asks)."""
    return db.session.scalars(
        sa.select(InspectionBatch)
        .where(clause(current_user, Permission.REPORT_VIEW, InspectionBatch))
        .order_by(InspectionBatch.id.desc()).limit(500)
    ).all()


@bp.route("/campaign")
@login_required
def campaign():
    """点検の進捗: per program and agency, the obligation, its deadline and progress, and the figures."""
    from caseflow.reports.campaign import FIGURES, by_program, campaign_rows

    _check_reporter()
    rows = campaign_rows(db.session, current_user)
    programs = by_program(rows)
    chosen = parse_id(request.args.get("program", ""))
    program = next((p for p in programs if p.program.id == chosen), None)
    if request.args.get("program") and program is None:
        abort(404)
    return render_template("reports/campaign.html", programs=programs, program=program,
                           rows=list(program.rows) if program else [], figures=FIGURES, scope=_scope_label(),
                           today=today_jst(),
                           overdue=sum(1 for r in rows if r.overdue))


@bp.route("/campaign.<fmt>")
@login_required
def campaign_export(fmt: str):
    from caseflow.reports.campaign import campaign_csv, campaign_rows, campaign_xlsx

    if fmt not in ("csv", "xlsx"):
        abort(404)
    _check_reporter()
    rows = campaign_rows(db.session, current_user)
    if fmt == "csv":
        return download(("\ufeff" + campaign_csv(rows)).encode("utf-8"), "text/csv; charset=utf-8", "tenken_shinchoku.csv")
    title = f"点検の進捗（{_scope_label()}）"
    return download(campaign_xlsx(title, rows), XLSX_MIMETYPE, "tenken_shinchoku.xlsx")


@bp.route("/snapshots", methods=["GET", "POST"])
@login_required
@action(back=lambda: url_for("reports.snapshot_list"))
def snapshot_list():
    """月末の集計: frozen month ends, and taking this month's (Digital Agency, administrators)."""
    _check_reporter_or_taker()
    may_take = may(current_user, Permission.REPORT_SNAPSHOT)
    if request.method == "POST":
        period = snapshots.parse_month(request.form.get("month", ""))
        taken = snapshots.take_snapshot(db.session, current_user, period)
        flash(f"{period.year}年{period.month}月末の集計を確定しました。", "success")
        return redirect(url_for("reports.snapshot", snapshot_id=taken.id))
    today = today_jst()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    return render_template("reports/snapshots.html", snapshots=snapshots.snapshots(db.session), may_take=may_take,
                           default_month=f"{last_month:%Y-%m}", this_month=f"{today:%Y-%m}")


def _check_reporter_or_taker() -> None:
    if not (may(current_user, Permission.REPORT_VIEW) or may(current_user, Permission.REPORT_SNAPSHOT)):
        abort(403)


@bp.route("/snapshots/<int:snapshot_id>")
@login_required
def snapshot(snapshot_id: int):
    """One month end, compared line by line with the month before."""
    _check_reporter_or_taker()
    current = snapshots.get_snapshot(db.session, snapshot_id)
    previous = snapshots.previous_snapshot(db.session, current)
    report = Report.of(current)
    before = Report.of(previous) if previous else None
    comparison = _compare(report, before)
    return render_template(
        "reports/snapshot.html", snapshot=current, previous=previous, report=report, comparison=comparison,
        estimate=figures.estimate(report.grains),
        previous_estimate=figures.estimate(before.grains) if before else None, scope=_scope_label(),
    )


def _compare(report: Report, before: Report | None) -> list[dict]:
    """Per program and in total: this month's figures beside last month's, with the change."""
    old = {x.program_id: x for x in before.lines} if before else {}
    rows = []
    for line in [*report.lines, report.total]:
        prev = (before.total if line.is_total else old.get(line.program_id)) if before else None
        rows.append({
            "line": line,
            "changes": [
                snapshots.Change(label, getattr(line, key), getattr(prev, key) if prev else None)
                for key, label in (("records", "点検対象件数"), ("errors", "紐付け誤り"), ("viewed", "閲覧"),
                                   ("resolved", "解消"))
            ],
            "unverified": snapshots.Change("未確認", line.extra.get("unverified", 0),
                                           prev.extra.get("unverified", 0) if prev else None),
        })
    return rows


# Exports --------------------------------------------------------------------------------------------


def _export_source() -> tuple[str, list[tables.Line], tables.Line, Report | None]:
    """(title, lines, total, report) for an export: a published dataset, a snapshot, or live figures."""
    dataset = request.args.get("dataset")
    if dataset:
        if dataset not in published.DATASETS:
            abort(404)
        lines = published.published_lines(db.session, dataset)
        return published.DATASETS[dataset], lines, tables.total(lines), None
    _check_reporter_or_taker() if request.args.get("snapshot") else _check_reporter()
    if request.args.get("snapshot"):
        if (snapshot_id := parse_id(request.args["snapshot"])) is None:
            abort(404)
        snap = snapshots.get_snapshot(db.session, snapshot_id)
        report = Report.of(snap)
        title = f"{snap.period.year}年{snap.period.month}月末 点検結果（{_scope_label()}）"
    else:
        report = Report.now()
        title = f"点検結果（{_scope_label()}・{today_jst():%Y年%-m月%-d日}現在）"
    return title, report.lines, report.total, report


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    """The per-program table as Excel (laid out like the published table), CSV or a PDF report."""
    from caseflow.reports import exports

    if fmt not in ("xlsx", "csv", "pdf"):
        abort(404)
    title, lines, total, report = _export_source()
    stem = "tenken_kekka"
    if fmt == "csv":
        body = ("\ufeff" + exports.programs_csv(lines, total)).encode("utf-8")
        return download(body, "text/csv; charset=utf-8", f"{stem}.csv")
    if fmt == "xlsx":
        body = exports.programs_xlsx(title, tables.published_layout(lines), total, all_lines=lines)
        return download(body, XLSX_MIMETYPE, f"{stem}.xlsx")
    context = {"title": title, "lines": tables.published_layout(lines), "total": total,
               "generated_on": today_jst()}
    if report is not None:
        context["causes"] = figures.cause_table(report.causes)
        context["estimate"] = figures.estimate(report.grains)
    return download(exports.report_pdf(context), "application/pdf", f"{stem}.pdf")


