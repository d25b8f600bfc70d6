"""Inspection batches: files in, A/B/C out, a case per B and C — once, however often imported."""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl
import pytest
import sqlalchemy as sa

from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import CaseStatus
from caseflow.core.mynumber import check_digit
from caseflow.errors import PermissionDenied
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus
from caseflow.inspections.operations import batch_directory, run_inspection, start_inspection
from caseflow.users.models import Role

HEADER_EN = ["record_id", "my_number", "name", "name_kana", "birth_date", "sex", "address"]
HEADER_JA = ["管理番号", "個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所"]


def number(seed: int) -> str:
    first = f"{seed:011d}"
    return first + str(check_digit(first))


PEOPLE = [  # (number, name, kana, birth, sex, address) as the registry holds them
    (number(101), "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "1", "青森県青森市新町二丁目1番2号"),
    (number(102), "山田　花子", "ヤマダ　ハナコ", "1972-05-01", "2", "青森県青森市新町二丁目1番2号"),
    (number(103), "佐藤　一郎", "サトウ　イチロウ", "1980-01-15", "1", "青森県弘前市大字代官町5番地1"),
    (number(104), "鈴木　幸子", "スズキ　サチコ", "1955-11-30", "2", "青森県八戸市城下一丁目3番4号"),
]


def csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def registry_file() -> bytes:
    return csv_bytes(["個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所"], [list(p) for p in PEOPLE])


def records_file(encoding: str = "utf-8") -> bytes:
    rows = [
        # A: right number (the same number is also on R2, another person's record: noted)
        ["R1", PEOPLE[0][0], "山田　太郎", "ヤマダ　タロウ", "昭和45年3月2日", "男", "青森市新町2-1-2"],
        # C: the wife's record carries the husband's number (family member)
        ["R2", PEOPLE[0][0], "山田　花子", "ヤマダ　ハナコ", "1972/5/1", "女", "青森市新町2-1-2"],
        # B: unreported move
        ["R3", PEOPLE[2][0], "佐藤　一郎", "サトウ　イチロウ", "19800115", "男", "青森県青森市中央1丁目2番3号"],
        # C: a check digit that does not add up
        ["R4", PEOPLE[3][0][:11] + str((int(PEOPLE[3][0][11]) + 1) % 10), "鈴木　幸子", "スズキ　サチコ",
         "1955-11-30", "女", "青森県八戸市城下1-3-4"],
        # A: the wife's own record, with her own number
        ["R5", PEOPLE[1][0], "山田　花子", "やまだ　はなこ", "1972-05-01", "2", "青森市新町２－１－２"],
    ]
    return csv_bytes(HEADER_JA, rows, encoding)


@pytest.fixture
def inspect(app, agency, program, caseworker):
    def run(records: bytes = None, registry: bytes = None, actor=None):
        batch = start_inspection(db.session, actor or caseworker, agency=agency, program=program,
                                 records=("records.csv", records or records_file()),
                                 registry=("registry.csv", registry or registry_file()),
                                 root=app.instance_path)
        run_inspection(db.session, batch, root=app.instance_path)
        db.session.flush()
        return batch

    return run


def _cases(batch_id: int) -> list[Case]:
    return db.session.scalars(sa.select(Case).where(Case.batch_id == batch_id).order_by(Case.source_record_id)).all()


def test_batch_counts_and_opens_a_case_per_b_and_c(inspect, app):
    batch = inspect()
    assert batch.status is BatchStatus.DONE
    assert (batch.records_inspected, batch.count_a, batch.count_b, batch.count_c) == (5, 2, 1, 2)
    cases = _cases(batch.id)
    assert [c.source_record_id for c in cases] == ["R2", "R3", "R4"]
    family, move, bad_number = cases
    assert "別の人の記録にも" in family.grade_reason
    assert family.status is CaseStatus.DETECTED and family.grade.value == "C"
    assert "家族" in family.grade_reason
    # both records side by side, with the per-field verdicts
    assert (family.record_name, family.registry_name) == ("山田　花子", "山田　太郎")
    assert family.field_verdicts["birth_date"] == "mismatch" and family.field_verdicts["address"] == "notation"
    assert family.record_birth_date == dt.date(1972, 5, 1)
    assert move.grade.value == "B" and "転居" in move.grade_reason
    assert "検査用数字" in bad_number.grade_reason
    events = db.session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == family.id)).all()
    assert [(e.trigger, e.to_status) for e in events] == [("detect", CaseStatus.DETECTED)]


