"""Case endpoints of the JSON API: list, get, transitions, comments, dismissal and correction
proposals (propose, approve, return, withdraw), amendments (viewed, cause), viewing.

Each one loads the case through caseflow.cases.access (another organisation's
case is "not found") and acts through caseflow.cases.operations, as the case
pages do, so the API allows and refuses exactly what the UI does. Arguments
are parsed by caseflow.cases.forms, as the UI's are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app, request

from caseflow.api.openapi import enum_schema, nullable, register_schema
from caseflow.api.views import Body, Field, api_route, as_form
from caseflow.cases import forms, listing, operations, search_queries
from caseflow.cases.access import get_visible_case
from caseflow.cases.machine import SPECS
from caseflow.cases.models import Case, CaseEvent, Correction, Dismissal, mask_number
from caseflow.cases.vocabulary import (
    FACT_FIELDS,
    CaseSource,
    CaseStatus,
    Cause,
    CorrectionOutcome,
    CorrectionStatus,
    DismissReason,
    FieldVerdict,
    Grade,
    IdentityMethod,
    NotificationMethod,
    ProposalStatus,
    Sex,
    ViewedOnPortal,
)
from caseflow.core.japanese import today_jst
from caseflow.core.json_errors import invalid_request
from caseflow.core.limits import PURPOSE_MAX, REASON_MAX, SEARCH_TEXT_MAX, TEXT_MAX
from caseflow.core.params import MAX_ID, parse_id
from caseflow.errors import NotFound
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.policy import Permission, may
from caseflow.users.models import User

MAX_PER_PAGE = 200

# Actions a case may list in allowed_actions (caseflow.cases.operations.available_actions).
ACTIONS = (*SPECS, *operations.OTHER_ACTIONS)


# --- what a case looks like ------------------------------------------------------------------


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _value(member) -> str | None:
    return member.value if member is not None else None


def _labelled(member) -> dict:
    return {"value": member.value, "label": member.label}


def _organization(org: Organization) -> dict:
    return {"id": org.id, "code": org.code, "name": org.name}


def _program(program: Program) -> dict:
    return {"id": program.id, "code": program.code, "name": program.name,
            "ministry": _organization(program.ministry)}


def _user(user: User | None) -> dict | None:
    return {"id": user.id, "display_name": user.display_name} if user is not None else None


def _facts(case: Case, side: str) -> dict:
    """The basic four facts of one side: the business record or the registry record."""
    return {
        "name": getattr(case, f"{side}_name"),
        "kana": getattr(case, f"{side}_kana"),
        "birth_date": _date(getattr(case, f"{side}_birth_date")),
        "sex": _value(getattr(case, f"{side}_sex")),
        "address": getattr(case, f"{side}_address"),
    }


_HIDDEN_FACTS = {"name": None, "kana": None, "birth_date": None, "sex": None, "address": None}


def _decision(proposal: Correction | Dismissal) -> dict:
    """Who proposed it, who decided (approved, returned, or the proposer who withdrew it), when, why."""
    return {
        "proposed_by": _user(proposal.proposed_by),
        "proposed_at": proposal.proposed_at.isoformat(),
        "decided_by": _user(proposal.decided_by),
        "decided_at": proposal.decided_at.isoformat() if proposal.decided_at else None,
        "decision_comment": proposal.decision_comment,
    }


def _correction(correction: Correction) -> dict:
    return {
        "id": correction.id,
        "status": correction.status.value,
        "wrong_number_removed": correction.wrong_number_removed,
        "outcome": correction.outcome.value,
        # The right person's number: masked like the wrong one.
        "masked_linked_number": mask_number(correction.linked_number) or None,
        "note": correction.note,
        **_decision(correction),
    }


def _dismissal(dismissal: Dismissal) -> dict:
    return {"id": dismissal.id, "status": dismissal.status.value, "reason": dismissal.reason.value,
            "reason_other": dismissal.reason_other, "note": dismissal.note, **_decision(dismissal)}


def _identity_verification(case: Case) -> dict | None:
    if case.identity_method is None:
        return None
    return {"method": case.identity_method.value, "method_other": case.identity_method_other,
            "verified_on": _date(case.identity_verified_on), "verified_by": _user(case.identity_verified_by)}


def _event(event: CaseEvent) -> dict:
    return {
        "id": event.id,
        "created_at": event.created_at.isoformat(),
        "trigger": event.trigger,
        "label": operations.EVENT_LABELS.get(event.trigger, event.trigger),
        "from_status": _value(event.from_status),
        "to_status": _value(event.to_status),
        "actor": _user(event.actor),
        "comment": event.comment,
        "details": event.details or {},
    }


def case_summary(case: Case, actor: User) -> dict:
    """A case as the list shows it (the record's name only to those who see the people's facts)."""
    return {
        "id": case.id,
        "reference": case.reference,
        "status": _labelled(case.status),
        "grade": _labelled(case.grade),
        "program": _program(case.program),
        "agency": _organization(case.agency),
        "assignee": _user(case.assignee),
        "record_name": case.record_name if may(actor, Permission.CASE_FACTS, case) else None,
        "masked_number": case.masked_number,
        "due_date": _date(case.due_date),
        "detected_at": case.detected_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "batch_id": case.batch_id,
        "version": case.version,
    }


def case_document(case: Case, actor: User, *, facts_revealed: bool = False) -> dict:
    """The whole case as ``actor`` sees it, with what ``actor`` may do to it now.

    An overseeing officer gets the people's facts as null (personal_facts_shown false) unless the
    case is referred to them, or they asked with a purpose (``facts_revealed``, recorded).
    """
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    shown = facts_revealed or may(actor, Permission.CASE_FACTS, case)
    return case_summary(case, actor) | {
        "record_name": case.record_name if shown else None,
        "source_record_id": case.source_record_id,
        "source": _labelled(case.source),
        "source_other": case.source_other,
        "opened_by": _user(case.opened_by),
        "personal_facts_shown": shown,
        "record": _facts(case, "record") if shown else _HIDDEN_FACTS,
        "registry": _facts(case, "registry") if shown else _HIDDEN_FACTS,
        "field_verdicts": {field: _value(case.verdict(field)) for field, _label in FACT_FIELDS},
        "grade_reason": case.grade_reason,
        "cause": _value(case.cause),
        "cause_other": case.cause_other,
        "viewed_on_portal": _value(case.viewed_on_portal),
        "viewed_what": case.viewed_what,
        "viewed_on": _date(case.viewed_on),
        "viewing_suspended": case.viewing_suspended,
        "dismiss_reason": _value(case.dismiss_reason),
        "dismiss_reason_other": case.dismiss_reason_other,
        "notified_on": _date(case.notified_on),
        "notification_method": _value(case.notification_method),
        "identity_verification": _identity_verification(case),
        "dismissals": [_dismissal(d) for d in case.dismissals],
        "corrections": [_correction(c) for c in case.corrections],
        "awaits_identification": case.awaits_identification,
        "events": [_event(e) for e in events],
        "allowed_actions": operations.available_actions(case, actor),
    }


def committed_case(case: Case, actor: User) -> Callable[[], dict]:
    """What an action answers: the case as committed, built after the request's commit.

    Return it from an endpoint that changes a case (see caseflow.api.views.api_route).
    """
    return lambda: case_document(case, actor)


# --- their schemas ---------------------------------------------------------------------------

_TEXT = {"type": ["string", "null"]}
_DATE = {"type": ["string", "null"], "format": "date"}
_DATETIME = {"type": "string", "format": "date-time"}


def _object(properties: dict, description: str = "") -> dict:
    schema = {"type": "object", "properties": properties, "required": list(properties),
              "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def _labelled_schema(enum_cls, description: str) -> dict:
    return _object({"value": enum_schema(enum_cls), "label": {"type": "string", "description": "日本語の表示名"}},
                   description)


ORGANIZATION = register_schema("OrganizationRef", _object(
    {"id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"}}, "組織"))
PROGRAM = register_schema("ProgramRef", _object(
    {"id": {"type": "integer"}, "code": _TEXT, "name": {"type": "string"}, "ministry": ORGANIZATION},
    "事務（所管省庁とともに）"))
USER = register_schema("UserRef", _object({"id": {"type": "integer"}, "display_name": {"type": "string"}}, "職員"))
FACTS = register_schema("Facts", _object({
    "name": _TEXT, "kana": _TEXT, "birth_date": _DATE,
    "sex": nullable(enum_schema(Sex)), "address": _TEXT,
}, "基本4情報（氏名・カナ・生年月日・性別・住所）"))

CASE_SUMMARY_PROPERTIES = {
    "id": {"type": "integer"},
    "reference": {"type": "string", "description": "案件番号（CF-0000123）"},
    "status": _labelled_schema(CaseStatus, "状態"),
    "grade": _labelled_schema(Grade, "点検支援ツールの判定"),
    "program": PROGRAM,
    "agency": {**ORGANIZATION, "description": "紐付け実施機関"},
    "assignee": nullable(USER),
    "record_name": {**_TEXT, "description": "業務データの氏名"},
    "masked_number": {"type": "string", "description": "登録されている個人番号（下4桁のみ。全桁は返しません）"},
    "due_date": {**_DATE, "description": "期限"},
    "detected_at": _DATETIME,
    "updated_at": _DATETIME,
    "batch_id": {"type": ["integer", "null"], "description": "点検番号"},
    "version": {"type": "integer", "description": "更新の操作で送る版番号（楽観的排他制御）"},
}
CASE_SUMMARY = register_schema("CaseSummary", _object(CASE_SUMMARY_PROPERTIES, "一覧に表示する案件"))

DECISION_PROPERTIES = {
    "proposed_by": USER,
    "proposed_at": _DATETIME,
    "decided_by": {**nullable(USER), "description": "承認・差戻しをした承認者、または取り下げた登録者本人"},
    "decided_at": {"type": ["string", "null"], "format": "date-time"},
    "decision_comment": {**_TEXT, "description": "承認のコメント、差戻し・取下げの理由"},
}

CORRECTION = register_schema("Correction", _object({
    "id": {"type": "integer"},
    "status": enum_schema(CorrectionStatus),
    "wrong_number_removed": {"type": "boolean"},
    "outcome": enum_schema(CorrectionOutcome),
    "masked_linked_number": {**_TEXT, "description": "紐付けた正しい個人番号（下4桁のみ）"},
    "note": _TEXT,
    **DECISION_PROPERTIES,
}, "訂正内容（承認者が承認または差戻し、登録者が取下げ）"))

DISMISSAL = register_schema("Dismissal", _object({
    "id": {"type": "integer"},
    "status": enum_schema(ProposalStatus),
    "reason": enum_schema(DismissReason, "誤りではないと判断した理由"),
    "reason_other": _TEXT,
    "note": {**_TEXT, "description": "確認の経緯"},
    **DECISION_PROPERTIES,
}, "誤りなしの判断（承認者が承認すると案件は誤りなしに。差戻し、登録者の取下げもある）"))

IDENTITY_VERIFICATION = register_schema("IdentityVerification", _object({
    "method": enum_schema(IdentityMethod, "本人確認の方法"),
    "method_other": {**_TEXT, "description": "方法が other のときの内容"},
    "verified_on": {"type": "string", "format": "date", "description": "本人確認をした日"},
    "verified_by": {**nullable(USER), "description": "本人確認をして誤りと確定した職員"},
}, "紐付け誤りと確定したときの本人確認"))

CASE_EVENT = register_schema("CaseEvent", _object({
    "id": {"type": "integer"},
    "created_at": _DATETIME,
    "trigger": {"type": "string", "description": "出来事の種類（start_verification, comment …）"},
    "label": {"type": "string", "description": "出来事の日本語の表示名"},
    "from_status": nullable(enum_schema(CaseStatus)),
    "to_status": nullable(enum_schema(CaseStatus)),
    "actor": {**nullable(USER), "description": "操作した職員（システムによる検出では null）"},
    "comment": _TEXT,
    "details": {"type": "object", "description": "出来事ごとの詳細"},
}, "経過（監査記録）の1件"))

CASE = register_schema("Case", _object(CASE_SUMMARY_PROPERTIES | {
    "source_record_id": {"type": "string", "description": "業務データの管理番号"},
    "source": _labelled_schema(CaseSource, "発見の経緯（点検、または手入力で登録した案件の経緯）"),
    "source_other": {**_TEXT, "description": "発見の経緯の内容（その他のとき）"},
    "opened_by": {**nullable(USER), "description": "手入力で登録した職員（点検の案件は null）"},
    "personal_facts_shown": {"type": "boolean", "description": (
        "本人の情報（record・registry・record_name）を返したか。所管省庁・デジタル庁の職員には、照会を受けて"
        "いる間か、目的を示して POST /cases/{case_id}/facts で求めたときだけ返します（それ以外は null）")},
    "record": {**FACTS, "description": "業務データ"},
    "registry": {**FACTS, "description": "住民基本台帳"},
    "field_verdicts": _object({field: nullable(enum_schema(FieldVerdict)) for field, _label in FACT_FIELDS},
                              "項目ごとの照合結果"),
    "grade_reason": _TEXT,
    "cause": nullable(enum_schema(Cause, "主な原因")),
    "cause_other": _TEXT,
    "viewed_on_portal": nullable(enum_schema(ViewedOnPortal, "マイナポータルでの閲覧")),
    "viewed_what": _TEXT,
    "viewed_on": _DATE,
    "viewing_suspended": {"type": "boolean", "description": "マイナポータルでの閲覧停止中"},
    "dismiss_reason": nullable(enum_schema(DismissReason, "誤りなしの理由")),
    "dismiss_reason_other": _TEXT,
    "notified_on": _DATE,
    "notification_method": nullable(enum_schema(NotificationMethod, "通知の方法")),
    "identity_verification": {**nullable(IDENTITY_VERIFICATION), "description": "本人確認（誤り確定のとき）"},
    "dismissals": {"type": "array", "items": DISMISSAL, "description": "誤りなしの判断（古い順）"},
    "corrections": {"type": "array", "items": CORRECTION},
    "awaits_identification": {"type": "boolean", "description": (
        "本人特定待ち：承認された訂正で正しい番号を紐付けず保留し、まだ紐付けていない（POST /cases/{case_id}/correction で"
        "紐付けを登録し、別の承認者が承認すると外れます）")},
    "events": {"type": "array", "items": CASE_EVENT, "description": "経過（古い順）"},
    "allowed_actions": {"type": "array", "items": {"type": "string", "enum": list(ACTIONS)},
                        "description": "この利用者が今この案件に行える操作（入力内容は送信時に確認）"},
}, "案件（業務データと住民基本台帳の照合結果、確認の結果、訂正、経過）"))

CASE_LIST = register_schema("CaseList", _object({
    "items": {"type": "array", "items": CASE_SUMMARY},
    "page": {"type": "integer"},
    "per_page": {"type": "integer"},
    "total": {"type": "integer", "description": "条件に合う案件の数（全ページ）"},
}, "案件の一覧（1ページ分）"))


# --- list ----------------------------------------------------------------------------------------


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


LIST_PARAMETERS = (
    *(_query(f.key, f.schema, f.description) for f in listing.FILTERS),
    _query("q", {"type": "string", "maxLength": SEARCH_TEXT_MAX}, (
        "検索する語：案件番号（CF-0000028）、管理番号、氏名・カナ（表記の違いを同一視し、氏名全体または氏と完全一致）、"
        "生年月日。個人番号は POST /cases/search で")),
    _query("sort", {"type": "string", "enum": list(listing.SORTS), "default": listing.DEFAULT_SORT},
           "並び順：due（期限の近い順）、-due（期限の遠い順）、detected（検出の古い順）、-detected（新しい順）"),
    _query("page", {"type": "integer", "minimum": 1, "default": 1}, "ページ（1から）"),
    _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}, "1ページの件数（既定 50）"),
)


def _int_arg(name: str, *, default: int, maximum: int) -> int:
    value = request.args.get(name, "")
    if not value:
        return default
    number = parse_id(value, maximum=maximum)
    if number is None:
        raise invalid_request(f"「{name}」は1以上{maximum}以下の整数で指定してください。")
    return number


@api_route("GET", "/cases", operation_id="listCases", summary="案件の一覧", response=CASE_LIST,
           parameters=LIST_PARAMETERS, errors=(400,),
           description="この利用者に見える案件だけを返します（画面の案件一覧と同じ範囲、同じ絞り込み）。")
def list_cases(actor: User) -> dict:
    try:
        filters = listing.read_filters(request.args)
        sort = listing.read_sort(request.args.get("sort"))
    except listing.BadFilter as exc:
        raise invalid_request(exc.message) from None
    page = _int_arg("page", default=1, maximum=MAX_ID // MAX_PER_PAGE)
    per_page = _int_arg("per_page", default=min(current_app.config["CASES_PER_PAGE"], MAX_PER_PAGE),
                        maximum=MAX_PER_PAGE)
    stmt = listing.case_query(actor, filters, today=today_jst())
    if request.args.get("q"):
        stmt = stmt.where(search_queries.text_condition(actor, request.args["q"]))
    result = listing.page_of(db.session, stmt, sort=sort, page=page, per_page=per_page)
    return {"items": [case_summary(c, actor) for c in result.cases], "page": page, "per_page": per_page,
            "total": result.total}


# --- one case ------------------------------------------------------------------------------------


def visible_case(case_id: int, actor: User) -> Case:
    """The case as caseflow.cases.access gives it to ``actor``: another organisation's is "not found".

    An id beyond the database's integer arrives as 0 (caseflow.core.params.id_converter): not found too.
    """
    return get_visible_case(db.session, case_id, actor)


@api_route("GET", "/cases/<int:case_id>", operation_id="getCase", summary="案件の取得", response=CASE,
           errors=(404,))
def get_case(actor: User, case_id: int) -> dict:
    return case_document(visible_case(case_id, actor), actor)


def version_field() -> Field:
    """The ``version`` every action sends: the case as the client last read it."""
    return Field("version", "integer", "取得した案件の version。その後に他の職員が更新していれば 409", required=True)


_TRANSITION_DESCRIPTION = """\
状態遷移（trigger）ごとに必要な項目：
- start_verification：なし（自分の担当になります）
- confirm：cause（other なら cause_other）、viewed_on_portal（yes なら viewed_what）、identity_method（other なら
  identity_method_other）、identity_verified_on、任意で viewed_on・viewing_suspended
