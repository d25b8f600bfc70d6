"""Opening a case by hand (caseflow.intake.operations): grading, checks, duplicates, management numbers,
and the registry's facts entered later."""

from __future__ import annotations

import datetime as dt

import pytest

from caseflow.cases.kernel import due_date_for
from caseflow.cases.vocabulary import CaseSource, CaseStatus, FieldVerdict, Grade, Sex
from caseflow.core.japanese import today_jst
from caseflow.errors import Conflict, DomainError, PermissionDenied
from caseflow.extensions import db
from caseflow.intake import forms
from caseflow.intake.operations import (
    IntakeRefused,
    PossibleDuplicates,
    RecordIdTaken,
    enter_registry_facts,
    open_by_hand,
)
from caseflow.matching.by_hand import NOT_ENTERED_REASON, Facts
from caseflow.organizations.models import OrganizationKind
from caseflow.users.models import Role
from tests.conftest import drive, events_of
from tests.intake.conftest import FORM, NUMBER, OTHER_NUMBER, RECORD_ONLY


def _open(actor, program, confirm=False, **changes):
    form = {**FORM, **changes}
    return open_by_hand(db.session, actor, forms.entry_argument(form, program), confirm_duplicate=confirm)


def _refusal(actor, program, **changes) -> list[str]:
    with pytest.raises(IntakeRefused) as refused:
        _open(actor, program, **changes)
    return refused.value.problems


def test_a_case_opened_by_hand_is_graded_by_the_inspection_rules(caseworker, program, agency):
    case = _open(caseworker, program)
    assert (case.status, case.agency_id, case.program_id) == (CaseStatus.DETECTED, agency.id, program.id)
    assert case.grade is Grade.C and "家族の番号" in case.grade_reason
    assert case.verdict("birth_date") is FieldVerdict.MISMATCH and case.verdict("address") is FieldVerdict.NOTATION
    assert case.birth_or_sex_mismatch
    assert (case.source, case.source_record_id, case.registered_number) == (CaseSource.RESIDENT_REPORT, "A-1001", NUMBER)
    assert (case.record_sex, case.registry_birth_date) == (Sex.MALE, dt.date(1998, 5, 1))
    assert case.opened_by_id == caseworker.id and case.opened_by_hand
    assert case.due_date == due_date_for(today_jst())
    (event,) = events_of(case.id)
    assert (event.trigger, event.actor_id, event.to_status) == ("open_by_hand", caseworker.id, CaseStatus.DETECTED)
    assert event.details == {"grade": "C", "source": "resident_report", "source_other": None}


def test_without_the_registry_facts_the_case_is_b_with_every_verdict_missing(caseworker, program):
    case = open_by_hand(db.session, caseworker, forms.entry_argument(RECORD_ONLY, program))
    assert case.grade is Grade.B and case.grade_reason == NOT_ENTERED_REASON
    assert set(case.field_verdicts.values()) == {FieldVerdict.MISSING.value}
    assert case.registry_name is None and not case.birth_or_sex_mismatch


def test_the_same_facts_on_both_sides_grade_a(caseworker, program):
    same = {f"registry_{key}": FORM[f"record_{key}"] for key in ("name", "kana", "birth_date", "sex", "address")}
    assert _open(caseworker, program, **same).grade is Grade.A


def test_every_problem_is_listed_in_japanese_without_the_number(caseworker, program):
    wrong_check_digit = NUMBER[:11] + str((int(NUMBER[11]) + 1) % 10)
    problems = _refusal(caseworker, program, registered_number=wrong_check_digit, record_birth_date="2999-01-01",
                        registry_birth_date="1800-01-01", source="other", source_other="", record_sex="x")
    assert "個人番号の検査用数字が一致しません。" in problems
    assert "業務データの生年月日が未来の日付です。" in problems
    assert any(p.startswith("住民基本台帳の生年月日は明治元年") for p in problems)
    assert "発見の経緯が「その他」のときは、その内容を入力してください。" in problems
    assert "業務データの性別は選択肢から選んでください。" in problems
    assert not any(wrong_check_digit in p or wrong_check_digit[-4:] in p for p in problems)
    assert _refusal(caseworker, program, registered_number=NUMBER[1:]) == [
        "個人番号が11桁です（先頭の0が失われた可能性があります）。"]


def test_a_source_a_program_and_a_record_fact_are_required(caseworker, program):
    empty = {key: "" for key in RECORD_ONLY if key.startswith("record_")}
    problems = _refusal(caseworker, None, source="", **empty)
    assert problems == ["事務を選択してください。", "発見の経緯を選択してください。",
                        "業務データの情報（氏名・カナ氏名・生年月日・性別・住所）を1つ以上入力してください。"]
    assert "点検の登録" in _refusal(caseworker, program, source="inspection")[0]


def test_a_program_the_organisation_does_not_link_is_refused_clearly(caseworker, prefecture_program):
    with pytest.raises(DomainError, match="紐付け実施機関ではないため.*都道府県です"):
        _open(caseworker, prefecture_program)


