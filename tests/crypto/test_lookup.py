"""The look-up digest: the other cases with the same My Number, only those the viewer may see; masking unchanged."""

from __future__ import annotations

import re

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.crypto.keys import lookup_digest
from caseflow.organizations.models import OrganizationKind
from caseflow.users.models import Role
from tests.conftest import login, valid_number

NUMBER = valid_number(55_555)


def _page(app, user, case_id: int) -> str:
    client = app.test_client()  # one per user; FreshGlobalsClient (the client fixture sets it)
    login(client, user)
    response = client.get(f"/cases/{case_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _same_number_line(page: str) -> str:
    return re.search(r"同じ個人番号の他の案件：\d+件", page).group(0)


def test_the_case_page_counts_the_other_cases_with_the_same_number_the_viewer_may_see(
        app, client, session, make_case, make_org, make_user, caseworker, ministry):
    mine = make_case(registered_number=NUMBER)
    also_mine = make_case(registered_number=NUMBER)
    make_case(registered_number=valid_number(55_556))
    elsewhere = make_org()
    theirs = make_case(agency_=elsewhere, registered_number=NUMBER)
    officer = make_user(Role.DIGITAL_AGENCY_OFFICER, org=make_org(OrganizationKind.DIGITAL_AGENCY))
    ministry_officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    their_worker = make_user(Role.CASEWORKER, org=elsewhere)

    assert set(session.scalars(sa.select(Case.id).where(Case.registered_number_digest == lookup_digest(NUMBER)))) \
        == {mine.id, also_mine.id, theirs.id}
    assert _same_number_line(_page(app, caseworker, mine.id)) == "同じ個人番号の他の案件：1件"  # not the other agency's
    assert _same_number_line(_page(app, their_worker, theirs.id)) == "同じ個人番号の他の案件：0件"
    assert _same_number_line(_page(app, officer, mine.id)) == "同じ個人番号の他の案件：2件"
    assert _same_number_line(_page(app, ministry_officer, theirs.id)) == "同じ個人番号の他の案件：2件"


def test_the_number_stays_masked_on_the_pages(client, make_case, caseworker):
    case = make_case(registered_number=NUMBER)
    login(client, caseworker)
    for path in ("/cases/", f"/cases/{case.id}"):
        page = client.get(path).get_data(as_text=True)
        assert NUMBER not in page and "●" * 8 + NUMBER[-4:] in page
