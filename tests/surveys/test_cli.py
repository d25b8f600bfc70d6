"""`caseflow survey …` on the seed's survey: the list and the Excel form imported whole or not at all,
and the obligations their answers give, as text and as CSV."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import sqlalchemy as sa

from caseflow.cli import main
from caseflow.core.japanese import JST
from caseflow.extensions import db
from caseflow.organizations.models import Organization
from caseflow.surveys.models import ResponseStatus, Survey, SurveyRespondent
from caseflow.surveys.questionnaire import ITEM_KEYS
from caseflow.surveys.workbook import ANSWER_SHEET
from tests.surveys.conftest import KNOWN_CAUSE, SAFE

SHEET = {"担当部署名": "介護保険課", "回答責任者役職": "介護保険課長", "回答責任者氏名": "青森 太郎", "連絡先氏名": "青森 花子",
         "電話番号": "017-000-0000", "メールアドレス": "kaigo@example.jp"}
HEADERS = ["組織名", *SHEET, *ITEM_KEYS]


@pytest.fixture
def runner(committed_app):
    runner = committed_app.test_cli_runner()
    result = runner.invoke(main, ["seed", "reference"])
    assert result.exit_code == 0, result.output
    return runner


def _write_list(path, rows: list[dict]) -> str:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADERS)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def _statuses(app, *codes: str) -> dict[str, ResponseStatus]:
    with app.app_context():
        return dict(db.session.execute(sa.select(Organization.code, SurveyRespondent.status)
                                       .join(SurveyRespondent.organization).where(Organization.code.in_(codes))).all())


def test_seed_reference_creates_the_seeds_survey(committed_app, runner):
    with committed_app.app_context():
        survey = db.session.scalars(sa.select(Survey)).one()
        assert survey.sender == "厚生労働省老健局"
        assert "介護保険関係事務" in survey.title
        assert survey.deadline.astimezone(JST).strftime("%Y-%m-%d %H:%M") == "2023-07-21 17:00"
        count = db.session.scalar(sa.select(sa.func.count(SurveyRespondent.id)))
        assert count > 1_700  # every municipality and union that links the program
    result = runner.invoke(main, ["survey", "status"])
    assert result.exit_code == 0, result.output
    assert "青森県：未回答 40／回答中 0／提出済 0" in result.output


def test_a_list_is_imported_and_its_obligations_listed_as_text_and_csv(committed_app, runner, tmp_path):
    path = _write_list(tmp_path / "list.csv", [{"組織名": "02青森県青森市", **SHEET, **KNOWN_CAUSE},
                                              {"組織名": "02青森県弘前市", **SHEET, **SAFE}])
    result = runner.invoke(main, ["survey", "import", path])
    assert result.exit_code == 0, result.output
    assert "2団体の回答を提出済として取り込みました" in result.output
    assert _statuses(committed_app, "022012", "022021") == {"022012": ResponseStatus.SUBMITTED,
                                                           "022021": ResponseStatus.SUBMITTED}

    text = runner.invoke(main, ["survey", "obligations"])
    assert text.exit_code == 0, text.output
    [aomori] = [line for line in text.output.splitlines() if "青森市" in line]
    assert "点検 要" in aomori and "住所" in aomori  # the known cause: kana and birth date without the address
    [hirosaki] = [line for line in text.output.splitlines() if "弘前市" in line]
    assert "点検 不要" in hirosaki
    assert "計 2件（点検 要 1件・不要 1件）" in text.output

    as_csv = runner.invoke(main, ["survey", "obligations", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    by_org = {row["組織コード"]: row for row in rows}
    assert by_org["022012"]["点検"] == "要" and "Q7" in by_org["022012"]["理由"]
    assert by_org["022021"]["点検"] == "不要" and by_org["022021"]["理由"] == ""


@pytest.mark.parametrize(("row", "item", "problem"), [
    ({"組織名": "02青森県青森村", **SHEET, **SAFE}, "組織名", "02青森県青森村"),
    ({"組織名": "02青森県弘前市", **SHEET, **(SAFE | {"3": "②", "4": "①"})}, "4", "回答しません"),
    ({"組織名": "02青森県弘前市", **SHEET, **{k: v for k, v in SAFE.items() if k != "10"}}, "10", "回答"),
    ({"組織名": "02青森県弘前市", **SHEET, **(SAFE | {"10": "⑤"})}, "10", "⑤"),
], ids=["unknown-organisation", "skipped-answered", "required-blank", "no-such-option"])
def test_a_bad_list_is_refused_with_row_item_and_problem_and_nothing_stored(committed_app, runner, tmp_path,
                                                                            row, item, problem):
    path = _write_list(tmp_path / "list.csv", [{"組織名": "02青森県青森市", **SHEET, **KNOWN_CAUSE}, row])
    result = runner.invoke(main, ["survey", "import", path])
    assert result.exit_code == 1
    assert "list.csv は取り込みませんでした（何も保存していません）。" in result.output
    problems = [line.strip() for line in result.output.splitlines() if line.strip().startswith("3行目")]
    assert any(line.startswith(f"3行目 {item}：") and problem in line for line in problems), problems
    assert not any(line.startswith("2行目") for line in result.output.splitlines())  # row 2 is good
    assert _statuses(committed_app, "022012", "022021") == {"022012": ResponseStatus.NOT_STARTED,
                                                           "022021": ResponseStatus.NOT_STARTED}
    assert "点検義務はまだありません" in runner.invoke(main, ["survey", "obligations"]).output


def test_a_form_handed_out_and_filled_in_excel_is_imported(committed_app, runner, tmp_path):
    out = tmp_path / "form.xlsx"
    result = runner.invoke(main, ["survey", "form", "--organization", "022012", "--out", str(out)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    ws = wb[ANSWER_SHEET]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    for label, value in (SHEET | KNOWN_CAUSE).items():  # typed into the answer column (C), as a person would
        ws.cell(rows[label], 3).value = value
    wb.save(out)
    result = runner.invoke(main, ["survey", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "1団体の回答" in result.output
    assert _statuses(committed_app, "022012") == {"022012": ResponseStatus.SUBMITTED}
    assert "点検 要" in runner.invoke(main, ["survey", "obligations"]).output

