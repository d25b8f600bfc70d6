"""Answering a survey: drafts, submissions, refusals that save nothing, lists and forms imported whole."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from caseflow.errors import PermissionDenied
from caseflow.extensions import db
from caseflow.routing.models import InboxItem, InboxKind
from caseflow.routing.operations import inbox
from caseflow.surveys import obligations, operations, workbook
from caseflow.surveys.models import InspectionObligation, ResponseStatus
from caseflow.surveys.operations import AnswersRefused
from caseflow.surveys.questionnaire import ITEM_KEYS
from tests.surveys.conftest import KNOWN_CAUSE, SAFE, SHEET


def _obligations(world):
    return {o.organization.code: o for o in db.session.scalars(
        sa.select(InspectionObligation).where(InspectionObligation.survey_id == world.survey.id))}


def test_a_submission_decides_the_obligation_with_its_reason(survey_world):
    w = survey_world
    respondent = w.respondent(w.aomori)
    operations.save_answers(db.session, respondent, w.users["aomori"], sheet=SHEET, answers=KNOWN_CAUSE, submit=True)
    assert respondent.status is ResponseStatus.SUBMITTED
    found = _obligations(w)["022012"]
    assert found.required and found.scope == "all"
    assert [code for code, _ in found.reasons] == ["Q7-4-no-address"]
    assert "住所" in found.reasons[0][1]
    assert found.deadline == w.survey.inspection_deadline


def test_safe_answers_need_no_inspection_and_q1_limits_it_to_non_residents(survey_world):
    w = survey_world
    operations.save_answers(db.session, w.respondent(w.hirosaki), w.users["hirosaki"], sheet=SHEET, answers=SAFE,
                            submit=True)
    assert not _obligations(w)["022021"].required
    operations.save_answers(db.session, w.respondent(w.aomori), w.users["aomori"], sheet=SHEET,
                            answers=KNOWN_CAUSE | {"1-1": "①"}, submit=True)
    assert _obligations(w)["022012"].scope_label == "住登外者等"


@pytest.mark.parametrize(("answers", "expected"), [
    (SAFE | {"4": "①", "3": "②"}, "Q4：Q3で②を選んだ場合は回答しません"),
    ({key: value for key, value in SAFE.items() if key != "5"}, "Q5"),
    (SAFE | {"3": "⑤"}, "Q3"),
])
def test_an_inconsistent_or_incomplete_submission_saves_nothing(survey_world, answers, expected):
    w = survey_world
    respondent = w.respondent(w.aomori)
    with pytest.raises(AnswersRefused) as refused:
        operations.save_answers(db.session, respondent, w.users["aomori"], sheet=SHEET, answers=answers, submit=True)
    assert expected in refused.value.message
    assert respondent.status is ResponseStatus.NOT_STARTED and respondent.answers == {}
    assert _obligations(w) == {}


def test_a_draft_takes_what_is_consistent_so_far_and_a_submission_needs_the_sheet(survey_world):
    w = survey_world
    respondent = w.respondent(w.aomori)
    operations.save_answers(db.session, respondent, w.users["aomori"], sheet={}, answers={"1-1": "②", "3": "②"},
                            submit=False)
    assert respondent.status is ResponseStatus.DRAFT
    assert operations.flags(respondent) == {"情報未入力あり": True, "未回答あり": True}
    with pytest.raises(AnswersRefused, match="担当部署名"):
        operations.save_answers(db.session, respondent, w.users["aomori"], sheet={}, answers=SAFE, submit=True)


def test_only_the_respondents_staff_answer(survey_world):
    w = survey_world
    for user in ("hirosaki", "prefecture", "ministry", "digital"):
        with pytest.raises(PermissionDenied):
            operations.save_answers(db.session, w.respondent(w.aomori), w.users[user], sheet=SHEET, answers=SAFE,
                                    submit=True)


def test_a_union_answers_for_its_members_by_q13(survey_world):
    w = survey_world
    union_answers = {"13": "②", "2": "①", "3": "①", "4": "③", "5": "②", "6": "①", "7-1": "①", "7-2": "②",
                     "9": "④", "10": "①", "11": "①", "12": "①"}
    operations.save_answers(db.session, w.respondent(w.union), None, sheet=SHEET, answers=union_answers, submit=True)
    operations.save_answers(db.session, w.respondent(w.member), None, sheet=SHEET, answers={"13": "②"}, submit=True)
    found = _obligations(w)
    assert found["u01-sorachi-chubu"].required
    assert [code for code, _ in found["u01-sorachi-chubu"].reasons] == ["Q9-4"]
    assert not found["012271"].required  # the union inspects; the member answered Q13 only
    with pytest.raises(AnswersRefused, match="Q2"):
        operations.save_answers(db.session, w.respondent(w.member), None, sheet=SHEET, answers={"13": "②", "2": "①"},
                                submit=True)


def test_reminders_reach_the_unanswered_in_their_inbox_once_a_day(survey_world):
    w = survey_world
    operations.save_answers(db.session, w.respondent(w.hirosaki), None, sheet=SHEET, answers=SAFE, submit=True)
    sent = operations.remind(db.session, w.users["prefecture"], w.survey)
    assert sent == 1  # 青森市 only: 弘前市 has submitted, 札幌市 answers the ministry directly
    [item] = inbox(db.session, w.users["aomori"])
    assert item.kind is InboxKind.SURVEY_REMINDER and "回答期限" in item.message
    assert inbox(db.session, w.users["hirosaki"]) == []
    assert operations.remind(db.session, w.users["prefecture"], w.survey) == 0
    assert operations.remind(db.session, w.users["ministry"], w.survey) == 3  # 札幌市, the union, its member
    assert db.session.scalar(sa.select(sa.func.count(InboxItem.id))) == 4


def _list_csv(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["組織名", "担当部署名", "回答責任者役職", "回答責任者氏名", "連絡先氏名",
                                                "電話番号", "メールアドレス", *ITEM_KEYS])
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


_LABELLED_SHEET = {"担当部署名": "介護保険課", "回答責任者役職": "課長", "回答責任者氏名": "青森 太郎", "連絡先氏名": "青森 花子",
                   "電話番号": "017-000-0000", "メールアドレス": "k@example.jp"}


def test_a_list_is_imported_whole(survey_world):
    w = survey_world
    data = _list_csv([{"組織名": "02青森県青森市", **_LABELLED_SHEET, **KNOWN_CAUSE},
                      {"組織名": "02青森県弘前市", **_LABELLED_SHEET, **SAFE}])
    assert operations.import_file(db.session, None, w.survey, data, "list.csv") == 2
    assert w.respondent(w.aomori).status is ResponseStatus.SUBMITTED
    assert w.respondent(w.aomori).submitted_via == "list"
    assert _obligations(w)["022012"].required and not _obligations(w)["022021"].required


def test_a_bad_list_is_refused_with_every_row_and_item_and_nothing_stored(survey_world):
    w = survey_world
    data = _list_csv([
        {"組織名": "02青森県青森市", **_LABELLED_SHEET, **KNOWN_CAUSE},  # good, but the file is refused whole
        {"組織名": "02青森県むつ市X", **_LABELLED_SHEET, **SAFE},  # unknown organisation
        {"組織名": "02青森県弘前市", **_LABELLED_SHEET, **(SAFE | {"3": "②", "4": "①"})},  # a skipped question answered
    ])
    with pytest.raises(AnswersRefused) as refused:
        operations.import_file(db.session, None, w.survey, data, "list.csv")
    problems = [(p.row, p.key) for p in refused.value.problems]
    assert (3, "組織名") in problems and (4, "4") in problems
    assert all(r.status is ResponseStatus.NOT_STARTED for r in (w.respondent(w.aomori), w.respondent(w.hirosaki)))
    blank = _list_csv([{"組織名": "02青森県青森市", **_LABELLED_SHEET, **{k: v for k, v in KNOWN_CAUSE.items() if k != "9"}}])
    with pytest.raises(AnswersRefused) as refused:
        operations.import_file(db.session, None, w.survey, blank, "list.csv")
    assert [(p.row, p.key) for p in refused.value.problems] == [(2, "9")]
    wrong = _list_csv([{"組織名": "02青森県青森市", **_LABELLED_SHEET, **(KNOWN_CAUSE | {"9": "⑤"})}])
    with pytest.raises(AnswersRefused) as refused:
        operations.import_file(db.session, None, w.survey, wrong, "list.csv")
    assert [(p.row, p.key) for p in refused.value.problems] == [(2, "9")]
    assert "⑤" in refused.value.problems[0].message


def test_a_filled_excel_form_is_submitted_by_import_and_by_its_respondent(survey_world):
    w = survey_world
    respondent = w.respondent(w.aomori)
    q = operations.questionnaire_of(respondent)
    body = workbook.respondent_workbook(q, respondent.kind, operations.sheet_of(respondent) | SHEET, KNOWN_CAUSE,
                                        title=w.survey.title)
    assert operations.import_file(db.session, None, w.survey, body, "form.xlsx") == 1
    assert respondent.status is ResponseStatus.SUBMITTED and respondent.submitted_via == "workbook"
    assert respondent.answers == KNOWN_CAUSE


def test_a_new_rule_table_decides_again_and_is_refused_when_wrong(survey_world):
    w = survey_world
    operations.save_answers(db.session, w.respondent(w.hirosaki), None, sheet=SHEET, answers=SAFE, submit=True)
    assert not _obligations(w)["022021"].required
    table = obligations.current_rule_table(db.session).table
    stricter = {**table, "rules": [*table["rules"], {"code": "Q4-1", "reason": "試行：事業主経由も点検する",
                                                     "when": {"item": "4", "any_of": ["①"]}}]}
    with pytest.raises(PermissionDenied):
        obligations.change_rule_table(db.session, w.users["ministry"], stricter, "試行")
    new = obligations.change_rule_table(db.session, w.users["digital"], stricter, "試行")
    assert new.version == 2
    assert _obligations(w)["022021"].required and _obligations(w)["022021"].rule_version == 2
    broken = {**table, "rules": [{"code": "X", "reason": "r", "when": {"item": "14", "any_of": ["①"]}}]}
    with pytest.raises(Exception, match="14"):
        obligations.change_rule_table(db.session, w.users["digital"], broken, "誤り")
