"""The report tables in the JSON API (/api/v1/reports/…): the pages' figures, with the pages' rights.

Every figure comes from caseflow.reports.figures (live, as of a month end, or a snapshot) or the
published tables, as on /reports: the same lines, written as numbers.
"""

from __future__ import annotations

import datetime as dt

from flask import request

from caseflow.api.views import api_route
from caseflow.core.japanese import JST
from caseflow.core.json_errors import invalid_request
from caseflow.core.params import MAX_ID, parse_id
from caseflow.errors import NotFound, PermissionDenied
from caseflow.extensions import db
from caseflow.policy import Permission, may, refusal
from caseflow.reports import campaign, figures, published, snapshots, tables
from caseflow.users.models import User

_COUNT = {"type": "integer", "minimum": 0}
_NULLABLE_ID = {"type": ["integer", "null"]}


def _object(properties: dict, description: str) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False,
            "description": description}


LINE = _object({
    "label": {"type": "string", "description": "事務名、機関名、「その他（N事務）」または「合計」"},
    "ministry": {"type": "string", "description": "所管府省庁（事務の行）"},
    "program_id": _NULLABLE_ID, "agency_id": _NULLABLE_ID,
    "agencies": {"type": ["integer", "null"], "description": "点検実施機関の数"},
    "records": {**_COUNT, "description": "点検対象件数（集計される点検：完了し、同じ抽出ファイルは1回）"},
    "errors": {**_COUNT, "description": "紐付け誤り件数（その点検で判明）：割合の分子"},
    "errors_separate": {**_COUNT, "description": "点検以外で判明した紐付け誤り（割合に含めない）"},
    "rate": {"type": ["string", "null"], "description": "割合（%、小数第3位まで四捨五入。点検対象がなければ null）"},
    "viewed": {**_COUNT, "description": "マイナポータルで閲覧された件数（すべての誤り）"},
    "resolved": {**_COUNT, "description": "誤紐付けを解消した件数（訂正済・通知済）"},
    "cause": {"type": "string", "description": "主な原因"},
}, "集計表の1行")
TABLE = _object({
    "source": {"type": "string", "enum": ["live", "snapshot", "published"]},
    "as_of": {"type": "string", "description": "いつ時点の数字か（ISO 8601、日本時間）"},
    "lines": {"type": "array", "items": LINE},
    "total": LINE,
}, "事務別（または機関別）の点検結果")
CAMPAIGN_ROW = _object({
    "program_id": {"type": "integer"}, "program": {"type": "string"}, "ministry": {"type": "string"},
    "agency_id": {"type": "integer"}, "agency_code": {"type": "string"}, "agency": {"type": "string"},
    "obligation": {"type": ["string", "null"], "enum": ["required", "not_required", None],
                   "description": "実態調査の回答による点検義務（null：調査の判定なし）"},
    "deadline": {"type": ["string", "null"], "format": "date"},
    "status": {"type": ["string", "null"], "description": "未着手・点検中・本人確認中・完了"},
    "overdue": {"type": "boolean"},
    "records": _COUNT, "open_cases": _COUNT, "confirmed": _COUNT, "corrected": _COUNT, "notified": _COUNT,
    "viewed": _COUNT, "errors_separate": _COUNT,
    "signed_off_at": {"type": ["string", "null"], "format": "date-time"},
}, "事務・機関ごとの点検の進捗")
CAMPAIGN = _object({"as_of": {"type": "string"}, "rows": {"type": "array", "items": CAMPAIGN_ROW}},
                   "点検の進捗（点検義務と点検結果）")


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


TABLE_PARAMETERS = (
    _query("dataset", {"type": "string", "enum": list(published.DATASETS)}, "公表値（例：2023）。省略時は案件から集計"),
    _query("snapshot", {"type": "integer", "minimum": 1}, "月末の集計の id（省略時は現在）"),
)


def _line(line: tables.Line) -> dict:
    return {"label": line.label, "ministry": line.ministry, "program_id": line.program_id,
            "agency_id": line.agency_id, "agencies": line.agencies, "records": line.records, "errors": line.errors,
            "errors_separate": line.errors_separate, "rate": None if line.rate is None else str(line.rate),
            "viewed": line.viewed, "resolved": line.resolved, "cause": line.cause}


def _check_reporter(actor: User) -> None:
    if not may(actor, Permission.REPORT_VIEW):
        raise PermissionDenied(refusal(Permission.REPORT_VIEW))


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone(JST).isoformat(timespec="seconds")