- dismiss：なし（承認待ちの誤りなしの判断を承認。/dismissal/approve と同じ。登録は /dismissal）
- reopen：comment（再確認する理由）
- reopen_confirmation：comment（誤り確定を取り消す理由。承認者のみ、承認待ちの訂正内容がないとき）
- correct：なし（承認待ちの訂正内容を承認。/correction/approve と同じ）
- link_later：なし（本人特定待ちの訂正済・通知済の案件で、後から正しい番号を紐付ける訂正内容を承認。状態は変わりません。
  /correction/approve と同じ）
- notify：notified_on、notification_method

viewing_suspended は画面のチェックボックスと同じく、省略すると false（停止していない）です。"""

TRANSITION_BODY = Body("TransitionRequest", _TRANSITION_DESCRIPTION, (
    version_field(),
    Field("cause", "string", "主な原因（confirm）", enum=Cause),
    Field("cause_other", "string", "原因が other のときの内容（confirm）", max_length=REASON_MAX),
    Field("viewed_on_portal", "string", "マイナポータルでの閲覧の有無（confirm）", enum=ViewedOnPortal),
    Field("viewed_what", "string", "閲覧された情報（confirm、閲覧ありのとき）", max_length=REASON_MAX),
    Field("viewed_on", "string", "閲覧日（confirm）", format="date"),
    Field("viewing_suspended", "boolean", "閲覧停止中か（confirm）"),
    Field("identity_method", "string", "本人確認の方法（confirm）", enum=IdentityMethod),
    Field("identity_method_other", "string", "本人確認の方法が other のときの内容（confirm）", max_length=REASON_MAX),
    Field("identity_verified_on", "string", "本人確認をした日（confirm）", format="date"),
    Field("notified_on", "string", "本人へ通知した日（notify）", format="date"),
    Field("notification_method", "string", "通知の方法（notify）", enum=NotificationMethod),
    Field("comment", "string", "コメント（reopen では必須：再確認する理由）", max_length=TEXT_MAX),
))


@api_route("POST", "/cases/<int:case_id>/transitions/<trigger>", operation_id="fireTransition",
           summary="状態遷移（確認開始・確定・誤りなしの承認・再確認・確定の取消し・訂正承認・通知）", response=CASE,
           parameters=({"name": "trigger", "in": "path", "schema": {"type": "string", "enum": list(SPECS)},
                        "description": "状態遷移の種類"},),
           body=TRANSITION_BODY, errors=(403, 404, 409, 422),
           description="画面の操作ボタンと同じ状態遷移です。応答は操作後の案件です。")
def fire_transition(actor: User, case_id: int, trigger: str, body: dict) -> dict:
    if trigger not in SPECS:
        raise NotFound("指定された状態遷移はありません。")
    case = visible_case(case_id, actor)
    operations.fire(case, trigger, actor, expected_version=body["version"],
                    **forms.transition_arguments(trigger, as_form(body)))
    return committed_case(case, actor)


COMMENT_BODY = Body("CommentRequest", "経過に残すコメント", (
    Field("comment", "string", "コメント", required=True, max_length=TEXT_MAX),
))


@api_route("POST", "/cases/<int:case_id>/comments", operation_id="addComment", summary="コメントの追加",
           response=CASE, body=COMMENT_BODY, errors=(404, 409, 422),
           description="案件が見える利用者は誰でもコメントできます（画面と同じ）。応答は追加後の案件です。")
def add_comment(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.add_comment(case, actor, comment=forms.comment_argument(as_form(body)))
    return committed_case(case, actor)


VIEWING_BODY = Body("ViewingRequest", "マイナポータルでの閲覧停止の設定・解除", (
    version_field(),
    Field("suspended", "boolean", "true で閲覧停止、false で解除", required=True),
    Field("comment", "string", "コメント", max_length=TEXT_MAX),
))


@api_route("POST", "/cases/<int:case_id>/viewing", operation_id="setViewing",
           summary="閲覧停止の設定・解除", response=CASE, body=VIEWING_BODY, errors=(403, 404, 409, 422))
def set_viewing(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    form = as_form(body)
    operations.set_viewing_suspended(case, actor, suspended=forms.suspended_argument(form),
                                     expected_version=body["version"], comment=forms.comment_argument(form))
    return committed_case(case, actor)


FACTS_BODY = Body("PersonalFactsRequest", "本人の情報の表示（表示はアクセス記録に残ります）", (
    Field("purpose", "string", "表示する目的", required=True, max_length=PURPOSE_MAX),
))


@api_route("POST", "/cases/<int:case_id>/facts", operation_id="revealPersonalFacts",
           summary="本人の情報の表示（所管省庁・デジタル庁）", response=CASE, body=FACTS_BODY, errors=(404, 409, 422),
           description="案件を監督する組織の職員が、目的を示して本人の情報（氏名・カナ・生年月日・性別・住所）を求めます。"
                       "表示はアクセス記録に先に残ります。応答は本人の情報を含む案件です。")
def reveal_personal_facts(actor: User, case_id: int, body: dict) -> dict:
    from caseflow.audit.operations import reveal_personal_facts as reveal

    case = visible_case(case_id, actor)
    reveal(db.session, actor, case, purpose=body["purpose"], remote_addr=request.remote_addr)
    return lambda: case_document(case, actor, facts_revealed=True)
