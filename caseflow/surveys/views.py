"""Survey pages (/surveys): answering (web form and Excel form), gathering, reminders, obligations, rules.

Each page asks the policy: ``survey.answer`` (the respondent's staff), ``survey.view`` (the
respondent, its prefecture, the ministry, the Digital Agency), ``survey.remind``,
``obligation.view`` / ``obligation.sign_off`` / ``obligation.deadline`` and ``obligation.rules``.
Each change is one operation committed once by ``action``; a refused form is shown again with
what was typed and every problem, in Japanese.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_login import current_user, login_required

from caseflow.core.cells import safe_cell
from caseflow.core.japanese import today_jst
from caseflow.core.pages import Done, action
from caseflow.core.views import XLSX_MIMETYPE, download
from caseflow.errors import Conflict, DomainError
from caseflow.extensions import db
from caseflow.policy import Permission, may, require
from caseflow.surveys import obligations, operations, questionnaire, workbook
from caseflow.surveys.models import ObligationStatus, ResponseStatus, Survey
from caseflow.surveys.operations import TYPED_SHEET_FIELDS, AnswersRefused
from caseflow.users.models import User

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

WORKBOOK_MAX_BYTES = 5 * 1024**2


def _actor() -> User:
    return current_user._get_current_object()


def _survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        abort(404)
    return survey


def _seen_survey(survey_id: int) -> Survey:
    """The survey, if the user sees one of its respondents at least (otherwise it is not there for them)."""
    require(current_user, Permission.SURVEY_VIEW)
    survey = _survey(survey_id)
    if not any(s.id == survey.id for s in operations.surveys_for(db.session, current_user)):
        abort(404)
    return survey


# --- surveys ----------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    """The surveys the user answers or gathers, with their status."""
    surveys = operations.surveys_for(db.session, current_user)
    rows = []
    for survey in surveys:
        own = [r for r in operations.visible_respondents(db.session, current_user, survey)
               if r.organization_id == current_user.organization_id]
        rows.append({"survey": survey, "own": own[0] if own else None,
                     "counts": operations.status_counts(db.session, current_user, survey)})
    return render_template("surveys/index.html", rows=rows, statuses=list(ResponseStatus))


@bp.route("/<int:survey_id>")
@login_required
def gathering(survey_id: int):
    """The respondents the user sees (a prefecture: its own and its municipalities'; the ministry: all)."""
    survey = _seen_survey(survey_id)
    status = request.args.get("status") or None
    try:
        wanted = ResponseStatus(status) if status else None
    except ValueError:
        wanted = None
    respondents = operations.visible_respondents(db.session, current_user, survey, status=wanted)
    return render_template("surveys/gathering.html", survey=survey, respondents=respondents, wanted=wanted,
                           counts=operations.status_counts(db.session, current_user, survey),
                           statuses=list(ResponseStatus), may_remind=may(current_user, Permission.SURVEY_REMIND),
                           late=dt.datetime.now(dt.timezone.utc) >= survey.deadline, via_labels=operations.VIA_LABELS)


@bp.route("/<int:survey_id>/list.xlsx")
@login_required
def gathered_list(survey_id: int):
    """【都道府県】2307 マイナンバー調査回答.xlsx: one 一覧用 row per submitted respondent the user sees."""
    survey = _seen_survey(survey_id)
    respondents = operations.visible_respondents(db.session, current_user, survey, status=ResponseStatus.SUBMITTED)
    q = operations.survey_questionnaire(survey)
    rows = [workbook.listing_row(q, operations.sheet_of(r), dict(r.answers)) for r in respondents]
    org = current_user.organization
    name = org.prefecture if org.category is not None and org.category.value == "prefecture" else org.name
    return download(workbook.gathered_workbook(rows), XLSX_MIMETYPE,
                    workbook.gathered_filename(name or org.name, survey.file_code))


@bp.route("/<int:survey_id>/remind", methods=["POST"])
@login_required
@action(back=lambda survey_id: url_for("surveys.gathering", survey_id=survey_id))
def remind(survey_id: int):
    sent = operations.remind(db.session, _actor(), _survey(survey_id))
    return Done(f"未提出の{sent}団体の受信箱に督促を送りました。" if sent else
                "督促を送る団体はありません（提出済、または本日督促済です）。")


# --- answering --------------------------------------------------------------------------------------


def _form_state(respondent, *, sheet=None, answers=None, problems=()):
    q = operations.questionnaire_of(respondent)
    answers = dict(respondent.answers or {}) if answers is None else answers
    sheet = operations.sheet_of(respondent) | (sheet or {})
    by_key: dict[str, list[str]] = {}
    for p in problems:
        by_key.setdefault(getattr(p, "key", ""), []).append(p.message if hasattr(p, "message") else str(p))
    return {"respondent": respondent, "survey": respondent.survey, "q": q, "kind": respondent.kind,
            "answers": answers, "sheet": sheet, "sheet_fields": questionnaire.SHEET_FIELDS,
            "typed_fields": TYPED_SHEET_FIELDS, "problems": list(problems), "problems_by_key": by_key,
            "reached": questionnaire.reached(q, respondent.kind, answers),
            "text_for": lambda item: questionnaire.text_for(item, respondent.kind),
            "caution": questionnaire.CAUTION, "flags": operations.flags(respondent),
            "sheet_max": operations.SHEET_FIELD_MAX, "text_max": operations.ANSWER_TEXT_MAX,
            "month_max": operations.MONTH_TEXT_MAX,
            "may_answer": may(current_user, Permission.SURVEY_ANSWER, respondent)
            and respondent.survey.status.value == "open",
            "attachments": operations.attachments_of(db.session, respondent)}


@bp.route("/answers/<int:respondent_id>", methods=["GET", "POST"])
@login_required
def answer(respondent_id: int):
    """The web form: only the questions the branching reaches are shown (the page script hides the
    others as they are chosen; the server checks the same rules)."""
    respondent = operations.get_respondent(db.session, respondent_id, current_user, Permission.SURVEY_VIEW)
    if request.method == "GET":
        return render_template("surveys/answer.html", **_form_state(respondent))
    return _save(respondent_id=respondent_id)


@bp.route("/answers/<int:respondent_id>/reached", methods=["POST"])
@login_required
def reached(respondent_id: int):
    """Which questions the branching reaches for the answers in the form (the page script asks it)."""
    respondent = operations.get_respondent(db.session, respondent_id, current_user, Permission.SURVEY_ANSWER)
    q = operations.questionnaire_of(respondent)
    return jsonify({"reached": questionnaire.reached(q, respondent.kind, _answers_from_form(respondent))})


@action(refused=lambda error, respondent_id: _refused_form(error, respondent_id),
        back=lambda respondent_id: url_for("surveys.answer", respondent_id=respondent_id))
def _save(respondent_id: int):
    respondent = operations.get_respondent(db.session, respondent_id, _actor(), Permission.SURVEY_ANSWER)
    _check_version(respondent)
    submit = request.form.get("intent") == "submit"
    sheet = {key: request.form.get(f"sheet-{key}", "") for key in TYPED_SHEET_FIELDS}
    answers = _answers_from_form(respondent)
    operations.save_answers(db.session, respondent, _actor(), sheet=sheet, answers=answers, submit=submit)
    return Done("回答を提出しました。" if submit else "回答を一時保存しました（まだ提出されていません）。")


def _check_version(respondent) -> None:
    sent = request.form.get("version", "")
    if sent.isascii() and sent.isdigit() and int(sent) != respondent.version:
        raise Conflict("この回答は他の職員により更新されています。画面を再読み込みしてから、もう一度保存してください。")


def _answers_from_form(respondent) -> dict[str, str]:
    q = operations.questionnaire_of(respondent)
    answers = {}
    for item in q.items:
        if item.kind == "multiple":
            answers[item.key] = "".join(request.form.getlist(f"answer-{item.key}"))
        else:
            answers[item.key] = request.form.get(f"answer-{item.key}", "")
    return answers


def _refused_form(error: DomainError, respondent_id: int):
    respondent = operations.get_respondent(db.session, respondent_id, _actor(), Permission.SURVEY_VIEW)
    problems = error.problems if isinstance(error, AnswersRefused) else [questionnaire.Problem("", error.message)]
    sheet = {key: request.form.get(f"sheet-{key}", "") for key in TYPED_SHEET_FIELDS}
    state = _form_state(respondent, sheet=sheet, answers=_answers_from_form(respondent), problems=problems)
    return render_template("surveys/answer.html", **state), error.status_code


@bp.route("/answers/<int:respondent_id>/form.xlsx")
@login_required
def answer_workbook(respondent_id: int):
    """The Excel form for this respondent, with what is saved filled in."""
    respondent = operations.get_respondent(db.session, respondent_id, current_user, Permission.SURVEY_VIEW)
    q = operations.questionnaire_of(respondent)
    body = workbook.respondent_workbook(q, respondent.kind, operations.sheet_of(respondent), dict(respondent.answers),
                                        title=respondent.survey.title)
    return download(body, XLSX_MIMETYPE, f"survey-{respondent.survey.file_code}-{respondent.organization.code}.xlsx")


@bp.route("/answers/<int:respondent_id>/upload", methods=["POST"])
@login_required
@action(back=lambda respondent_id: url_for("surveys.answer", respondent_id=respondent_id))
def upload_workbook(respondent_id: int):
    """A filled Excel form, submitted as it is: refused whole with every problem, or taken whole."""
    respondent = operations.get_respondent(db.session, respondent_id, _actor(), Permission.SURVEY_ANSWER)
    upload = request.files.get("workbook")
    if upload is None or not upload.filename:
        raise DomainError("回答票（Excel）のファイルを選んでください。")
    data = upload.read(WORKBOOK_MAX_BYTES + 1)
    if len(data) > WORKBOOK_MAX_BYTES:
        raise DomainError("回答票のファイルが大きすぎます（5 MBまで）。")
    operations.submit_workbook(db.session, respondent, _actor(), data)
    return Done("回答票（Excel）の内容で回答を提出しました。")


@bp.route("/answers/<int:respondent_id>/attachments", methods=["POST"])
@login_required
@action(back=lambda respondent_id: url_for("surveys.answer", respondent_id=respondent_id))
def add_attachment(respondent_id: int):
    respondent = operations.get_respondent(db.session, respondent_id, _actor(), Permission.SURVEY_ANSWER)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError("添付するファイルを選んでください。")
    operations.attach(db.session, respondent, _actor(), request.form.get("item_key", ""), upload.filename,
                      upload.read(operations.ATTACHMENT_MAX_BYTES + 1))
    return Done("補足資料を添付しました。")


@bp.route("/answers/<int:respondent_id>/attachments/<int:attachment_id>")
@login_required
def attachment(respondent_id: int, attachment_id: int):
    respondent = operations.get_respondent(db.session, respondent_id, current_user, Permission.SURVEY_VIEW)
    found = operations.get_attachment(db.session, respondent, attachment_id)
    return download(found.content, found.content_type, f"attachment-{found.id}{operations.suffix_of(found)}")


# --- obligations -----------------------------------------------------------------------------------


@bp.route("/obligations")
@login_required
def obligation_list():
    """Who must inspect which program, why, by when, and how far they are (overdue first)."""
    require(current_user, Permission.OBLIGATION_VIEW)
    only = request.args.get("only", "required")
    items = obligations.visible_obligations(db.session, current_user,
                                            required=None if only == "all" else True)
    states = obligations.progress(db.session, items)
    status = request.args.get("status") or ""
    if status == "overdue":
        states = [s for s in states if s.overdue]
    elif status in {s.value for s in ObligationStatus}:
        states = [s for s in states if s.status.value == status]
    if request.args.get("format") == "csv":
        return download(_obligations_csv(states), "text/csv; charset=utf-8", "obligations.csv")
    return render_template("surveys/obligations.html", states=states, only=only, status=status,
                           statuses=list(ObligationStatus), today=today_jst())


def _obligations_csv(states) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(obligations.OBLIGATION_COLUMNS)
    for state in states:
        writer.writerow([safe_cell(v) for v in obligations.obligation_row(state)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@bp.route("/obligations/<int:obligation_id>")
@login_required
def obligation(obligation_id: int):
    found = obligations.get_obligation(db.session, obligation_id, current_user)
    [state] = obligations.progress(db.session, [found])
    return render_template("surveys/obligation.html", state=state, o=found,
                           batches=obligations.batches_of(db.session, found), reason_max=obligations.REASON_MAX)


@bp.route("/obligations/<int:obligation_id>/sign-off", methods=["POST"])
@login_required
@action(back=lambda obligation_id: url_for("surveys.obligation", obligation_id=obligation_id))
def sign_off(obligation_id: int):
    found = obligations.get_obligation(db.session, obligation_id, _actor())
    obligations.sign_off(db.session, found, _actor())
    return Done("本人確認作業の終了を報告しました。")


@bp.route("/obligations/<int:obligation_id>/deadline", methods=["POST"])
@login_required
@action(back=lambda obligation_id: url_for("surveys.obligation", obligation_id=obligation_id))
def change_deadline(obligation_id: int):
    found = obligations.get_obligation(db.session, obligation_id, _actor())
    try:
        deadline = dt.date.fromisoformat(request.form.get("deadline", ""))
    except ValueError:
        raise DomainError("期限の日付を 2023-12-28 の形で入力してください。") from None
    obligations.change_deadline(db.session, found, _actor(), deadline, request.form.get("reason", ""))
    return Done("点検の期限を変更しました。")


# --- the rule table ---------------------------------------------------------------------------------


@bp.route("/rules", methods=["GET"])
@login_required
def rule_table():
    """The rule table in force, each rule with its reason; the Digital Agency edits it."""
    require(current_user, Permission.OBLIGATION_VIEW)
    current = obligations.current_rule_table(db.session)
    db.session.commit()  # the seed's table, written the first time it is read
    return render_template("surveys/rules.html", current=current, text=json.dumps(current.table, ensure_ascii=False,
                                                                                   indent=2),
                           may_edit=may(current_user, Permission.OBLIGATION_RULES), problems=[],
                           reason_max=obligations.REASON_MAX)


@bp.route("/rules", methods=["POST"])
@login_required
@action(back=lambda: url_for("surveys.rule_table"),
        refused=lambda error: (render_template(
            "surveys/rules.html", current=obligations.current_rule_table(db.session),
            text=request.form.get("table", ""), may_edit=True, problems=[error.message],
            reason_max=obligations.REASON_MAX), error.status_code))
def change_rules():
    require(_actor(), Permission.OBLIGATION_RULES)
    try:
        table = json.loads(request.form.get("table", ""))
    except ValueError:
        raise DomainError("規則表をJSONとして読めません。括弧や引用符を確かめてください。") from None
    if not isinstance(table, dict):
        raise DomainError("規則表は {\"rules\": [...]} の形で記入してください。")
    new = obligations.change_rule_table(db.session, _actor(), table, request.form.get("note", ""))
    return Done(f"判定規則を第{new.version}版に改め、提出済の回答を判定し直しました。")
