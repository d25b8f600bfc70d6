"""The case list as CSV and Excel, with the filters in force; the 閲覧 filters."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from caseflow.cases import export
from caseflow.cases.operations import set_viewing_suspended
from caseflow.cases.vocabulary import CaseStatus, ViewedOnPortal
from caseflow.extensions import db
from caseflow.users.models import Role
from tests.conftest import login


def _csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="anken_')
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _references(page: str, cases) -> set[str]:
    return {case.reference for case in cases if f'data-case="{case.reference}"' in page}


def test_csv_export_follows_the_filters_and_never_holds_a_number(client, make_case, caseworker):
    confirmed = make_case(CaseStatus.CONFIRMED)
    detected = make_case(CaseStatus.DETECTED, record_name="=HYPERLINK(\"x\")")
    login(client, caseworker)

    rows = _csv_rows(client.get("/cases/export.csv?status=confirmed"))
    assert [row["案件番号"] for row in rows] == [confirmed.reference]
    row = rows[0]
    assert row["状態"] == "誤り確定"
    assert row["主な原因"] == "家族のマイナンバーの取り違え"
    assert row["マイナポータルでの閲覧"] == "閲覧なし"
    assert row["管理番号"] == confirmed.source_record_id
    body = client.get("/cases/export.csv").get_data().decode("utf-8")
    for case in (confirmed, detected):
        assert case.registered_number not in body
        assert case.masked_number not in body
    # A name that a spreadsheet would run as a formula is written as text.
    assert "'=HYPERLINK" in body


def test_excel_export_has_the_same_rows(client, make_case, caseworker):
    cases = [make_case(CaseStatus.VERIFYING) for _ in range(3)]
    login(client, caseworker)
    response = client.get("/cases/export.xlsx?status=verifying")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data()))["案件一覧"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0].startswith("案件一覧（") and "3件" in values[0][0]
    assert values[1] == export.HEADER
    assert sorted(row[0] for row in values[2:]) == sorted(case.reference for case in cases)
    assert all(case.registered_number not in str(values) for case in cases)


def test_export_shows_only_what_the_viewer_may_see(client, make_case, make_org, make_user, caseworker):
    mine = make_case()
    other_org = make_org()
    theirs = make_case(agency_=other_org, staff=(make_user(org=other_org), make_user(Role.SUPERVISOR, org=other_org)))
    login(client, caseworker)
    references = [row["案件番号"] for row in _csv_rows(client.get("/cases/export.csv"))]
    assert mine.reference in references
    assert theirs.reference not in references


def test_my_queue_export_holds_my_open_cases(client, make_case, caseworker):
    assigned = make_case(CaseStatus.VERIFYING)
    assert assigned.assignee_id == caseworker.id  # starting the verification takes the case
    other = make_case(CaseStatus.VERIFYING)
    other.assignee_id = None
    db.session.flush()
    login(client, caseworker)
    references = [row["案件番号"] for row in _csv_rows(client.get("/cases/mine/export.csv"))]
    assert references == [assigned.reference]
    assert other.reference not in references


def test_too_many_rows_are_refused_with_a_message(client, make_case, caseworker, monkeypatch):
    make_case()
    make_case()
    monkeypatch.setattr(export, "EXPORT_MAX_ROWS", 1)
    login(client, caseworker)
    response = client.get("/cases/export.csv", follow_redirects=True)
    assert "出力できるのは1件までです（該当2件）" in response.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["pdf", "json"])
def test_unknown_format_is_not_found(client, caseworker, fmt):
    login(client, caseworker)
    assert client.get(f"/cases/export.{fmt}").status_code == 404


def test_the_list_links_to_its_exports_with_its_filters(client, make_case, caseworker):
    make_case(CaseStatus.CONFIRMED)
    login(client, caseworker)
    page = client.get("/cases/?status=confirmed&page=1").get_data(as_text=True)
    assert 'href="/cases/export.csv?status=confirmed"' in page
    assert 'href="/cases/export.xlsx?status=confirmed"' in page


def test_filter_viewed_unknown(client, make_case, caseworker):
    unknown = make_case(CaseStatus.CONFIRMED)
    unknown.viewed_on_portal = ViewedOnPortal.UNKNOWN
    seen = make_case(CaseStatus.CONFIRMED)
    seen.viewed_on_portal = ViewedOnPortal.YES
    db.session.flush()
    login(client, caseworker)
    page = client.get("/cases/?viewed=unknown").get_data(as_text=True)
    assert _references(page, [unknown, seen]) == {unknown.reference}
    assert '<option value="unknown" selected>不明（調査中）</option>' in page
    assert client.get("/cases/?viewed=maybe").status_code == 400


def test_filter_viewing_stop_not_yet_done(client, make_case, caseworker):
    pending = make_case(CaseStatus.CONFIRMED)
    stopped = make_case(CaseStatus.CONFIRMED)
    set_viewing_suspended(stopped, caseworker, suspended=True)
    corrected = make_case(CaseStatus.CORRECTED)  # the wrong number is gone: nothing left to stop
    detected = make_case()
    login(client, caseworker)
    page = client.get("/cases/?viewing=pending").get_data(as_text=True)
    assert _references(page, [pending, stopped, corrected, detected]) == {pending.reference}
    rows = _csv_rows(client.get("/cases/export.csv?viewing=pending"))
    assert [row["案件番号"] for row in rows] == [pending.reference]
    assert rows[0]["閲覧停止"] == ""
