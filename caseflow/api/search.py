"""Searching cases through the API by My Number (``POST /cases/search``); the text search is
``GET /cases?q=`` (caseflow.api.cases). The number travels in the body, never in the URL."""

from __future__ import annotations

from flask import request

from caseflow.api.cases import CASE_SUMMARY, case_summary
from caseflow.api.openapi import register_schema
from caseflow.api.views import Body, Field, api_route
from caseflow.cases import search_queries
from caseflow.core.limits import NUMBER_INPUT_MAX, PURPOSE_MAX
from caseflow.extensions import db
from caseflow.users.models import User

NUMBER_SEARCH_BODY = Body("NumberSearchRequest", "個人番号による案件の検索（検索は目的とともにアクセス記録に残ります）", (
    Field("my_number", "string", "個人番号（12桁。空白・ハイフン区切り、全角数字も可）", required=True,
          max_length=NUMBER_INPUT_MAX),
    Field("purpose", "string", "検索する目的", required=True, max_length=PURPOSE_MAX),
))

NUMBER_SEARCH_RESULT = register_schema("NumberSearchResult", {
    "type": "object", "description": "個人番号で見つかった案件（この利用者が閲覧できるものだけ）",
    "properties": {
        "items": {"type": "array", "items": CASE_SUMMARY},
        "total": {"type": "integer", "description": "見つかった案件の数"},
    },
    "required": ["items", "total"], "additionalProperties": False,
})


@api_route("POST", "/cases/search", operation_id="searchCasesByNumber", summary="個人番号による案件の検索",
           response=NUMBER_SEARCH_RESULT, body=NUMBER_SEARCH_BODY, errors=(403, 409, 422),
           description="登録されている個人番号が一致する案件を、この利用者が閲覧できる範囲で返します（照合用ハッシュで完全一致）。"
                       "目的が必要で、検索は見つからなかったときも含めてアクセス記録に残ります。"
                       "検査用数字が合わない番号は 422 で、番号を繰り返さずに断ります。")
def search_by_number(actor: User, body: dict) -> dict:
    cases = search_queries.search_by_number(db.session, actor, number=body["my_number"], purpose=body["purpose"],
                                    remote_addr=request.remote_addr)
    return {"items": [case_summary(case, actor) for case in cases], "total": len(cases)}
