"""Letter pages: the recipient and letters of a case (preview, issue, reprint, void, returned),
and print runs (select, build in the background, download, printed, mailed)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from caseflow.cases import forms
from caseflow.cases.access import STAFF_ROLES, get_visible_case
from caseflow.core.params import parse_id
from caseflow.core.views import commit_or_flash
from caseflow.errors import DomainError, NotFound, PermissionDenied
from caseflow.extensions import db
from caseflow.letters import operations
from caseflow.letters.models import LetterKind, PrintRun, PrintRunStatus, ReturnReason
from caseflow.organizations.models import Program

bp = Blueprint("letters", __name__)


def _pdf(data: bytes, filename: str, *, attachment: bool) -> Response:
    response = Response(data, mimetype="application/pdf")
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _kind(value: str | None) -> LetterKind:
    try:
        return LetterKind(value or "")
    except ValueError:
        raise DomainError("通知文書の種類を選択してください。") from None


def _back_to_case(case_id: int, action) -> Response:
    commit_or_flash(action)
    return redirect(url_for("cases.case_detail", case_id=case_id, _anchor="letters"))


# --- a case's letters --------------------------------------------------------------------------


@bp.route("/cases/<int:case_id>/recipient", methods=["POST"])
@login_required
def set_recipient(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)

    def action() -> str:
        operations.set_recipient(case, current_user, name=request.form.get("recipient_name"),
                                 postal_code=request.form.get("recipient_postal_code"),
                                 address=request.form.get("recipient_address"),
                                 expected_version=forms.version(request.form))
        return "送付先を登録しました。"

    return _back_to_case(case_id, action)


@bp.route("/cases/<int:case_id>/letters/preview")
@login_required
def preview(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    try:
        pdf = operations.preview_letter(current_user, case, _kind(request.args.get("kind")))
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("cases.case_detail", case_id=case_id, _anchor="letters"))
    return _pdf(pdf, f"preview-{case.reference}.pdf", attachment=False)


@bp.route("/cases/<int:case_id>/letters", methods=["POST"])
@login_required
def issue(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)

    def action() -> str:
        letter = operations.issue_letter(db.session, current_user, case, _kind(request.form.get("kind")),
                                         expected_version=forms.version(request.form))
        return f"通知文書（{letter.document_number}）を発行しました。"

    return _back_to_case(case_id, action)


@bp.route("/letters/<int:letter_id>/reprint", methods=["POST"])
@login_required
def reprint(letter_id: int):
    letter = operations.get_visible_letter(db.session, current_user, letter_id)
    try:
        pdf = operations.reprint_letter(db.session, current_user, letter)
        db.session.commit()
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("cases.case_detail", case_id=letter.case_id, _anchor="letters"))
    return _pdf(pdf, f"letter-{letter.id}.pdf", attachment=True)


@bp.route("/letters/<int:letter_id>/void", methods=["POST"])
@login_required
def void(letter_id: int):
    letter = operations.get_visible_letter(db.session, current_user, letter_id)

    def action() -> str:
        operations.void_letter(db.session, current_user, letter, reason=request.form.get("reason"))
        return f"通知文書（{letter.document_number}）を無効にしました。"

    return _back_to_case(letter.case_id, action)


@bp.route("/letters/<int:letter_id>/returned", methods=["POST"])
@login_required
def returned(letter_id: int):
    letter = operations.get_visible_letter(db.session, current_user, letter_id)

    def action() -> str:
        try:
            reason = ReturnReason(request.form.get("reason") or "")
        except ValueError:
            reason = None
        operations.record_returned(db.session, current_user, letter, reason=reason,
                                   returned_on=forms._date(request.form, "returned_on", "返戻日"),
                                   note=request.form.get("note"))
        return f"通知文書（{letter.document_number}）の返戻を記録しました。"

    return _back_to_case(letter.case_id, action)


# --- print runs --------------------------------------------------------------------------------


def _require_staff() -> None:
    if not current_user.has_role(*STAFF_ROLES):
        abort(403)


@bp.route("/letters/runs", methods=["GET", "POST"])
@login_required
def runs():
    _require_staff()
    programs = db.session.scalars(sa.select(Program).order_by(Program.id)).all()
    if request.method == "POST":
        try:
            program_id = request.form.get("program") or ""
            program = db.session.get(Program, number) if (number := parse_id(program_id)) else None
            kind = _kind(request.form["kind"]) if request.form.get("kind") else None
            run = operations.create_print_run(db.session, current_user, program=program, kind=kind)
            from caseflow.letters.tasks import queue_print_run

            job = queue_print_run(db.session, run, current_user)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            from caseflow.jobs.operations import dispatch

            dispatch(job)
            flash(f"印刷 {run.id} の作成を受け付けました（{run.letters_count:,}通）。", "success")
            return redirect(url_for("jobs.job_detail", job_id=job.id))
    listed = db.session.scalars(sa.select(PrintRun).where(PrintRun.organization_id == current_user.organization_id)
                                .order_by(PrintRun.id.desc()).limit(200)).all()
    waiting = operations.printable_letters(db.session, current_user.organization_id)
    return render_template("letters/ui/runs.html", runs=listed, programs=programs, kinds=list(LetterKind),
                           waiting=len(waiting))


@bp.route("/letters/runs/<int:run_id>")
@login_required
def run_detail(run_id: int):
    run = operations.get_visible_print_run(db.session, current_user, run_id)
    return render_template("letters/ui/run.html", run=run, entries=run.entries, PrintRunStatus=PrintRunStatus)


@bp.route("/letters/runs/<int:run_id>/files/<name>")
@login_required
def run_file(run_id: int, name: str):
    run = operations.get_visible_print_run(db.session, current_user, run_id)
    filename = operations.PRINT_RUN_FILES.get(name)
    if filename is None or run.status is PrintRunStatus.QUEUED or run.status is PrintRunStatus.FAILED \
            or run.files_disposed_at is not None:
        abort(404)
    path = operations.print_run_directory(current_app.instance_path, run.id) / filename
    if not path.exists():
        abort(404)
    mimetype = "text/csv" if filename.endswith(".csv") else "application/pdf"
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=f"print-run-{run.id}-{filename}",
                     max_age=0)


@bp.route("/letters/runs/<int:run_id>/<step>", methods=["POST"])
@login_required
def run_step(run_id: int, step: str):
    run = operations.get_visible_print_run(db.session, current_user, run_id)
    steps = {"printed": (operations.mark_printed, "印刷済みにしました。"),
             "mailed": (operations.mark_mailed, "発送済みにしました。各案件の経過に記録しました。")}
    if step not in steps:
        abort(404)
    operation, message = steps[step]

    def action() -> str:
        operation(db.session, current_user, run)
        return message

    commit_or_flash(action)
    return redirect(url_for("letters.run_detail", run_id=run_id))
