"""Intake through the JSON API: open a case by hand (POST /cases), enter the registry's facts later.

The same operations as the pages (caseflow.intake.operations), the body read by the same form
parser; a possible duplicate is 409 (``possible_duplicate``, the references in the message) until
the request says ``confirm_duplicate: true``.
"""

from __future__ import annotations

from caseflow.api.cases import CASE, committed_case, version_field, visible_case
from caseflow.api.views import Body, Field, api_route, as_form
from caseflow.cases.vocabulary import CaseSource, Sex
from caseflow.core.limits import NUMBER_INPUT_MAX, REASON_MAX, RECORD_ID_MAX
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.intake import forms, operations
from caseflow.matching.fields import MAX_LENGTHS
from caseflow.organizations.models import Program
from caseflow.users.models import User


def _facts_fields(side: str, label: str) -> tuple[Field, ...]:
    return (
        Field(f"{side}_name", "string", f"{label}の氏名", max_length=MAX_LENGTHS["name"]),
        Field(f"{side}_kana", "string", f"{label}のカナ氏名", max_length=MAX_LENGTHS["name_kana"]),
        Field(f"{side}_birth_date", "string", f"{label}の生年月日", format="date"),
        Field(f"{side}_sex", "string", f"{label}の性別", enum=Sex),
        Field(f"{side}_address", "string", f"{label}の住所", max_length=MAX_LENGTHS["address"]),
    )


INTAKE_BODY = Body("IntakeRequest", "手入力での案件の登録（点検以外で見つかった紐付け誤りの疑い）", (
    Field("program", "integer", "事務の id（利用者の組織が紐付けを行う事務のみ）", required=True),
    Field("source", "string", "発見の経緯（inspection は点検の登録からのみ）", required=True, enum=CaseSource),
    Field("source_other", "string", "発見の経緯の内容（source が other のときは必須）", max_length=REASON_MAX),
    Field("source_record_id", "string", "管理番号（宛名番号など）。省略すると M-000001 のような番号を付けます",
          max_length=RECORD_ID_MAX),
    Field("registered_number", "string", "紐付けられていた個人番号（12桁。応答では下4桁のみ）", required=True,
          max_length=NUMBER_INPUT_MAX),
    *_facts_fields("record", "業務データ"),
    *_facts_fields("registry", "住民基本台帳（番号の保有者。分からなければ省略し、後で /cases/{case_id}/registry で入力）"),
    Field("confirm_duplicate", "boolean", "true：同じ事務に同じ個人番号・管理番号の未完了の案件があっても登録する"),
))


def _program(program_id: int) -> Program:
    program = db.session.get(Program, program_id) if program_id else None
    if program is None:
        raise DomainError("指定された事務が見つかりません。")
    return program


@api_route("POST", "/cases", operation_id="openCase", summary="案件の登録（手入力）", response=CASE, status=201,
           body=INTAKE_BODY, errors=(400, 403, 409, 422),
           description="紐付け実施機関の担当職員・承認者が、自分の組織の案件を登録します。業務データと住民基本台帳の情報は"
                       "点検と同じ規則で照合して判定します（住民基本台帳の情報がなければ B・照合結果は情報なし）。"
                       "同じ事務に同じ個人番号または管理番号の未完了の案件があれば 409（possible_duplicate、"
                       "案件番号はメッセージに）で、confirm_duplicate: true で登録します。同じ管理番号の案件が"
                       "既にあれば（状態を問わず）409（record_id_taken）です。応答は登録した案件です。")
def open_case(actor: User, body: dict) -> dict:
    operations.check_may_open(actor, None)
    entry = forms.entry_argument(as_form(body), _program(body["program"]))
    case = operations.open_by_hand(db.session, actor, entry, confirm_duplicate=bool(body["confirm_duplicate"]))
    return committed_case(case, actor)


REGISTRY_BODY = Body("RegistryFactsRequest", "手入力で登録した案件の住民基本台帳の情報（入力すると照合し直します）", (
    version_field(),
    *_facts_fields("registry", "住民基本台帳"),
))


@api_route("POST", "/cases/<int:case_id>/registry", operation_id="enterRegistryFacts",
           summary="住民基本台帳の情報の入力（手入力の案件）", response=CASE, body=REGISTRY_BODY,
           errors=(403, 404, 409, 422),
           description="検出・確認中の手入力の案件に、番号の保有者の住民基本台帳の情報を入力し、点検と同じ規則で照合し直します"
                       "（入力済みの情報は置き換わります）。応答は照合し直した案件です。")
def enter_registry(actor: User, case_id: int, body: dict) -> dict:
    case = visible_case(case_id, actor)
    unreadable: list[str] = []
    facts = forms.facts_argument(as_form(body), "registry", unreadable)
    operations.enter_registry_facts(case, actor, facts, expected_version=body["version"], unreadable=unreadable)
    return committed_case(case, actor)
