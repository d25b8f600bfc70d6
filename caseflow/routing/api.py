"""Referrals (照会) in the JSON API: refer a case to another organisation, answer a referral."""

from __future__ import annotations

from caseflow.api.cases import CASE, committed_case, visible_case
from caseflow.api.views import Body, Field, api_route
from caseflow.core.limits import TEXT_MAX
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.organizations.models import Organization
from caseflow.routing import operations
from caseflow.users.models import User

REFERRAL_BODY = Body("ReferralRequest", "他の組織への照会", (
    Field("version", "integer", "取得した案件の version（楽観的排他制御）", required=True),
    Field("to", "integer", "照会先の組織の id（所管省庁、デジタル庁、または紐付け実施機関）", required=True),
    Field("question", "string", "照会の内容", required=True, max_length=TEXT_MAX),
))

ANSWER_BODY = Body("ReferralAnswerRequest", "照会への回答（案件は照会元に戻ります）", (
    Field("version", "integer", "取得した案件の version（楽観的排他制御）", required=True),
    Field("answer", "string", "回答の内容", required=True, max_length=TEXT_MAX),
))


@api_route("POST", "/cases/<int:case_id>/referrals", operation_id="referCase", summary="他の組織への照会",
           response=CASE, body=REFERRAL_BODY, errors=(403, 404, 409, 422))
def refer_case(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    target = db.session.get(Organization, body["to"])
    if target is None:
        raise DomainError("照会先の組織が見つかりません。")
    operations.refer_case(actor, case, to=target, question=body["question"], expected_version=body["version"])
    return committed_case(case, actor)


@api_route("POST", "/cases/<int:case_id>/referrals/answer", operation_id="answerReferral",
           summary="照会への回答", response=CASE, body=ANSWER_BODY, errors=(403, 404, 409, 422))
def answer_referral(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    referral = operations.open_referral(case)
    if referral is None:
        raise DomainError("回答待ちの照会はありません。")
    operations.answer_referral(actor, referral, answer=body["answer"], expected_version=body["version"])
    return committed_case(case, actor)