def test_result_file_lists_every_record_with_verdicts(inspect, app):
    batch = inspect()
    result = pl.read_csv(batch_directory(app.instance_path, batch.id) / "result.csv")
    assert result.columns == ["record_id", "grade", "reason", "verdict_name", "verdict_name_kana",
                              "verdict_birth_date", "verdict_sex", "verdict_address"]
    assert result["grade"].to_list() == ["A", "C", "B", "C", "A"]
    assert "別の人の記録にも" in result["reason"][0]
    text = (batch_directory(app.instance_path, batch.id) / "result.csv").read_text(encoding="utf-8-sig")
    for person in PEOPLE:
        assert person[0] not in text  # the result file carries no My Number


def test_uploaded_files_are_not_kept(inspect, app):
    batch = inspect()
    assert sorted(p.name for p in batch_directory(app.instance_path, batch.id).iterdir()) == ["result.csv", "result.csv.sha256"]


def test_importing_the_same_files_again_opens_no_duplicate(inspect):
    first = inspect()
    second = inspect()
    assert (second.cases_opened, second.cases_already_open) == (0, 3)
    assert len(_cases(first.id)) == 3 and _cases(second.id) == []
    total = db.session.scalar(sa.select(sa.func.count(Case.id)))
    assert total == 3


def test_cp932_file_with_a_bad_row_is_refused_whole(inspect):
    rows = [["R1", PEOPLE[0][0], "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "男", "青森市新町2-1-2"],
            ["R2", PEOPLE[1][0], "山田　花子", "ヤマダ　ハナコ", "1972年13月1日", "女", "青森市新町2-1-2"]]
    batch = inspect(records=csv_bytes(HEADER_JA, rows, "cp932"))
    assert batch.status is BatchStatus.REFUSED
    assert batch.problems and batch.problems[0]["row"] == 3 and batch.problems[0]["column"] == "生年月日"
    assert batch.problems[0]["file"] == "業務データ"
    assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 0
    assert all(PEOPLE[0][0] not in p["problem"] for p in batch.problems)


def test_ministry_cannot_start_an_inspection(inspect, make_user, ministry):
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    with pytest.raises(PermissionDenied):
        inspect(actor=officer)


def test_new_cases_are_due_in_business_days(inspect):
    from caseflow.cases.kernel import CASE_DUE_BUSINESS_DAYS
    from caseflow.core.business_days import add_business_days, is_business_day
    from caseflow.core.japanese import today_jst

    batch = inspect()
    due = {case.due_date for case in _cases(batch.id)}
    assert due == {add_business_days(today_jst(), CASE_DUE_BUSINESS_DAYS)}
    assert is_business_day(due.pop())


def test_blank_addresses_open_cases_with_missing_and_marked_records_their_own_reason(inspect):
    """生活保護 records without an address are graded, not refused; 住登外者 are B with their own reason."""
    elsewhere = number(199)  # a valid number the agency's registry does not hold
    rows = [
        # A: all four facts
        ["R1", PEOPLE[0][0], "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "男", "青森市新町2-1-2", ""],
        # B: no address (and no kana): missing, graded from the rest
        ["R2", PEOPLE[2][0], "佐藤　一郎", "", "1980-01-15", "男", "", ""],
        # C: no address, and another person's number
        ["R3", PEOPLE[3][0], "田中　恵子", "タナカ　ケイコ", "1990-07-07", "女", "　", ""],
        # B: a person registered in another municipality (marked), and one only absent from the registry
        ["R4", elsewhere, "高橋　健", "タカハシ　ケン", "1965-04-01", "男", "岩手県盛岡市内丸1-1", "○"],
        ["R5", number(198), "高橋　咲", "タカハシ　サキ", "1967-08-01", "女", "岩手県盛岡市内丸1-1", ""],
    ]
    batch = inspect(records=csv_bytes([*HEADER_JA, "住登外"], rows))
    assert batch.status is BatchStatus.DONE, batch.problems
    assert (batch.records_inspected, batch.count_a, batch.count_b, batch.count_c) == (5, 1, 3, 1)
    lacking, other_person, marked, absent = _cases(batch.id)
    assert (lacking.source_record_id, lacking.grade.value, lacking.record_address) == ("R2", "B", None)
    assert lacking.field_verdicts["address"] == "missing" and lacking.field_verdicts["kana"] == "missing"
    assert lacking.field_verdicts["name"] == "match" and "住所の情報がない" in lacking.grade_reason
    assert (other_person.grade.value, other_person.field_verdicts["address"]) == ("C", "missing")
    for case in (marked, absent):
        assert case.grade.value == "B"
        assert case.grade_reason.startswith("住登外者: 住基ネット照会で確認")
        assert "誤った番号" not in case.grade_reason
        assert case.registry_name is None
