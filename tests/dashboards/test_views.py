"""The dashboard page: each role sees its sections, with figures scoped by the user's rights."""

from __future__ import annotations

import html
import re

import pytest

from caseflow.cases.vocabulary import CaseStatus
from caseflow.extensions import db
from caseflow.organizations.models import Program
from caseflow.users.models import Role
from tests.conftest import login
from tests.dashboards.conftest import add_batch

SECTIONS = ("caseworker", "supervisor", "ministry", "national", "administration")


def page_of(client, user) -> str:
    """The dashboard as ``user`` sees it (a fresh browser each time, so one test can look as several users)."""
    client = client.application.test_client()
    login(client, user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sections_in(page: str) -> list[str]:
    """The role sections shown, in page order."""
    found = [(page.index(f'<section class="card dashboard-section" id="{name}"'), name)
             for name in SECTIONS if f'<section class="card dashboard-section" id="{name}"' in page]
    return [name for _, name in sorted(found)]


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", fragment))).strip()


def figure(page: str, figure_id: str) -> tuple[str, str | None]:
    """(the number as shown, the link behind it) of one figure."""
    match = re.search(rf'<div class="dashboard-figure" id="{figure_id}">\s*<dt>.*?</dt>\s*<dd>(.*?)</dd>', page, re.S)
    assert match, f"figure {figure_id} not shown"
    link = re.search(r'href="([^"]+)"', match.group(1))
    return text(match.group(1)), html.unescape(link.group(1)) if link else None


def table(page: str, table_id: str) -> list[list[str]]:
    """The rows of a table (header row included) as cell texts."""
    match = re.search(rf'<table[^>]* id="{table_id}">(.*?)</table>', page, re.S)
    assert match, f"table {table_id} not shown"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S)
    return [[text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)] for row in rows]


def chart(page: str, chart_id: str) -> str:
    match = re.search(rf'<svg [^>]*id="{chart_id}".*?</svg>', page, re.S)
    assert match, f"chart {chart_id} not shown"
    return match.group(0)


# --- who sees what -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("actor", "expected"), [
    ("caseworker", ["caseworker"]),
    ("supervisor", ["supervisor"]),
    ("ministry_officer", ["ministry"]),
    ("digital", ["national"]),
    ("admin", ["administration"]),
])
def test_each_role_sees_its_own_section_only(client, world, actor, expected):
    page = page_of(client, getattr(world, actor))
    assert sections_in(page) == expected
    assert ('id="no-dashboard"' in page) == (not expected)


def test_several_roles_see_every_section_in_order(client, world, make_user, make_org):
    user = make_user(Role.DIGITAL_AGENCY_OFFICER, Role.SUPERVISOR, Role.CASEWORKER, Role.MINISTRY_OFFICER)
    assert sections_in(page_of(client, user)) == ["caseworker", "supervisor", "ministry", "national"]


def test_an_administrator_sees_the_administration_pages_and_no_case_figures(client, world):
    page = page_of(client, world.admin)
    assert "システム管理者：組織・事務・利用者の管理" in text(page)
    assert 'href="/admin/users"' in page and 'href="/admin/changes"' in page
    assert 'role="img"' not in page  # no chart: an administrator sees no case


