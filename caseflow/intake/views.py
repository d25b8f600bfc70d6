"""Intake pages: 案件の登録 (one case typed in), 一覧から登録 (a list), and the registry's facts entered later."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from caseflow.cases import forms as case_forms
from caseflow.cases.access import get_visible_case
from caseflow.cases.vocabulary import CaseSource, Sex
from caseflow.core.pages import Done, action
from caseflow.core.params import parse_id
from caseflow.core.views import accepts_upload
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.intake import bulk, forms, operations
from caseflow.organizations.models import Program

bp = Blueprint("intake", __name__)

# The form around the file (the CSRF token, the program, the source) takes a few KB.
_FORM_ALLOWANCE = 64 * 1024


def _program(value: str | None) -> Program | None:
    """The program chosen (None when none was); one that does not exist is refused."""
    if not (value or "").strip():
        return None
    number = parse_id(value.strip())
    program = db.session.get(Program, number) if number else None
    if program is None:
        raise DomainError("選択された事務が見つかりません。画面を再読み込みしてください。")
    return program


def _source(value: str | None) -> CaseSource | None:
    try:
        return CaseSource(value) if value else None
    except ValueError:
        raise DomainError("発見の経緯は選択肢から選んでください。") from None


def _page(template: str, status: int = 200, **context):
    agency = current_user.organization
    values = {key: value for key, value in request.form.items() if key != "registered_number"}
    return render_template(template, programs=operations.programs_for(db.session, agency), agency=agency,
                           sources=operations.INTAKE_SOURCES, sexes=list(Sex), values=values, **context), status


def _new_case_refused(exc: DomainError):
    """The form again with what was typed (but the My Number, which is never shown back), and why."""
    duplicates = exc.cases if isinstance(exc, operations.PossibleDuplicates) else []
    taken = [exc.case] if isinstance(exc, operations.RecordIdTaken) and exc.case is not None else []
    return _page("intake/new.html", exc.status_code, duplicates=duplicates, taken=taken, retype_number=True)


@bp.route("/cases/new", methods=["GET", "POST"])
@login_required
@action(refused=_new_case_refused)
def new_case():
    operations.check_may_open(current_user, None)  # who may, before what was typed
    if request.method != "POST":
        return _page("intake/new.html", duplicates=[], taken=[], retype_number=False)
    entry = forms.entry_argument(request.form, _program(request.form.get("program")))
    case = operations.open_by_hand(db.session, current_user, entry,
                                   confirm_duplicate=forms.flag_argument(request.form, "confirm_duplicate"))
    flash(f"案件 {case.reference} を登録しました（判定：{case.grade.label}）。", "success")
    return redirect(url_for("cases.case_detail", case_id=case.id))


def _import_refused(exc: DomainError):
    problems = exc.problems if isinstance(exc, bulk.ListRefused) else []
    return _page("intake/import.html", exc.status_code, columns=bulk.LIST_COLUMNS, problems=problems,
                 max_rows=bulk.LIST_MAX_ROWS, max_mb=bulk.LIST_MAX_BYTES // 1024**2)


@bp.route("/cases/import", methods=["GET", "POST"])
@accepts_upload(max_bytes=bulk.LIST_MAX_BYTES + _FORM_ALLOWANCE)
@login_required
@action(refused=_import_refused)
def import_list():
    operations.check_may_open(current_user, None)
    if request.method != "POST":
        return _page("intake/import.html", columns=bulk.LIST_COLUMNS, problems=[], max_rows=bulk.LIST_MAX_ROWS,
                     max_mb=bulk.LIST_MAX_BYTES // 1024**2)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError("一覧のファイルを選択してください。")
    source = _source(request.form.get("source"))
    opened = bulk.import_list(db.session, current_user, program=_program(request.form.get("program")), source=source,
                             source_other=(request.form.get("source_other") or "").strip() or None,
                             data=upload.stream.read(bulk.LIST_MAX_BYTES + 1), filename=upload.filename,
                             confirm_duplicates=forms.flag_argument(request.form, "confirm_duplicate"))
    # The result is this answer (the cases are committed once it is made): there is no list of it to go back to.
    return render_template("intake/imported.html", opened=opened, source=source)


def _case_page(case_id: int) -> str:
    return url_for("cases.case_detail", case_id=case_id, _anchor="registry-entry")


@bp.route("/cases/<int:case_id>/registry", methods=["POST"])
@login_required
@action(back=_case_page)
def enter_registry(case_id: int):
    case = get_visible_case(db.session, case_id, current_user)
    unreadable: list[str] = []
    facts = forms.facts_argument(request.form, "registry", unreadable)
    operations.enter_registry_facts(case, current_user, facts, expected_version=case_forms.version(request.form),
                                    unreadable=unreadable)
    return Done(f"住民基本台帳の情報を入力し、照合し直しました（判定：{case.grade.label}）。")


def case_section_context(case) -> dict:
    """The case page's intake part: its source, and the registry form while it may be filled in."""
    return {"may_enter_registry": operations.may_enter_registry(current_user, case), "sexes": list(Sex)}