@pytest.mark.parametrize("kind", [OrganizationKind.MINISTRY, OrganizationKind.LINKING_AGENCY])
def test_only_staff_of_a_linking_agency_open_cases(make_user, make_org, program, kind):
    officer = make_user(Role.MINISTRY_OFFICER if kind is OrganizationKind.MINISTRY else Role.ADMINISTRATOR,
                        org=make_org(kind))
    with pytest.raises(PermissionDenied, match="案件の登録は"):
        _open(officer, program)


def test_an_open_case_with_the_same_number_is_shown_until_confirmed(caseworker, program, make_case):
    earlier = make_case(CaseStatus.VERIFYING, registered_number=NUMBER)
    with pytest.raises(PossibleDuplicates) as shown:
        _open(caseworker, program)
    assert shown.value.cases == [earlier] and earlier.reference in shown.value.message
    assert shown.value.status_code == 409
    case = _open(caseworker, program, confirm=True)
    assert case.id != earlier.id and case.registered_number_digest == earlier.registered_number_digest


def test_closed_cases_and_other_programs_are_not_duplicates(caseworker, program, make_case, ministry):
    make_case(CaseStatus.FALSE, registered_number=NUMBER)
    from caseflow.organizations.models import Program

    other = Program(name="別の事務（重複なし）", ministry_id=ministry.id)
    db.session.add(other)
    db.session.flush()
    make_case(program_=other, registered_number=NUMBER)
    assert _open(caseworker, program).source_record_id == "A-1001"


def test_a_management_number_already_used_is_refused_whatever_the_status(caseworker, program, make_case):
    closed = make_case(CaseStatus.FALSE, source_record_id="A-1001", registered_number=OTHER_NUMBER)
    with pytest.raises(RecordIdTaken) as taken:
        _open(caseworker, program, confirm=True)
    assert closed.reference in taken.value.message and "空欄にして" in taken.value.message


def test_a_blank_management_number_is_generated_per_agency(caseworker, program, make_user, make_org):
    first = _open(caseworker, program, source_record_id="")
    second = _open(caseworker, program, source_record_id="", registered_number=OTHER_NUMBER)
    assert (first.source_record_id, second.source_record_id) == ("M-000001", "M-000002")
    elsewhere = make_user(Role.CASEWORKER, org=make_org())
    assert _open(elsewhere, program, source_record_id="").source_record_id == "M-000001"
    assert "自動で付ける番号" in _refusal(caseworker, program, source_record_id="M-000003")[0]


def test_registry_facts_entered_later_grade_the_case_again(caseworker, supervisor, program):
    case = open_by_hand(db.session, caseworker, forms.entry_argument(RECORD_ONLY, program))
    enter_registry_facts(case, supervisor, Facts(name="青森　太郎", kana="アオモリ　タロウ", birth_date=dt.date(1970, 3, 2),
                                                 sex="female", address="青森県青森市新町一丁目1番1号"),
                         expected_version=case.version)
    assert case.grade is Grade.C and case.verdict("sex") is FieldVerdict.MISMATCH and case.birth_or_sex_mismatch
    assert case.registry_sex is Sex.FEMALE
    event = events_of(case.id)[-1]
    assert (event.trigger, event.actor_id) == ("enter_registry", supervisor.id)
    # which facts were entered and the grades, never the facts themselves (the case keeps them encrypted)
    assert event.details == {"previous_grade": "B", "grade": "C",
                             "fields": ["name", "kana", "birth_date", "sex", "address"]}
    with pytest.raises(Conflict):
        enter_registry_facts(case, caseworker, Facts(name="青森　太郎"), expected_version=case.version - 1)


def test_registry_facts_only_for_hand_opened_cases_being_decided(caseworker, supervisor, program, make_case):
    inspected = make_case(CaseStatus.VERIFYING)
    with pytest.raises(DomainError, match="手入力で登録した案件だけ"):
        enter_registry_facts(inspected, caseworker, Facts(name="山田　太郎"))
    case = open_by_hand(db.session, caseworker, forms.entry_argument(RECORD_ONLY, program))
    with pytest.raises(IntakeRefused, match="1つ以上入力"):
        enter_registry_facts(case, caseworker, Facts())
    with pytest.raises(IntakeRefused, match="未来の日付"):
        enter_registry_facts(case, caseworker, Facts(birth_date=today_jst() + dt.timedelta(days=1)))
    drive(case, CaseStatus.CONFIRMED, caseworker, supervisor)  # confirmed: the facts it was decided on stay
    with pytest.raises(DomainError, match="「誤り確定」のため"):
        enter_registry_facts(case, caseworker, Facts(name="青森　次郎"))


def test_another_organisation_may_not_enter_the_registry_facts(caseworker, program, make_user, make_org):
    case = open_by_hand(db.session, caseworker, forms.entry_argument(RECORD_ONLY, program))
    stranger = make_user(Role.CASEWORKER, org=make_org())
    with pytest.raises(PermissionDenied):
        enter_registry_facts(case, stranger, Facts(name="青森　次郎"))
