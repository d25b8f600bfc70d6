"""caseflow grade (no database) and caseflow inspect (a batch and its cases)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from caseflow.cases.models import Case
from caseflow.cli import main
from caseflow.extensions import db
from caseflow.inspections.models import InspectionBatch
from tests.inspections.test_inspections import HEADER_JA, PEOPLE, csv_bytes, records_file, registry_file


def test_grade_writes_the_result_without_a_database(tmp_path):
    (tmp_path / "records.csv").write_bytes(records_file("cp932"))
    (tmp_path / "registry.csv").write_bytes(registry_file())
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "records.csv"), str(tmp_path / "registry.csv"),
                                       "--out", str(tmp_path / "result.csv")])
    assert result.exit_code == 0, result.output
    assert "5件を判定しました" in result.output
    table = pl.read_csv(tmp_path / "result.csv")
    assert table.columns == ["record_id", "grade", "reason", "verdict_name", "verdict_name_kana",
                             "verdict_birth_date", "verdict_sex", "verdict_address"]
    assert table["grade"].to_list() == ["A", "C", "B", "C", "A"]


def test_grade_refuses_a_bad_file_with_the_list(tmp_path):
    rows = [["R1", PEOPLE[0][0], "山田　太郎", "ヤマダ　タロウ", "1970-03-02", "男", "青森市新町2-1-2"],
            ["R1", PEOPLE[1][0], "山田　花子", "ヤマダ　ハナコ", "1972-05-01", "X", "青森市新町2-1-2"]]
    (tmp_path / "records.csv").write_bytes(csv_bytes(HEADER_JA, rows, "cp932"))
    (tmp_path / "registry.csv").write_bytes(registry_file())
    result = CliRunner().invoke(main, ["grade", str(tmp_path / "records.csv"), str(tmp_path / "registry.csv"),
                                       "--out", str(tmp_path / "result.csv")])
    assert result.exit_code == 1
    assert "業務データ" in result.output and "3行目" in result.output and "性別" in result.output
    assert PEOPLE[1][0] not in result.output
    assert not (tmp_path / "result.csv").exists()


def test_the_installed_command_grades_and_refuses(tmp_path):
    """The `caseflow` script as a user runs it (its own entry point, which skips the web app)."""
    command = shutil.which("caseflow", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.fail("the caseflow command is not installed in this environment (pip install -e .)")
    (tmp_path / "records.csv").write_bytes(records_file("cp932"))
    (tmp_path / "registry.csv").write_bytes(registry_file())
    args = [command, "grade", str(tmp_path / "records.csv"), str(tmp_path / "registry.csv"),
            "--out", str(tmp_path / "result.csv")]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "5件を判定しました" in done.stderr
    assert pl.read_csv(tmp_path / "result.csv")["grade"].to_list() == ["A", "C", "B", "C", "A"]

    (tmp_path / "registry.csv").write_bytes(b"\xff\xfe\x00garbage")
    refused = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "住民基本台帳データ" in refused.stderr and "文字コード" in refused.stderr
    assert "Traceback" not in refused.stderr

    helped = subprocess.run([command, "--help"], capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "grade" in helped.stdout and "inspect" in helped.stdout


def test_inspect_creates_the_batch_and_cases(committed_app, tmp_path):
    runner = committed_app.test_cli_runner()
    assert runner.invoke(main, ["seed", "reference"]).exit_code == 0
    (tmp_path / "records.csv").write_bytes(records_file())
    (tmp_path / "registry.csv").write_bytes(registry_file())
    args = ["inspect", "--agency", "022012", "--program", "disability-handbook",
            str(tmp_path / "records.csv"), str(tmp_path / "registry.csv")]
    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "案件 3件を登録" in first.output
    again = runner.invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "案件 0件を登録、既存 3件" in again.output
    with committed_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Case.id))) == 3
        assert db.session.scalar(sa.select(sa.func.count(InspectionBatch.id))) == 2


def test_inspect_unknown_program_is_a_clear_error(committed_app, tmp_path):
    runner = committed_app.test_cli_runner()
    runner.invoke(main, ["seed", "reference"])
    (tmp_path / "r.csv").write_bytes(records_file())
    result = runner.invoke(main, ["inspect", "--agency", "022012", "--program", "nope", str(tmp_path / "r.csv"),
                                  str(tmp_path / "r.csv")])
    assert result.exit_code == 1 and "事務コード nope の事務がありません" in result.output
