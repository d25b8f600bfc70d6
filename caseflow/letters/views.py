"""Letter pages: the recipients and letters of a case (preview, issue, reprint, void, returned),
the postal-code look-up the recipient forms call, and print runs (select, build in the
background, download, printed, mailed)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from caseflow.cases import forms
from caseflow.cases.access import get_visible_case
from caseflow.cases.vocabulary import CaseStatus, Party
from caseflow.core import storage
from caseflow.core.pages import Done, action, after_commit
from caseflow.core.params import parse_id
from caseflow.core.storage import files_root
from caseflow.core.views import download
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.letters import operations
from caseflow.letters.models import LetterKind, PrintRun, PrintRunStatus, ReturnReason
from caseflow.letters.postal import lookup_postal_code, normalize_postal_code
from caseflow.organizations.models import Program
from caseflow.organizations.rules import letterhead_missing
from caseflow.policy import Permission, clause, may, require

bp = Blueprint("letters", __name__)


def _pdf(data: bytes, filename: str, *, attachment: bool) -> Response:
    return download(data, "application/pdf", filename, attachment=attachment)


def _kind(value: str | None) -> LetterKind:
    try:
        return LetterKind(value or "")
    except ValueError:
        raise DomainError("通知文書の種類を選択してください。") from None


def _case_letters(case_id: int) -> str:
    return url_for("cases.case_detail", case_id=case_id, _anchor="letters")


def _letter_case(letter_id: int) -> str:
    """The letters section of the case a letter belongs to (the letter as the user may see it)."""
    return _case_letters(operations.get_visible_letter(db.session, current_user, letter_id).case_id)


# --- a case's letters --------------------------------------------------------------------------


def case_section_context(case, *, has_letters: bool = True, has_recipients: bool = True) -> dict:
    """What the case page's letters section shows (templates/letters/ui/case_section.html): per
    party with a letter to receive, its recipient, what is missing, the facts the form starts from
    and its kinds; the case's letters; the letters still to issue before 通知済. ``has_letters``,
    ``has_recipients``: False when the case is known to have none (they are not read)."""
    issued = operations.letters_of(db.session, case) if has_letters else []
    staff = may(current_user, Permission.LETTER_ISSUE, case)
    issuable = operations.may_issue(case)
    kinds = operations.letter_kinds_for(case)
    recipients = operations.recipients_of(case) if has_recipients else {}
    parties = [{
        "party": party, "recipient": recipients.get(party),
        "kinds": [kind for kind in kinds if kind.party is party],
        # the form starts from this party's own facts: the record's from the extract, the holder's from the registry
        "facts": operations.party_facts(case, party),
        "missing": operations.recipient_problems(case, party) if issuable else [],
    } for party in Party if any(kind.party is party for kind in kinds) or party in recipients]
    return {
        "show_letters": bool(issued) or (staff and case.status in (CaseStatus.CONFIRMED, CaseStatus.CORRECTED,
                                                                    CaseStatus.NOTIFIED)),
        "letters": issued, "letter_kinds": kinds, "parties": parties,
        "letters_missing": operations.missing_letter_kinds(db.session, case)
        if case.status is CaseStatus.CORRECTED else [],
        "may_handle_letters": staff, "may_issue_letters": staff and issuable,
        # what the agency's letterhead lacks: no letter can be issued until an administrator adds it
        "letterhead_missing": letterhead_missing(case.agency.letterhead) if staff and issuable else [],
        "return_reasons": list(ReturnReason),
    }


@bp.route("/cases/<int:case_id>/recipient", methods=["POST"])
@login_required
@action(back=_case_letters)
def set_recipient(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    try:
        party = Party(request.form.get("party") or "")
    except ValueError:
        raise DomainError("送付先の相手（本人・番号の保有者）を選択してください。") from None
    operations.set_recipient(case, current_user, party=party, name=request.form.get("recipient_name"),
                             postal_code=request.form.get("recipient_postal_code"),
                             address=request.form.get("recipient_address"),
                             expected_version=forms.version(request.form))
    return Done(f"送付先（{party.label}）を登録しました。")


@bp.route("/letters/postal-codes/<code>")
@login_required
def postal_code(code: str):
    """The address a postal code stands for (Japan Post's data, offline), for the recipient forms'
    script: 404 with a Japanese message when no such code exists."""
    require(current_user, Permission.LETTER_ISSUE)
    area = lookup_postal_code(code)
    if area is None:
        shown = normalize_postal_code(code) or code[:10]
        return jsonify({"found": False, "message": f"郵便番号 {shown} は存在しません。"}), 404
    return jsonify({"found": True, "postal_code": area.postal_code, "prefecture": area.prefecture,
                    "city": area.city, "town": area.town, "address": area.address})


@bp.route("/cases/<int:case_id>/letters/preview")
@login_required
@action(back=_case_letters)
def preview(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    pdf = operations.preview_letter(current_user, case, _kind(request.args.get("kind")))
    return _pdf(pdf, f"preview-{case.reference}.pdf", attachment=False)


@bp.route("/cases/<int:case_id>/letters", methods=["POST"])
@login_required
@action(back=_case_letters)
def issue(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    letter = operations.issue_letter(db.session, current_user, case, _kind(request.form.get("kind")),
                                     expected_version=forms.version(request.form))
    return Done(f"通知文書（{letter.document_number}）を発行しました。")


@bp.route("/letters/<int:letter_id>/reprint", methods=["POST"])
@login_required
@action(back=_letter_case)
def reprint(letter_id: int):
    letter = operations.get_visible_letter(db.session, current_user, letter_id)
    pdf = operations.reprint_letter(db.session, current_user, letter)
    return _pdf(pdf, f"letter-{letter.id}.pdf", attachment=True)


@bp.route("/letters/<int:letter_id>/void", methods=["POST"])
@login_required
@action(back=_letter_case)
def void(letter_id: int):
    letter = operations.get_visible_letter(db.session, current_user, letter_id)
    operations.void_letter(db.session, current_user, letter, reason=request.form.get("reason"))
    return Done(f"通知文書（{letter.document_number}）を無効にしました。")


@bp.route("/letters/<int:letter_id>/returned", methods=["POST"])
@login_required
@action(back=_letter_case)
def returned(letter_id: int):
    letter = operations.get_visible_letter(db.session, current_user, letter_id)
    try:
        reason = ReturnReason(request.form.get("reason") or "")
    except ValueError:
        reason = None
    operations.record_returned(db.session, current_user, letter, reason=reason,
                               returned_on=forms.date_argument(request.form, "returned_on", "返戻日"),
                               note=request.form.get("note"))
    return Done(f"通知文書（{letter.document_number}）の返戻を記録しました。")


# --- print runs --------------------------------------------------------------------------------


def _require_printer() -> None:
    if not may(current_user, Permission.LETTER_PRINT):
        abort(403)


def _runs_page(_refusal: DomainError | None = None):
    programs = db.session.scalars(sa.select(Program).order_by(Program.id)).all()
    listed = db.session.scalars(sa.select(PrintRun).where(clause(current_user, Permission.LETTER_PRINT))
                                .order_by(PrintRun.id.desc()).limit(200)).all()
    waiting = operations.printable_letters(db.session, current_user.organization_id)
    return render_template("letters/ui/runs.html", runs=listed, programs=programs, kinds=list(LetterKind),
                           waiting=len(waiting))


@bp.route("/letters/runs", methods=["GET", "POST"])
@login_required
@action(refused=_runs_page)
def runs():
    _require_printer()
    if request.method != "POST":
        return _runs_page()
    from caseflow.jobs.operations import dispatch
    from caseflow.letters.tasks import queue_print_run

    program_id = request.form.get("program") or ""
    program = db.session.get(Program, number) if (number := parse_id(program_id)) else None
    kind = _kind(request.form["kind"]) if request.form.get("kind") else None
    run = operations.create_print_run(db.session, current_user, program=program, kind=kind)
    job = queue_print_run(db.session, run, current_user)
    after_commit(lambda: dispatch(job))
    flash(f"印刷 {run.id} の作成を受け付けました（{run.letters_count:,}通）。", "success")
    return redirect(url_for("jobs.job_detail", job_id=job.id))


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
    path = storage.verified(operations.print_run_directory(files_root(), run.id) / filename)
    mimetype = "text/csv" if filename.endswith(".csv") else "application/pdf"
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=f"print-run-{run.id}-{filename}",
                     max_age=0)


@bp.route("/letters/runs/<int:run_id>/<step>", methods=["POST"])
@login_required
@action(back=lambda run_id, step: url_for("letters.run_detail", run_id=run_id))
def run_step(run_id: int, step: str):
    run = operations.get_visible_print_run(db.session, current_user, run_id)
    steps = {"printed": (operations.mark_printed, "印刷済みにしました。"),
             "mailed": (operations.mark_mailed, "発送済みにしました。各案件の経過に記録しました。")}
    if step not in steps:
        abort(404)
    operation, message = steps[step]
    operation(db.session, current_user, run)
    return Done(message)
