"""The second check through the API: proposals (a correction, a dismissal) with their approval, return and
withdrawal, and the amendments of a confirmed error (viewed on the portal, cause)."""

from __future__ import annotations

from caseflow.api.cases import CASE, committed_case, version_field, visible_case
from caseflow.api.views import Body, Field, api_route, as_form
from caseflow.cases import forms, operations
from caseflow.cases.vocabulary import Cause, CorrectionOutcome, DismissReason, ProposalKind, ViewedOnPortal
from caseflow.core.limits import NUMBER_INPUT_MAX, REASON_MAX, TEXT_MAX
from caseflow.users.models import User

CORRECTION_BODY = Body("CorrectionRequest", "訂正内容の登録（承認者の承認が必要）", (
    version_field(),
    Field("wrong_number_removed", "boolean", "誤って紐付けられた個人番号を業務システムから削除したか（true が必要）",
          required=True),
    Field("outcome", "string", "正しい個人番号を紐付けたか、保留したか", required=True, enum=CorrectionOutcome),
    Field("linked_number", "string", "紐付けた正しい個人番号（outcome が linked のとき。応答では下4桁のみ）",
          max_length=NUMBER_INPUT_MAX),
    Field("note", "string", "備考", max_length=TEXT_MAX),
    Field("query_facts", "integer", "住基照会に用いた情報の数（4、または性別が不明なとき3）。linked のとき必須"),
    Field("query_matches", "integer", "住基照会で該当した人数。linked は1人のときのみ"),
))


@api_route("POST", "/cases/<int:case_id>/correction", operation_id="proposeCorrection",
           summary="訂正内容の登録", response=CASE, body=CORRECTION_BODY, errors=(403, 404, 409, 422),
           description="誤り確定の案件について、業務システムで行った訂正を登録します。本人特定待ち（訂正で番号を紐付けず保留した"
                       "訂正済・通知済の案件）では、本人を特定して正しい番号を紐付けた訂正（outcome は linked）を登録します。"
                       "応答は登録後の案件です。")
