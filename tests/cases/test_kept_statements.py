"""Statements kept per audience (caseflow.db.Statements, caseflow.policy.audience): built once, run for
everyone with the same rights, never for anyone else."""

from __future__ import annotations

import time

from caseflow.cases.vocabulary import CaseStatus
from caseflow.db import Statements
from caseflow.organizations.models import OrganizationKind
from caseflow.policy import Permission, audience
from caseflow.routing import operations as routing
from caseflow.users.models import Role
from caseflow.users.views import SEEN_AT
from tests.conftest import login


def test_a_case_page_kept_for_one_agency_is_not_used_for_another(make_case, make_org, make_user, caseworker,
                                                                 new_client):
    own = make_case(CaseStatus.VERIFYING)
    other_agency = make_org()
    stranger = make_user(Role.CASEWORKER, org=other_agency)
    theirs = make_case(CaseStatus.VERIFYING, agency_=other_agency, staff=(stranger, make_user(
        Role.SUPERVISOR, org=other_agency)))
    ours, others = new_client(), new_client()
    login(ours, caseworker)
    login(others, stranger)
    for _ in range(2):  # the second time round, every statement is a kept one
        assert ours.get(f"/cases/{own.id}").status_code == 200
        assert others.get(f"/cases/{own.id}").status_code == 404
        assert others.get(f"/cases/{theirs.id}").status_code == 200
        assert ours.get(f"/cases/{theirs.id}").status_code == 404
        # a transition loads its case the same way
        assert others.post(f"/cases/{own.id}/transitions/confirm",
                           data={"version": own.version}).status_code in (400, 404)


def test_colleagues_share_an_audience_and_other_roles_do_not(make_user, caseworker, make_org, agency):
    colleague = make_user(Role.CASEWORKER)
    elsewhere = make_user(Role.CASEWORKER, org=make_org())
    officer = make_user(Role.MINISTRY_OFFICER, org=make_org(OrganizationKind.MINISTRY))
    assert audience(caseworker, Permission.CASE_VIEW) == audience(colleague, Permission.CASE_VIEW)
    assert audience(caseworker, Permission.CASE_VIEW) != audience(elsewhere, Permission.CASE_VIEW)
    assert audience(caseworker, Permission.CASE_VIEW) != audience(officer, Permission.CASE_VIEW)


def test_the_inbox_badge_counts_each_organisations_own_items(session, make_case, caseworker, make_user, make_org,
                                                             ministry):
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    other_officer = make_user(Role.MINISTRY_OFFICER, org=make_org(OrganizationKind.MINISTRY))
    assert routing.unread_count(session, officer) == 0
    assert routing.unread_count(session, other_officer) == 0
    case = make_case(CaseStatus.VERIFYING)
    routing.refer_case(caseworker, case, to=ministry, question="確認をお願いします。")
    assert routing.unread_count(session, officer) == 1
    assert routing.unread_count(session, other_officer) == 0
    assert routing.unread_count(session, caseworker) == 0


def test_kept_statements_are_reused_and_the_least_used_go_first():
    kept = Statements(size=2)
    built = []

    def build(name):
        built.append(name)
        return name

    assert kept.get("a", lambda: build("A")) == "A"
    assert kept.get("a", lambda: build("A again")) == "A"
    kept.get("b", lambda: build("B"))
    kept.get("a", lambda: build("A again"))  # a is used again: b is now the least recently used
    kept.get("c", lambda: build("C"))
    assert kept.get("a", lambda: build("A again")) == "A"
    assert kept.get("b", lambda: build("B again")) == "B again"
    assert built == ["A", "B", "C", "B again"]


def test_pages_within_a_minute_send_no_new_session_cookie(client, caseworker):
    login(client, caseworker)
    client.get("/cases/")
    response = client.get("/cases/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # the session did not change
    with client.session_transaction() as session:
        session[SEEN_AT] -= 90
    client.get("/cases/")
    with client.session_transaction() as session:
        assert time.time() - session[SEEN_AT] < 60  # noted again after a minute
