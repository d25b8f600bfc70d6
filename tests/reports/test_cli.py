"""`caseflow report …`: load the published figures, print the table, freeze a month end."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from caseflow.cli import main
from caseflow.extensions import db
from caseflow.reports.models import PublishedFigure, ReportSnapshot

SEED = str(Path(__file__).resolve().parents[2] / "seed" / "programs_2023_inspection.csv")


@pytest.fixture
def run(committed_app):
    runner = committed_app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_import_published_then_print_the_2023_table(run):
    result = run("report", "import-published", SEED)
    assert result.exit_code == 0, result.output
    assert "24事務分" in result.output
    result = run("report", "programs", "--dataset", "2023")
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert rows[-1][:4] == ["合計", "8,208万件", "8,395件", "0.010%"]
    assert ["障害者手帳情報", "480万件", "5,689件", "0.119%"] == rows[9][:4]
    assert rows[-2][0] == "その他（12事務）"
    # as CSV: raw numbers beside the published text
    result = run("report", "programs", "--dataset", "2023", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(result.output)))
    total = table[-1]
    assert total["事務"] == "合計" and total["点検対象件数"] == "82076482" and total["割合"] == "0.010"


def test_a_bad_published_file_is_refused_whole(run, tmp_path, committed_app):
    run("report", "import-published", SEED)
    bad = tmp_path / "bad.csv"
    text = Path(SEED).read_text(encoding="utf-8").replace("15713895", "1571万", 1)
    bad.write_text(text, encoding="utf-8")
    result = run("report", "import-published", str(bad))
    assert result.exit_code == 1
    assert "2行目 点検対象件数: 0以上の整数ではありません" in result.output
    with committed_app.app_context():
        assert db.session.query(PublishedFigure).count() == 24
        assert db.session.query(PublishedFigure).filter_by(program_name="健康保険証情報").one().inspected_records \
            == 15_713_895


def test_snapshot_from_the_command_line(run, committed_app):
    result = run("report", "snapshot", "--month", "2026-10")
    assert result.exit_code == 0 and "2026年10月末の集計を確定しました。" in result.output
    again = run("report", "snapshot", "--month", "2026-10")
    assert again.exit_code == 1 and "すでに確定" in again.output
    with committed_app.app_context():
        assert db.session.query(ReportSnapshot).count() == 1