def _source(actor: User):
    """(source, as_of, grains, causes) of the request's ?snapshot=, or of the cases now."""
    raw = request.args.get("snapshot")
    if not raw:
        return "live", _now(), figures.live_grains(db.session, actor), figures.live_causes(db.session, actor)
    snapshot_id = parse_id(raw, maximum=MAX_ID)
    if snapshot_id is None:
        raise invalid_request("「snapshot」は集計の id（1以上の整数）で指定してください。")
    try:
        snapshot = snapshots.get_snapshot(db.session, snapshot_id)
    except NotFound:
        raise NotFound("集計が見つかりません。") from None
    return ("snapshot", snapshots.month_end_moment(snapshot.period).isoformat(timespec="seconds"),
            figures.visible_grains(actor, snapshots.grains_of(snapshot)),
            figures.visible_causes(actor, snapshots.causes_of(snapshot)))


@api_route("GET", "/reports/programs", operation_id="getProgramReport", summary="事務別の点検結果", response=TABLE,
           parameters=TABLE_PARAMETERS, errors=(400, 403, 404), tag="reports",
           description="画面 /reports/ と同じ表です。案件から集計した数字は利用者の権限の範囲（機関は自機関、所管省庁は"
                       "所管の事務、デジタル庁は全国）。dataset を指定すると公表値（ログインした利用者はだれでも）。")
def program_report(actor: User) -> dict:
    dataset = request.args.get("dataset")
    if dataset:
        if dataset not in published.DATASETS:
            raise NotFound("公表値のデータセットが見つかりません。")
        lines = published.published_lines(db.session, dataset)
        imported = published.imported_at(db.session, dataset)
        return {"source": "published", "as_of": imported.isoformat(timespec="seconds") if imported else "",
                "lines": [_line(x) for x in lines], "total": _line(tables.total(lines))}
    _check_reporter(actor)
    source, as_of, grains, causes = _source(actor)
    lines = figures.program_lines(figures.programs_in_scope(db.session, actor, grains), grains, causes)
    return {"source": source, "as_of": as_of, "lines": [_line(x) for x in lines],
            "total": _line(figures.grand_total(lines, grains))}


@api_route("GET", "/reports/programs/<int:program_id>/agencies", operation_id="getAgencyReport",
           summary="機関別の点検結果（1つの事務）", response=TABLE, parameters=TABLE_PARAMETERS[1:],
           errors=(400, 403, 404), tag="reports",
           description="画面 /reports/programs/{program_id} と同じ表です（利用者の権限の範囲）。")
def agency_report(actor: User, program_id: int) -> dict:
    _check_reporter(actor)
    source, as_of, grains, causes = _source(actor)
    lines = figures.program_lines(figures.programs_in_scope(db.session, actor, grains), grains, causes)
    line = next((x for x in lines if x.program_id == program_id), None)
    if line is None:
        raise NotFound("事務が見つかりません。")
    agencies = figures.agency_lines(db.session, grains, program_id)
    return {"source": source, "as_of": as_of, "lines": [_line(x) for x in agencies], "total": _line(line)}


@api_route("GET", "/reports/campaign", operation_id="getCampaign", summary="点検の進捗（点検義務と点検結果）",
           response=CAMPAIGN, errors=(403,), tag="reports",
           description="画面 /reports/campaign と同じ表です：事務・機関ごとに、実態調査による点検義務、期限、状況、"
                       "点検対象件数、未完了の案件、誤り確定・訂正済・通知済、閲覧、点検以外で判明、終了の報告。")
def campaign_report(actor: User) -> dict:
    _check_reporter(actor)
    rows = []
    for row in campaign.campaign_rows(db.session, actor):
        o = row.obligation
        rows.append({
            "program_id": row.program.id, "program": row.program.name, "ministry": row.program.ministry.name,
            "agency_id": row.agency.id, "agency_code": row.agency.code, "agency": row.agency.name,
            "obligation": None if o is None else ("required" if o.required else "not_required"),
            "deadline": o.deadline.isoformat() if o is not None and o.required else None,
            "status": row.state.status.label if row.state else None, "overdue": row.overdue,
            "records": row.grain.records, "open_cases": row.open_cases, "confirmed": row.confirmed,
            "corrected": row.corrected, "notified": row.grain.notified, "viewed": row.grain.viewed,
            "errors_separate": row.grain.errors_separate,
            "signed_off_at": o.signed_off_at.isoformat() if o is not None and o.signed_off_at else None})
    return {"as_of": _now(), "rows": rows}
