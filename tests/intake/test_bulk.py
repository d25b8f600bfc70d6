"""Cases opened from a list (CSV or .xlsx): all or nothing, every problem with its row; the page and the CLI."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
import xlsxwriter
from click.testing import CliRunner

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseSource, CaseStatus, FieldVerdict, Grade
from caseflow.cli import main
from caseflow.core.mynumber import contains_my_number
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.intake.bulk import ListRefused, import_list
from caseflow.organizations.models import Organization, Program
from caseflow.users.models import Role
from caseflow.users.operations import create_user
from tests.conftest import PASSWORD, login, valid_number
from tests.intake.conftest import NUMBER, OTHER_NUMBER

HEADER = ["管理番号", "個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所", "住基氏名", "住基生年月日", "住基 住所", "備考"]
THIRD = valid_number(55_555_555_501)
ROWS = [
    ["K-1", NUMBER, "青森　太郎", "アオモリ　タロウ", "昭和45年3月2日", "男", "青森市新町1-1-1", "", "", "", "窓口"],
    ["", OTHER_NUMBER, "青森　花子", "", "1980/4/5", "2", "青森市新町2-2-2", "青森　花子", "1980-04-05",
     "青森市新町二丁目2番2号", ""],
    ["", THIRD, "", "", "", "", "青森市新町3-3-3", "", "", "", "電話"],
]


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def _import(actor, program, data, filename="list.csv", **kwargs):
    return import_list(db.session, actor, program=program, source=kwargs.pop("source", CaseSource.PAST_UNREPORTED),
                       source_other=kwargs.pop("source_other", None), data=data, filename=filename, **kwargs)


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Case.id)))


@pytest.mark.parametrize(("filename", "make"), [("list.csv", csv_bytes), ("一覧.xlsx", xlsx_bytes)])
def test_every_row_becomes_a_hand_opened_case(caseworker, program, agency, filename, make):
    opened = _import(caseworker, program, make(ROWS), filename)
    assert [row for row, _case in opened] == [2, 3, 4]
    first, second, third = (case for _row, case in opened)
    assert [c.source_record_id for c in (first, second, third)] == ["K-1", "M-000001", "M-000002"]
    assert {c.source for c in (first, second, third)} == {CaseSource.PAST_UNREPORTED}
    assert all(c.opened_by_id == caseworker.id and c.agency_id == agency.id for c in (first, second, third))
    assert first.record_birth_date.isoformat() == "1970-03-02" and first.grade is Grade.B
    assert set(first.field_verdicts.values()) == {FieldVerdict.MISSING.value}
    # the registry's facts given in the row are graded as an inspection's: 二丁目2番2号 = 2-2-2, and
    # no kana or sex in the registry's columns (as in a registry extract without them) still grades A
    assert second.grade is Grade.A and second.verdict("address") is FieldVerdict.NOTATION
    assert second.verdict("birth_date") is FieldVerdict.MATCH and second.registry_name == "青森　花子"
    assert third.record_name is None and third.record_address == "青森市新町3-3-3"
    (event,) = first.events
    assert (event.trigger, event.actor_id, event.details) == ("open_by_hand", caseworker.id, {
        "grade": "B", "source": "past_unreported", "source_other": None, "list_file": filename})


def test_one_bad_row_and_nothing_is_opened_every_problem_listed(caseworker, program, make_case):
    make_case(CaseStatus.FALSE, source_record_id="K-9", registered_number=valid_number(77_777_777_701))
    wrong = NUMBER[:11] + str((int(NUMBER[11]) + 1) % 10)
    rows = [
        ["K-1", wrong, "青森　太郎", "", "1970-03-02", "男", "青森市", "", "", "", ""],
        ["K-2", OTHER_NUMBER, "", "", "", "", "", "", "", "", "備考だけ"],
        ["K-3", THIRD, "青森　三郎", "", "2999-01-01", "X", "青森市", "", "", "", ""],
        ["K-1", valid_number(66_666_666_601), "青森　四郎", "", "", "", "青森市", "", "", "", ""],
        ["K-9", valid_number(88_888_888_801), "青森　五郎", "", "", "", "青森市", "", "", "", ""],
    ]
    before = _count()
    with pytest.raises(ListRefused) as refused:
        _import(caseworker, program, csv_bytes(rows))
    assert _count() == before
    found = [(p.row, p.problem) for p in refused.value.problems]
    assert any(row == 4 and "未来の日付" in text for row, text in found)  # unreadable values first, by row
    assert any(row == 4 and "性別「X」を読み取れません" in text for row, text in found)
    assert "1件も登録しませんでした" in refused.value.message
    with pytest.raises(ListRefused) as refused:
        _import(caseworker, program, csv_bytes([r for r in rows if r[0] != "K-3"]))
    found = [(p.row, p.problem) for p in refused.value.problems]
    assert (2, "個人番号の検査用数字が一致しません。") in found
    assert (3, "業務データの情報（氏名・カナ氏名・生年月日・性別・住所）を1つ以上入力してください。") in found
    assert (4, "管理番号が2行目と重複しています。管理番号は行ごとに別にしてください。") in found
    assert any(row == 5 and "既存の案件" in text for row, text in found)
    assert not any(wrong in text or wrong[-4:] in text for _row, text in found)
    assert _count() == before


def test_possible_duplicates_refuse_the_list_unless_confirmed(caseworker, program, make_case):
    earlier = make_case(CaseStatus.VERIFYING, registered_number=NUMBER)
    rows = [ROWS[0], ["K-2", NUMBER, "青森　一郎", "", "", "", "青森市", "", "", "", ""]]
    with pytest.raises(ListRefused) as refused:
        _import(caseworker, program, csv_bytes(rows))
    found = [(p.row, p.problem) for p in refused.value.problems]
    assert any(row == 2 and earlier.reference in text for row, text in found)
    assert (3, "個人番号が2行目と同じです（重複の可能性）。") in found
    assert len(_import(caseworker, program, csv_bytes(rows), confirm_duplicates=True)) == 2


def test_a_list_without_the_number_column_or_rows_is_refused(caseworker, program):
    with pytest.raises(ListRefused, match="問題 1件") as refused:
        _import(caseworker, program, csv_bytes([["青森　太郎"]], header=["氏名"]))
    assert refused.value.problems[0].problem == "「個人番号」の列がありません。"
    with pytest.raises(ListRefused) as refused:
        _import(caseworker, program, csv_bytes([], header=["個人番号"]))
    assert "データ行がありません" in refused.value.problems[0].problem
    with pytest.raises(ListRefused) as refused:
        _import(caseworker, program, b"\xff\xfe\x00garbage")
    assert "文字コード" in refused.value.problems[0].problem
    with pytest.raises(DomainError, match="その内容を入力"):
        _import(caseworker, program, csv_bytes(ROWS), source=CaseSource.OTHER)


def test_the_upload_page_shows_the_cases_opened_or_the_problems(client, caseworker, program):
    login(client, caseworker)
    page = client.get("/cases/import").get_data(as_text=True)
    assert "住基氏名" in page and "個人番号" in page and program.name in page
    from tests.conftest import csrf_token

    def upload(rows):
        return client.post("/cases/import", content_type="multipart/form-data", data={
            "csrf_token": csrf_token(client, "/cases/import"), "program": str(program.id),
            "source": "eligibility_check", "file": (io.BytesIO(csv_bytes(rows)), "list.csv")})

    bad = upload([ROWS[0], ["K-2", "123", "青森", "", "", "", "", "", "", "", ""]])
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "3行目" in page and "個人番号は数字12桁で入力してください。" in page
    assert _count() == 0
    good = upload(ROWS)
    page = good.get_data(as_text=True)
    assert good.status_code == 200 and "3件の案件を登録しました（発見の経緯：資格確認・更新時の確認）" in page
    references = [c.reference for c in db.session.scalars(sa.select(Case).order_by(Case.id))]
    assert len(references) == 3 and all(ref in page for ref in references)
    assert NUMBER not in page


def test_only_agency_staff_reach_the_upload(client, make_user, ministry):
    login(client, make_user(Role.MINISTRY_OFFICER, org=ministry))
    assert client.get("/cases/import").status_code == 403


def test_the_cli_imports_a_list_or_lists_its_problems(committed_app, tmp_path):
    runner = committed_app.test_cli_runner()
    assert runner.invoke(main, ["seed", "reference"]).exit_code == 0
    with committed_app.app_context():
        agency = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        create_user(db.session, login="list-worker", display_name="一覧 担当", organization=agency,
                    roles={Role.CASEWORKER}, password=PASSWORD)
        program = db.session.scalars(sa.select(Program).where(Program.code == "disability-handbook")).one()
        assert program.is_linked_by(agency)
        db.session.commit()
    path = tmp_path / "一覧.csv"
    args = ["cases", "import", str(path), "--agency", "022012", "--program", "disability-handbook",
            "--source", "ministry_notice", "--user", "list-worker"]
    path.write_bytes(csv_bytes([ROWS[0], ["K-2", "1234", "", "", "", "", "青森市", "", "", "", ""]], encoding="cp932"))
    refused = runner.invoke(main, args)
    assert refused.exit_code == 1 and "3行目" in refused.output and "1件も登録しませんでした" in refused.output
    path.write_bytes(csv_bytes(ROWS, encoding="cp932"))
    done = runner.invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "3件の案件を登録しました" in done.output and "制度所管省庁からの連絡" in done.output
    again = runner.invoke(main, args)
    assert again.exit_code == 1 and "既存の案件" in again.output
    with committed_app.app_context():
        sources = db.session.scalars(sa.select(Case.source)).all()
        assert sources == [CaseSource.MINISTRY_NOTICE] * 3
    other = runner.invoke(main, [*args[:4], "020001", *args[5:]])
    assert other.exit_code == 1 and "の職員ではありません" in other.output
    assert CliRunner().invoke(main, ["cases", "import", "--help"]).exit_code == 0


def test_hostile_files_are_refused_in_japanese_or_read_safely(caseworker, program):
    """The importers' hostile files (tests/tries/test_importers.py) as lists: a refusal in Japanese with
    nothing stored and no number quoted, or (those an extract reads too) cases opened."""
    from tests.tries.test_importers import ACCEPTED, HOSTILE_FILES

    for name, make in HOSTILE_FILES.items():
        content = make()
        before = _count()
        each_alone = db.session.begin_nested()  # the files share their management numbers
        try:
            opened = _import(caseworker, program, content, "一覧.xlsx" if "xlsx" in name else "一覧.csv",
                             confirm_duplicates=True)
        except DomainError as refused:
            assert name not in ACCEPTED, (name, refused.message)
            texts = [refused.message] + [p.problem for p in getattr(refused, "problems", [])]
            assert all(re.search(r"[ぁ-んァ-ン一-龥]", t) for t in texts), (name, texts)
            assert not any(contains_my_number(t) for t in texts), name
            assert _count() == before, name
        else:
            assert name in ACCEPTED, name
            assert opened and _count() == before + len(opened)
        finally:
            each_alone.rollback()