def test_login_is_required(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_links_its_stylesheet_and_runs_no_script(client, world):
    page = page_of(client, world.digital)
    assert "/static/css/dashboards.css" in page
    assert "<script" not in page and " style=" not in page


# --- caseworker ------------------------------------------------------------------------------------


def test_caseworker_sees_my_queue_overdue_and_unassigned(client, world):
    page = page_of(client, world.caseworker)
    assert figure(page, "my-queue") == ("6件", "/cases/mine")  # open: not the dismissed case
    assert figure(page, "my-overdue") == ("1件", "/cases/?assignee=me&overdue=1")
    assert figure(page, "unassigned") == ("2件", None)  # not agency B's unassigned case
    rows = table(page, "unassigned-by-status")
    assert rows[0] == ["検出", "確認中", "誤り確定", "訂正済", "合計"]
    assert rows[1] == ["2件", "0件", "0件", "0件", "2件"]
    assert f'href="/cases/?status=detected&amp;assignee=none&amp;agency={world.agency.id}"' in page


def test_another_agencys_cases_never_count_for_an_agency_user(client, world):
    page = page_of(client, world.other_caseworker)
    assert figure(page, "my-queue")[0] == "0件"  # the notified case is closed
    assert figure(page, "unassigned")[0] == "1件"


# --- supervisor ------------------------------------------------------------------------------------


def test_supervisor_sees_approvals_overdue_and_team_load(client, world):
    page = page_of(client, world.supervisor)
    assert figure(page, "approvals-waiting") == ("1件", "/cases/supervision#approvals-heading")
    assert figure(page, "overdue") == ("1件", "/cases/?overdue=1")
    assert world.mine[5].reference in table(page, "approvals")[1][0]
    assert table(page, "team-load")[1:] == [["担当 花子", "6件", "1件"], ["承認 一郎", "0件", "0件"],
                                           ["未割当", "2件", "0件"]]
    svg = chart(page, "chart-team-load")
    assert 'role="img"' in svg and "<title" in svg and "担当 花子：6件" in svg
    assert f'href="/cases/?assignee={world.caseworker.id}&amp;overdue=1&amp;agency={world.agency.id}"' in page
    assert "別市 職員" not in page


def test_the_other_agencys_supervisor_sees_only_its_own_team(client, world):
    page = page_of(client, world.other_supervisor)
    assert figure(page, "approvals-waiting")[0] == "0件" and figure(page, "overdue")[0] == "0件"
    names = [row[0] for row in table(page, "team-load")[1:]]
    assert "別市 職員" in names and "担当 花子" not in names
    assert "未割当" in names  # agency B's detected case


# --- ministry officer ------------------------------------------------------------------------------


def test_ministry_officer_sees_its_programs_with_links(client, world):
    page = page_of(client, world.ministry_officer)
    rows = table(page, "ministry-programs")
    program_row = next(r for r in rows if r[0] == world.program.name)
    # agencies, records, errors, rate, viewed, resolved, unverified
    assert program_row[1:] == ["2", "12,000件", "4件", "0.033%", "1件", "2件", "5件"]
    p = world.program.id
    assert f'href="/cases/?program={p}&amp;outcome=errors&amp;found=inspection"' in page
    assert f'href="/cases/?program={p}&amp;outcome=errors&amp;viewed=yes"' in page
    assert f'href="/reports/programs/{p}"' in page
    agencies = table(page, f"program-{p}-agencies")
    assert [r[0] for r in agencies[1:]] == [world.agency.name, "別市"]  # most errors first
    assert [r[2] for r in agencies[1:]] == ["3件", "1件"]
    assert f'href="/cases/?program={p}&amp;agency={world.other_agency.id}&amp;outcome=errors&amp;found=inspection"' in page
    svg = chart(page, f"chart-program-{p}-agencies")
    assert 'role="img"' in svg and f"{world.agency.name}：3件" in svg


def test_another_ministrys_programs_are_never_shown(client, world):
    page = page_of(client, world.ministry_officer)
    assert world.program2.name not in page
    page = page_of(client, world.other_ministry_officer)
    assert world.program.name not in page and "別市" not in page
    rows = table(page, "ministry-programs")
    assert rows[1][0] == world.program2.name and rows[1][1:4] == ["1", "500件", "1件"]


def test_a_ministry_program_with_nothing_inspected_shows_as_zero(client, world, ministry):
    quiet = Program(name="まだ点検のない事務", ministry_id=ministry.id)
    db.session.add(quiet)
    db.session.flush()
    rows = table(page_of(client, world.ministry_officer), "ministry-programs")
    assert next(r for r in rows if r[0] == quiet.name)[1:5] == ["0", "0件", "0件", "—"]


# --- Digital Agency officer ------------------------------------------------------------------------


def test_digital_agency_officer_sees_national_totals(client, world):
    page = page_of(client, world.digital)
    assert figure(page, "total-records") == ("12,500件", None)
    assert figure(page, "total-errors") == ("5件", "/cases/?outcome=errors&found=inspection")
    assert figure(page, "total-errors-separate") == ("0件", None)
    assert figure(page, "total-rate") == ("0.040%", None)
    assert figure(page, "total-viewed") == ("1件", "/cases/?outcome=errors&viewed=yes")
    assert figure(page, "total-resolved") == ("2件", "/cases/?outcome=resolved")
    assert figure(page, "total-unverified") == ("5件", "/cases/?outcome=unverified")
    assert figure(page, "total-expected")[0] == "約0件"
    estimate = table(page, "estimate")
    assert estimate[1][:3] == ["①生年月日・性別不一致", "5件", "3.6%"] and "2023年" in estimate[1][3]
    assert 'href="/reports/"' in page


def test_national_status_history_ends_with_the_cases_now(client, world):
    page = page_of(client, world.digital)
    rows = table(page, "status-history")
    assert rows[0] == ["日付", *[s.label for s in CaseStatus], "合計"]
    assert len(rows) == 14  # 13 dates: today and every 7 days back to 84 days ago
    # detected, verifying, confirmed, false, corrected, notified — every case was opened today
    assert rows[-1][1:] == ["3", "2", "3", "1", "1", "1", "11"]
    assert rows[1][1:] == ["0"] * 7
    svg = chart(page, "chart-status-history")
    assert 'role="img"' in svg and svg.count("<polyline") == len(CaseStatus)


def test_national_grades_and_causes_have_charts_and_tables(client, world):
    page = page_of(client, world.digital)
    grades = table(page, "grades")
    assert grades[1] == ["全国", "12,500件", "11,390件（91.1%）", "790件（6.3%）", "320件（2.6%）"]
    assert [r[0] for r in grades[2:]] == [world.program.name, world.program2.name]
    assert 'role="img"' in chart(page, "chart-grades")
    causes = table(page, "causes")
    assert causes[1:] == [["家族のマイナンバーの取り違え", "4件"], ["2情報での住基照会で複数人が該当（同姓同名等）", "1件"]]
    assert 'href="/cases/?outcome=errors&amp;cause=family_member_number"' in page
    svg = chart(page, "chart-causes")
    assert "家族のマイナンバーの取り違え：4件" in svg


def test_a_program_name_is_escaped_in_charts_and_tables(client, world, ministry, make_case):
    evil = Program(name='<script>alert("x")</script>', ministry_id=ministry.id)
    db.session.add(evil)
    db.session.flush()
    batch = add_batch(world.agency, evil, 100, 90, 6, 4, sha="e")
    make_case(CaseStatus.CONFIRMED, program_=evil, batch_id=batch.id)
    for user, chart_id, table_id in ((world.ministry_officer, "chart-ministry-programs", "ministry-programs"),
                                     (world.digital, "chart-grades", "grades")):
        page = page_of(client, user)
        assert "<script" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in chart(page, chart_id)
        assert evil.name in [row[0] for row in table(page, table_id)]
