"""Officers who oversee see what they oversee, not the people (PPC ガイドライン: 必要最小限); inbox actions
are scoped like inbox reads.

Finding 4 of the sweep: ministry officers saw both people's name, kana, birth date and address on
every case of their programs. Finding 6: marking the inbox read reached items about cases the user
may not see.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AccessRecord
from caseflow.cases.vocabulary import CaseStatus
from caseflow.extensions import db
from caseflow.routing import operations
from caseflow.routing.models import InboxItem
from caseflow.users.models import Role
from tests.conftest import csrf_token, login, post_form

# make_case's people: the record's (山田　太郎) and the registry's (山田　次郎).
FACTS = ("山田　太郎", "ヤマダ　タロウ", "山田　次郎", "ヤマダ　ジロウ", "青森県青森市新町一丁目1番1号")


@pytest.fixture
def digital_officer(make_user, digital):
    return make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital, name="デジ 職員")


def _page(client, user, path: str) -> str:
    login(client, user)
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["officer", "digital_officer"])
def test_overseeing_officers_see_the_case_but_not_the_people(request, client, make_case, who):
    user = request.getfixturevalue(who)
    case = make_case(CaseStatus.VERIFYING)
    page = _page(client, user, f"/cases/{case.id}")
    assert case.reference in page and "不一致" in page  # status, verdicts, timeline
    assert not any(fact in page for fact in FACTS)
    assert 'id="facts-hidden"' in page
    listing = client.get("/cases/").get_data(as_text=True)
    assert case.reference in listing and "山田" not in listing


def test_the_linking_agency_sees_the_people(client, make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    page = _page(client, caseworker, f"/cases/{case.id}")
    assert all(fact in page for fact in FACTS)
    assert 'id="facts-hidden"' not in page


def test_a_stated_purpose_shows_the_facts_and_is_recorded(client, make_case, officer):
    case = make_case(CaseStatus.VERIFYING)
    login(client, officer)
    refused = post_form(client, f"/cases/{case.id}/facts", {"purpose": "  "}, token_from=f"/cases/{case.id}")
    assert refused.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessRecord)) == 0
    response = post_form(client, f"/cases/{case.id}/facts", {"purpose": "所管事務の監督のため"},
                         token_from=f"/cases/{case.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and all(fact in page for fact in FACTS)
    record = db.session.scalars(sa.select(AccessRecord)).one()
    assert (record.user_id, record.case_id, record.what, record.purpose) == \
        (officer.id, case.id, "personal_facts", "所管事務の監督のため")
    # Shown once, for that purpose: the next visit hides them again.
    assert not any(fact in client.get(f"/cases/{case.id}").get_data(as_text=True) for fact in FACTS)


def test_while_the_case_is_referred_to_the_ministry_its_officer_sees_the_people(client, make_case, caseworker,
                                                                                 officer, ministry):
    case = make_case(CaseStatus.VERIFYING)
    referral = operations.refer_case(caseworker, case, to=ministry, question="この方の手帳番号について確認させてください。")
    page = _page(client, officer, f"/cases/{case.id}")
    assert all(fact in page for fact in FACTS)
    operations.answer_referral(officer, referral, answer="重複ではありません。")
    assert not any(fact in client.get(f"/cases/{case.id}").get_data(as_text=True) for fact in FACTS)


def test_the_api_gives_officers_the_facts_only_with_a_purpose(api_as, make_case, officer, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    call = api_as(officer)
    document = call("GET", f"/api/v1/cases/{case.id}").json
    assert document["personal_facts_shown"] is False and document["record_name"] is None
    assert all(value is None for value in document["record"].values())
    assert all(value is None for value in document["registry"].values())
    assert document["field_verdicts"]["name"] == "mismatch"
    listed = call("GET", "/api/v1/cases").json["items"]
    assert [item["record_name"] for item in listed if item["id"] == case.id] == [None]
    revealed = call("POST", f"/api/v1/cases/{case.id}/facts", {"purpose": "監督のため"})
    assert revealed.status_code == 200 and revealed.json["record"]["name"] == "山田　太郎"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessRecord)
                             .where(AccessRecord.what == "personal_facts")) == 1
    staff = api_as(caseworker)("GET", f"/api/v1/cases/{case.id}").json
    assert staff["personal_facts_shown"] is True and staff["registry"]["name"] == "山田　次郎"


# --- inbox: finding 6 ---------------------------------------------------------------------------------


def _unread(organization_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(InboxItem.id).where(InboxItem.organization_id == organization_id,
                                                                 InboxItem.read_at.is_(None))))


def test_marking_read_reaches_only_what_the_user_may_see(client, make_case, make_user, digital, caseworker,
                                                         ministry):
    """A Digital Agency caseworker sees only the Digital Agency's own cases; its officers see all."""
    case = make_case(CaseStatus.CONFIRMED)  # the confirmation reached the Digital Agency's inbox
    item_id = db.session.scalars(sa.select(InboxItem.id).where(InboxItem.organization_id == digital.id,
                                                                InboxItem.case_id == case.id)).one()
    digital_caseworker = make_user(Role.CASEWORKER, org=digital)
    admin = make_user(Role.ADMINISTRATOR, org=digital)
    db.session.commit()

    login(client, digital_caseworker)
    assert client.get(f"/cases/{case.id}").status_code == 404
    response = client.post("/inbox/read", data={"csrf_token": csrf_token(client, "/inbox"), "item": str(item_id)})
    assert response.status_code == 302
    assert item_id in _unread(digital.id)  # still unread for those who may see it
    client.post("/inbox/read", data={"csrf_token": csrf_token(client, "/inbox"), "all": "1"})
    assert item_id in _unread(digital.id)

    other = client.application.test_client()
    login(other, admin)  # sees no case at all
    other.post("/inbox/read", data={"csrf_token": csrf_token(other, "/inbox"), "all": "1"})
    assert item_id in _unread(digital.id)
    assert "0件を既読にしました" in other.get("/inbox").get_data(as_text=True)


def test_an_officer_marks_read_what_the_inbox_shows(make_case, digital, digital_officer):
    case = make_case(CaseStatus.CONFIRMED)
    assert operations.unread_count(db.session, digital_officer) == 1
    assert operations.mark_read(db.session, digital_officer) == 1
    assert not _unread(digital.id)
    assert case.status is CaseStatus.CONFIRMED
