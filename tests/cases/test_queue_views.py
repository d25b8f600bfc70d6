"""The queue pages: overdue rows, claim/release/reassign on the case, bulk assignment, saved filters, and
the supervisors' 承認待ち・期限超過."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from caseflow.cases import filters, queue
from caseflow.cases.vocabulary import CaseStatus
from caseflow.core.japanese import today_jst
from caseflow.extensions import db
from caseflow.users.models import Role
from tests.conftest import events_of, login, post_form


def _html(response) -> str:
    return response.get_data(as_text=True)


def _row(page: str, case) -> str:
    match = re.search(rf'<tr class="([^"]*)" data-case="{case.reference}">(.*?)</tr>', page, re.S)
    assert match, f"{case.reference} is not listed"
    return match.group(0)


def _switch_to(client, user) -> None:
    post_form(client, "/logout", {})
    login(client, user)


@pytest.fixture
def overdue_and_not(make_case, caseworker):
    today = today_jst()
    late = make_case(CaseStatus.VERIFYING, due_date=today - dt.timedelta(days=3))
    fine = make_case(CaseStatus.VERIFYING, due_date=today + dt.timedelta(days=3))
    closed_late = make_case(CaseStatus.FALSE, due_date=today - dt.timedelta(days=3))
    return late, fine, closed_late


# --- overdue in the lists ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/cases/", "/cases/mine"])
def test_overdue_rows_are_marked_with_a_class_and_words(client, caseworker, overdue_and_not, path):
    late, fine, closed_late = overdue_and_not
    login(client, caseworker)
    page = _html(client.get(path))
    row = _row(page, late)
    assert 'class="row--overdue"' in row and "期限超過" in row
    assert "row--overdue" not in _row(page, fine) and "期限超過" not in _row(page, fine)
    if path == "/cases/":
        assert "期限超過" not in _row(page, closed_late)  # closed: no longer overdue


def test_filter_overdue_only(client, caseworker, overdue_and_not):
    late, fine, closed_late = overdue_and_not
    login(client, caseworker)
    page = _html(client.get("/cases/?overdue=1"))
    assert late.reference in page
    assert fine.reference not in page and closed_late.reference not in page
    assert 'name="overdue" value="1" checked' in page


# --- claim, release, reassign on the case page --------------------------------------------------------


def test_claim_and_release_through_the_case_page(client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    page = _html(client.get(f"/cases/{case.id}"))
    assert "担当にする" in page and "担当を外す</button>" not in page and "担当者を変更</button>" not in page

    response = post_form(client, f"/cases/{case.id}/claim", {"version": case.version})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.assignee_id == caseworker.id
    page = _html(client.get(f"/cases/{case.id}"))
    assert "この案件を自分の担当にしました" in page
    assert "担当を外す</button>" in page and "担当にする</button>" not in page
    assert 'data-trigger="claim"' in page and "担当を引き受け" in page

    response = post_form(client, f"/cases/{case.id}/release", {"version": case.version, "comment": "異動のため"})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.assignee_id is None
    assert "異動のため" in _html(client.get(f"/cases/{case.id}"))


def test_claim_with_a_stale_form_is_a_conflict(client, make_case, caseworker, make_user):
    case = make_case()
    stale = case.version
    colleague = make_user(Role.CASEWORKER, name="先に 取った")
    queue.claim_case(case, colleague)
    login(client, caseworker)
    response = post_form(client, f"/cases/{case.id}/claim", {"version": stale})
    assert response.status_code == 409
    assert "他の職員により更新されています" in _html(response)
    db.session.refresh(case)
    assert case.assignee_id == colleague.id


def test_claim_of_another_organisations_case_is_not_found(client, make_case, make_org, make_user):
    case = make_case()
    outsider = make_user(Role.SUPERVISOR, org=make_org())
    login(client, outsider)
    for path, data in ((f"/cases/{case.id}/claim", {}), (f"/cases/{case.id}/release", {}),
                       (f"/cases/{case.id}/reassign", {"to": outsider.id})):
        response = post_form(client, path, {"version": case.version, **data})
        assert response.status_code == 404
    assert [e.trigger for e in events_of(case.id)] == ["detect"]


def test_supervisor_reassigns_on_the_case_page(client, make_case, caseworker, supervisor, make_user, make_org):
    case = make_case(CaseStatus.VERIFYING)
    colleague = make_user(Role.CASEWORKER, name="交代 三郎")
    login(client, caseworker)
    assert "担当者を変更</button>" not in _html(client.get(f"/cases/{case.id}"))
    response = post_form(client, f"/cases/{case.id}/reassign", {"version": case.version, "to": colleague.id})
    assert response.status_code == 403
    assert "承認者（課長級）のみ" in _html(response)

    _switch_to(client, supervisor)
    page = _html(client.get(f"/cases/{case.id}"))
    assert "担当者を変更</button>" in page and f'<option value="{colleague.id}">交代 三郎</option>' in page
    outsider = make_user(Role.CASEWORKER, org=make_org())
    assert f'value="{outsider.id}"' not in page
    response = post_form(client, f"/cases/{case.id}/reassign", {"version": case.version, "to": outsider.id})
    assert response.status_code == 422
    assert "選択された職員が見つかりません" in _html(response)
    response = post_form(client, f"/cases/{case.id}/reassign", {"version": case.version, "to": colleague.id})
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.assignee_id == colleague.id


def test_queue_forms_need_csrf(client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    response = client.post(f"/cases/{case.id}/claim", data={"version": case.version})
    assert response.status_code == 400
    db.session.refresh(case)
    assert case.assignee_id is None


# --- bulk assignment on the list -----------------------------------------------------------------------


def test_bulk_assignment_is_offered_to_supervisors_only(client, make_case, caseworker, supervisor):
    case = make_case()
    login(client, caseworker)
    page = _html(client.get("/cases/"))
    assert 'id="bulk-assign"' not in page and 'name="case_id"' not in page
    _switch_to(client, supervisor)
    page = _html(client.get("/cases/"))
    assert 'id="bulk-assign"' in page and "一括割当</button>" in page
    assert f'name="case_id" value="{case.id}" form="bulk-assign"' in _row(page, case)


def test_bulk_assign_from_the_list(client, make_case, supervisor, make_user):
    target = make_user(Role.CASEWORKER, name="一括 花子")
    cases = [make_case(), make_case(CaseStatus.VERIFYING)]
    login(client, supervisor)
    response = post_form(client, "/cases/bulk-assign", {
        "case_id": [c.id for c in cases], "to": target.id, "return_to": "list", "query": "grade=C&page=2"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/cases/?grade=C"
    for case in cases:
        db.session.refresh(case)
        assert case.assignee_id == target.id
    assert "2件を一括 花子さんの担当にしました" in _html(client.get("/cases/"))


def test_bulk_assign_refuses_all_when_one_is_refused(client, make_case, supervisor, make_user):
    target = make_user(Role.CASEWORKER)
    fine, closed = make_case(), make_case(CaseStatus.NOTIFIED)
    login(client, supervisor)
    response = post_form(client, "/cases/bulk-assign", {
        "case_id": [fine.id, closed.id], "to": target.id, "return_to": "list", "query": ""})
    assert response.status_code == 422
    page = _html(response)
    assert f"{closed.reference}：この案件は「通知済」で完了している" in page
    assert "案件一覧" in page  # the list again, with the reason
    db.session.refresh(fine)
    assert fine.assignee_id is None


def test_bulk_assign_by_a_caseworker_is_forbidden(client, make_case, caseworker):
    case = make_case()
    login(client, caseworker)
    response = post_form(client, "/cases/bulk-assign", {"case_id": [case.id], "to": caseworker.id,
                                                         "return_to": "mine", "query": ""})
    assert response.status_code == 403
    db.session.refresh(case)
    assert case.assignee_id is None


# --- saved filters ---------------------------------------------------------------------------------------


def test_save_apply_and_delete_a_filter(client, caseworker, make_user, overdue_and_not):
    late, fine, _closed = overdue_and_not
    login(client, caseworker)
    page = _html(client.get("/cases/?status=verifying&grade=&overdue=1&sort=due"))
    assert 'name="query" value="status=verifying&amp;overdue=1&amp;sort=due"' in page
    response = post_form(client, "/cases/filters", {"name": "遅れている確認中", "return_to": "list",
                                                     "query": "status=verifying&overdue=1&sort=due"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/cases/?status=verifying&overdue=1&sort=due"
    page = _html(client.get("/cases/"))
    link = re.search(r'<a href="([^"]+)">遅れている確認中</a>', page)
    assert link, "the saved filter is listed"
    applied = _html(client.get(link.group(1).replace("&amp;", "&")))
    assert late.reference in applied and fine.reference not in applied

    # another user sees none of it, and cannot delete it
    saved = filters.saved_filters_of(db.session, caseworker)[0]
    colleague = make_user(Role.CASEWORKER)
    _switch_to(client, colleague)
    assert "遅れている確認中" not in _html(client.get("/cases/"))
    response = post_form(client, f"/cases/filters/{saved.id}/delete", {"return_to": "list", "query": ""})
    assert response.status_code == 404

    _switch_to(client, caseworker)
    response = post_form(client, f"/cases/filters/{saved.id}/delete", {"return_to": "mine", "query": ""})
    assert response.status_code == 302 and response.headers["Location"] == "/cases/mine"
    assert filters.saved_filters_of(db.session, caseworker) == []


def test_saving_a_bad_filter_says_why(client, caseworker):
    login(client, caseworker)
    response = post_form(client, "/cases/filters", {"name": "変", "return_to": "list", "query": "colour=red"})
    assert response.status_code == 422
    assert "保存できない絞り込み条件" in _html(response)
    response = post_form(client, "/cases/filters", {"name": "", "return_to": "list", "query": "grade=C"})
    assert response.status_code == 422
    assert "名前を入力してください" in _html(response)


# --- 承認待ち・期限超過 -------------------------------------------------------------------------------------


def test_supervision_page_lists_approvals_and_overdue_cases(client, make_case, caseworker, supervisor, make_org,
                                                             make_user, session):
    waiting = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    late = make_case(due_date=today_jst() - dt.timedelta(days=7))
    quiet = make_case(due_date=today_jst() + dt.timedelta(days=7))
    org = make_org()
    theirs = make_case(CaseStatus.CONFIRMED, agency_=org, pending_correction=True,
                       staff=(make_user(Role.CASEWORKER, org=org), make_user(Role.SUPERVISOR, org=org)),
                       due_date=today_jst() - dt.timedelta(days=7))
    queue.escalate_overdue(session)

    login(client, supervisor)
    page = _html(client.get("/cases/"))
    assert 'href="/cases/supervision"' in page and "承認待ち・期限超過" in page
    page = _html(client.get("/cases/supervision"))
    assert "承認待ち（1件）" in page and "期限超過（1件）" in page
    approvals = page.split('id="approvals"')[1].split("</table>")[0]
    overdue = page.split('id="overdue"')[1].split("</table>")[0]
    assert waiting.reference in approvals and late.reference not in approvals
    assert late.reference in overdue and "期限超過" in overdue and "通知済" in overdue
    assert 'class="row--overdue"' in overdue
    for absent in (quiet, theirs):
        assert absent.reference not in page


def test_supervision_page_is_for_supervisors(client, caseworker):
    login(client, caseworker)
    assert 'href="/cases/supervision"' not in _html(client.get("/cases/"))
    response = client.get("/cases/supervision")
    assert response.status_code == 403
    assert "承認者（課長級）のみ" in _html(response)