def propose_correction(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.propose_correction(case, actor, expected_version=body["version"],
                                  **forms.correction_arguments(as_form(body)))
    return committed_case(case, actor)


DECISION_BODY = Body("DecisionRequest", "訂正内容・誤りなしの判断の承認、差戻しまたは取下げ", (
    version_field(),
    Field("comment", "string", "コメント（差戻し・取下げでは必須：理由）", max_length=TEXT_MAX),
))


@api_route("POST", "/cases/<int:case_id>/correction/approve", operation_id="approveCorrection",
           summary="訂正内容の承認", response=CASE, body=DECISION_BODY, errors=(403, 404, 409, 422),
           description="案件を保有する機関の承認者で、訂正内容を登録した本人以外が承認できます。案件は訂正済になります"
                       "（本人特定待ちの案件の紐付けでは状態は変わらず、本人特定待ちから外れます）。")
def approve_correction(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.approve_correction(case, actor, expected_version=body["version"],
                                  comment=forms.comment_argument(as_form(body)))
    return committed_case(case, actor)


@api_route("POST", "/cases/<int:case_id>/correction/return", operation_id="returnCorrection",
           summary="訂正内容の差戻し", response=CASE, body=DECISION_BODY, errors=(403, 404, 409, 422),
           description="承認者が、理由を付けて訂正内容を担当職員に差し戻します。")
def return_correction(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.return_correction(case, actor, expected_version=body["version"],
                                 comment=forms.comment_argument(as_form(body)))
    return committed_case(case, actor)


@api_route("POST", "/cases/<int:case_id>/correction/withdraw", operation_id="withdrawCorrection",
           summary="訂正内容の取下げ", response=CASE, body=DECISION_BODY, errors=(403, 404, 409, 422),
           description="訂正内容を登録した職員本人が、理由を付けて承認待ちの訂正内容を取り下げます。"
                       "その後は同じ機関の職員が登録し直せます（承認者が一人の機関でも、担当職員が登録し直せば承認できます）。")
def withdraw_correction(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.withdraw_proposal(case, actor, ProposalKind.CORRECTION, expected_version=body["version"],
                                 comment=forms.comment_argument(as_form(body)))
    return committed_case(case, actor)


DISMISSAL_BODY = Body("DismissalRequest", "誤りなしの判断の登録（承認者の承認が必要）", (
    version_field(),
    Field("dismiss_reason", "string", "誤りではないと判断した理由。照合結果と矛盾する理由は受け付けません"
          "（氏名・カナ・生年月日・性別のいずれかが不一致なら notation_difference は不可 など）",
          required=True, enum=DismissReason),
    Field("dismiss_reason_other", "string", "理由が other のときの内容", max_length=REASON_MAX),
    Field("comment", "string", "確認の経緯", max_length=TEXT_MAX),
))


@api_route("POST", "/cases/<int:case_id>/dismissal", operation_id="proposeDismissal",
           summary="誤りなしの判断の登録", response=CASE, body=DISMISSAL_BODY, errors=(403, 404, 409, 422),
           description="確認中の案件について、登録されている番号が本人のものだったと判断した理由を登録します。"
                       "案件は、同じ機関の承認者（登録者本人以外）が承認するまで確認中のままです。")
def propose_dismissal(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.propose_dismissal(case, actor, expected_version=body["version"],
                                 **forms.dismissal_arguments(as_form(body)))
    return committed_case(case, actor)


@api_route("POST", "/cases/<int:case_id>/dismissal/approve", operation_id="approveDismissal",
           summary="誤りなしの判断の承認", response=CASE, body=DECISION_BODY, errors=(403, 404, 409, 422),
           description="案件を保有する機関の承認者で、誤りなしの判断を登録した本人以外が承認できます。案件は誤りなしになります。")
def approve_dismissal(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.approve_dismissal(case, actor, expected_version=body["version"],
                                 comment=forms.comment_argument(as_form(body)))
    return committed_case(case, actor)


@api_route("POST", "/cases/<int:case_id>/dismissal/return", operation_id="returnDismissal",
           summary="誤りなしの判断の差戻し", response=CASE, body=DECISION_BODY, errors=(403, 404, 409, 422),
           description="承認者が、理由を付けて誤りなしの判断を差し戻します。案件は確認中のままです。")
def return_dismissal(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.return_dismissal(case, actor, expected_version=body["version"],
                                comment=forms.comment_argument(as_form(body)))
    return committed_case(case, actor)


@api_route("POST", "/cases/<int:case_id>/dismissal/withdraw", operation_id="withdrawDismissal",
           summary="誤りなしの判断の取下げ", response=CASE, body=DECISION_BODY, errors=(403, 404, 409, 422),
           description="誤りなしの判断を登録した職員本人が、理由を付けて取り下げます。")
def withdraw_dismissal(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    operations.withdraw_proposal(case, actor, ProposalKind.DISMISSAL, expected_version=body["version"],
                                 comment=forms.comment_argument(as_form(body)))
    return committed_case(case, actor)


VIEWED_BODY = Body("ViewedAmendmentRequest", "マイナポータルでの閲覧の有無の修正（誤り確定の後）", (
    version_field(),
    Field("viewed_on_portal", "string", "閲覧の有無", required=True, enum=ViewedOnPortal),
    Field("viewed_what", "string", "閲覧された情報（yes のとき必須）", max_length=REASON_MAX),
    Field("viewed_on", "string", "閲覧日（yes のとき、分かれば）", format="date"),
    Field("comment", "string", "修正の理由", required=True, max_length=TEXT_MAX),
))


@api_route("POST", "/cases/<int:case_id>/viewed", operation_id="amendViewed",
           summary="閲覧の有無の修正", response=CASE, body=VIEWED_BODY, errors=(403, 404, 409, 422),
           description="誤り確定・訂正済・通知済の案件の閲覧の有無を、理由を付けて修正します（不明 → あり／なし など）。"
                       "修正前の内容は経過に残り、集計は修正後の値を数えます。")
def amend_viewed(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    form = as_form(body)
    operations.amend_viewed(case, actor, expected_version=body["version"], comment=forms.comment_argument(form),
                            **forms.viewed_arguments(form))
    return committed_case(case, actor)


CAUSE_BODY = Body("CauseAmendmentRequest", "主な原因の修正（誤り確定の後）", (
    version_field(),
    Field("cause", "string", "主な原因", required=True, enum=Cause),
    Field("cause_other", "string", "原因が other のときの内容", max_length=REASON_MAX),
    Field("comment", "string", "修正の理由", required=True, max_length=TEXT_MAX),
))


@api_route("POST", "/cases/<int:case_id>/cause", operation_id="amendCause",
           summary="主な原因の修正", response=CASE, body=CAUSE_BODY, errors=(403, 404, 409, 422),
           description="誤り確定・訂正済・通知済の案件の主な原因を、理由を付けて修正します。修正前の内容は経過に残ります。")
def amend_cause(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    form = as_form(body)
    operations.amend_cause(case, actor, expected_version=body["version"], comment=forms.comment_argument(form),
                           **forms.cause_arguments(form))
    return committed_case(case, actor)
