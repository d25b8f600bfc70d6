"""`caseflow grade` on extracts whose records lack facts or are marked 住登外, as a user runs it; its allocator."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import polars as pl
import pytest
from click.testing import CliRunner

from caseflow.cli import main
from caseflow.core.mynumber import check_digit
from caseflow.entry import ALLOCATOR, ALLOCATOR_VARIABLE, GRADE_ALLOCATOR, configure_allocator


def number(seed: int) -> str:
    first = f"{seed:011d}"
    return first + str(check_digit(first))


REGISTRY = [  # as the agency's Resident Registry holds them
    (number(201), "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "1", "青森県青森市新町二丁目1番2号"),
    (number(202), "佐藤　花子", "サトウ　ハナコ", "1980-01-15", "2", "青森県弘前市大字代官町5番地1"),
    (number(203), "鈴木　一郎", "スズキ　イチロウ", "1955-11-30", "1", "青森県八戸市城下一丁目3番4号"),
]
ELSEWHERE = number(299)  # a valid number the agency's registry does not hold


def _csv(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _grade(tmp_path, records: bytes):
    (tmp_path / "records.csv").write_bytes(records)
    (tmp_path / "registry.csv").write_bytes(_csv(["個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所"],
                                                 [list(p) for p in REGISTRY]))
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "records.csv"), str(tmp_path / "registry.csv"),
                                       "--out", str(tmp_path / "result.csv")])
    return result, (pl.read_csv(tmp_path / "result.csv") if result.exit_code == 0 else None)


def test_records_with_a_blank_address_are_graded_not_refused(tmp_path):
    header = ["管理番号", "個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所"]
    rows = [
        ["R1", REGISTRY[0][0], "山田　太郎", "ヤマダ　タロウ", "昭和45年3月2日", "男", "青森市新町2-1-2"],
        # 生活保護: no fixed abode, and a form that never asked for kana or sex
        ["R2", REGISTRY[1][0], "佐藤　花子", "", "1980/1/15", "", ""],
        # no address, and another person's number
        ["R3", REGISTRY[2][0], "田中　恵子", "タナカ　ケイコ", "1990-07-07", "女", "　"],
    ]
    result, table = _grade(tmp_path, _csv(header, rows, "cp932"))
    assert result.exit_code == 0, result.output
    assert "空欄" not in result.output
    assert "3件を判定しました" in result.output
    graded = {row["record_id"]: row for row in table.iter_rows(named=True)}
    assert graded["R1"]["grade"] == "A"
    assert (graded["R2"]["grade"], graded["R2"]["verdict_address"], graded["R2"]["verdict_name_kana"],
            graded["R2"]["verdict_sex"], graded["R2"]["verdict_name"]) == ("B", "missing", "missing", "missing", "match")
    assert "住所の情報がない" in graded["R2"]["reason"]
    assert (graded["R3"]["grade"], graded["R3"]["verdict_address"]) == ("C", "missing")
    text = (tmp_path / "result.csv").read_text(encoding="utf-8-sig")
    assert all(person[0] not in text for person in REGISTRY)  # no My Number in the result


def test_a_blank_number_is_still_refused(tmp_path):
    header = ["管理番号", "個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所"]
    rows = [["R1", "", "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "男", ""]]
    result, _table = _grade(tmp_path, _csv(header, rows))
    assert result.exit_code == 1
    assert "2行目 個人番号：個人番号が空欄です。" in result.output
    assert "住所" not in result.output
    assert not (tmp_path / "result.csv").exists()


def test_out_of_area_records_get_their_own_reason(tmp_path):
    header = ["管理番号", "個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所", "住登外"]
    rows = [
        ["R1", ELSEWHERE, "高橋　健", "タカハシ　ケン", "1965-04-01", "男", "岩手県盛岡市内丸1-1", "○"],
        ["R2", ELSEWHERE, "高橋　健", "タカハシ　ケン", "1965-04-01", "男", "岩手県盛岡市内丸1-1", ""],
        ["R3", REGISTRY[0][0], "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "男", "青森市新町2-1-2", "0"],
    ]
    result, table = _grade(tmp_path, _csv(header, rows))
    assert result.exit_code == 0, result.output
    assert table["grade"].to_list() == ["B", "B", "A"]
    for reason in table["reason"][:2]:
        assert reason.startswith("住登外者: 住基ネット照会で確認")
        assert "誤った番号の可能性" not in reason


def test_an_unreadable_out_of_area_mark_refuses_the_file(tmp_path):
    header = ["管理番号", "個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所", "out_of_area"]
    rows = [["R1", ELSEWHERE, "高橋　健", "タカハシ　ケン", "1965-04-01", "男", "岩手県盛岡市内丸1-1", "maybe"]]
    result, _table = _grade(tmp_path, _csv(header, rows))
    assert result.exit_code == 1
    assert "2行目 out_of_area：住登外「maybe」を読み取れません" in result.output


def test_the_allocator_is_set_for_each_command_unless_the_operator_set_one():
    environ: dict[str, str] = {}
    configure_allocator(["caseflow", "grade", "a.csv", "b.csv"], environ)
    assert environ == {ALLOCATOR_VARIABLE: GRADE_ALLOCATOR}
    environ = {}
    configure_allocator(["caseflow", "worker"], environ)
    assert environ == {ALLOCATOR_VARIABLE: ALLOCATOR}
    environ = {ALLOCATOR_VARIABLE: "narenas:4"}
    configure_allocator(["caseflow", "grade"], environ)
    assert environ == {ALLOCATOR_VARIABLE: "narenas:4"}


@pytest.mark.parametrize("setting", [ALLOCATOR, GRADE_ALLOCATOR])
def test_polars_allocator_accepts_the_settings(setting):
    """jemalloc ignores a setting it cannot read, with a warning on standard error."""
    run = subprocess.run([sys.executable, "-c", "import polars as pl; pl.DataFrame({'a': [1]}).sum()"],
                         env={**os.environ, ALLOCATOR_VARIABLE: setting}, capture_output=True, text=True, check=True)
    assert "jemalloc" not in run.stderr
