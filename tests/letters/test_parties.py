"""Both people of a linkage error: each letter kind is for one party, each party has its own
recipient, a case carries one valid letter per kind and party, and becomes 通知済 once every
letter it calls for is issued; the recipient forms start from the right party's facts; postal
codes are checked against Japan Post's data."""

from __future__ import annotations

import itertools
import re

import pytest
import sqlalchemy as sa

from caseflow.cases.vocabulary import CaseStatus, Party, ViewedOnPortal
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.letters import operations
from caseflow.letters.kinds import KINDS, PARTIES
from caseflow.letters.models import Letter, LetterKind, LetterStatus, Recipient
from caseflow.letters.postal import lookup_postal_code, normalize_postal_code
from caseflow.organizations.models import Program
from caseflow.users.models import Role
from tests.conftest import events_of, login, post_form
from tests.letters.test_flow import LETTERHEAD, squeezed, text_of

# The two people of every case here: 齋藤 恵's record carried the number of 奈良 悠真.
RECORD = {"name": "齋藤　恵", "postal_code": "030-0961", "address": "青森県青森市浪打二丁目5番8号"}
HOLDER = {"name": "奈良　悠真", "postal_code": "030-0801", "address": "青森県青森市新町一丁目3番7号"}
PEOPLE = {Party.RECORD_PERSON: RECORD, Party.NUMBER_HOLDER: HOLDER}


@pytest.fixture
def two_party_case(make_case, agency, ministry):
    """make(program_code=None, holder_notice=True, viewed=...) → a corrected case whose two people differ."""
    agency.letterhead = dict(LETTERHEAD)

    made = itertools.count(1)

    def make(*, code: str | None = None, holder_notice: bool = True, **fields):
        program = Program(name=f"二者事務{next(made)}", code=code, ministry_id=ministry.id, holder_notice=holder_notice)
        db.session.add(program)
        db.session.flush()
        people = {"record_name": RECORD["name"], "record_address": RECORD["address"],
                  "registry_name": HOLDER["name"], "registry_address": HOLDER["address"]}
        return make_case(CaseStatus.CORRECTED, program_=program, **{**people, **fields})

    return make


def _address_both(case, caseworker) -> None:
    for party, person in PEOPLE.items():
        operations.set_recipient(case, caseworker, party=party, name=person["name"],
                                 postal_code=person["postal_code"], address=person["address"])


def _case_for(two_party_case, kind: str):
    if kind == "bank_account":
        return two_party_case(code=operations.BANK_ACCOUNT_PROGRAM, holder_notice=False)
    if kind == "viewed_notice":
        case = two_party_case()
        case.viewed_on_portal = ViewedOnPortal.YES
        case.viewed_what = "受給者証の情報"
        return case
    return two_party_case()


def test_every_kind_declares_its_party():
    assert set(PARTIES) == set(KINDS) == {kind.value for kind in LetterKind}
    assert {kind: PARTIES[kind] for kind in KINDS} == {
        "apology": Party.RECORD_PERSON, "viewed_notice": Party.RECORD_PERSON,
        "bank_account": Party.NUMBER_HOLDER, "holder_notice": Party.NUMBER_HOLDER,
    }


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_addressed_to_its_party(two_party_case, caseworker, kind):
    case = _case_for(two_party_case, kind)
    _address_both(case, caseworker)
    letter = operations.issue_letter(db.session, caseworker, case, LetterKind(kind))
    party = PARTIES[kind]
    (other,) = set(Party) - {party}
    assert letter.party is party and letter.snapshot["party"] == party.value
    assert letter.snapshot["recipient"]["name"] == PEOPLE[party]["name"]
    assert letter.postal_code == PEOPLE[party]["postal_code"]
    text = squeezed(text_of(letter.pdf))
    assert PEOPLE[party]["name"] + "　様" in text and PEOPLE[party]["address"] in text
    assert PEOPLE[other]["name"] not in text and PEOPLE[other]["address"] not in text
    if party is Party.NUMBER_HOLDER:
        # never tell the holder that their own data carried someone else's number
        assert "あなたの情報に、別の方のマイナンバーが誤って紐付けられていました" not in text
    else:
        assert "あなたのマイナンバーに、別の方の" not in text


def test_the_holder_notice_tells_the_holder_what_happened(two_party_case, caseworker):
    case = two_party_case()
    _address_both(case, caseworker)
    text = squeezed(text_of(operations.preview_letter(caseworker, case, LetterKind.HOLDER_NOTICE)))
    assert "マイナンバーの紐付け誤りについてのお知らせ" in text
    assert f"あなたのマイナンバーに、別の方の{case.program.name}が誤って紐付けられていました" in text
    assert "あなたご自身の情報が書き換えられたものではありません" in text
    assert "必要ありません" in text and case.reference in text


def test_kinds_follow_the_program_and_the_facts(two_party_case):
    plain = two_party_case()
    assert operations.letter_kinds_for(plain) == [LetterKind.APOLOGY, LetterKind.HOLDER_NOTICE]
    assert operations.required_letter_kinds(plain) == [LetterKind.APOLOGY, LetterKind.HOLDER_NOTICE]
    bank = two_party_case(code=operations.BANK_ACCOUNT_PROGRAM, holder_notice=False)
    assert operations.required_letter_kinds(bank) == [LetterKind.APOLOGY, LetterKind.BANK_ACCOUNT]
    none = two_party_case(holder_notice=False)
    assert operations.required_letter_kinds(none) == [LetterKind.APOLOGY]
    # a number the registry does not know has no holder to write to
    unknown = two_party_case(registry_name=None, registry_address=None)
    assert operations.letter_kinds_for(unknown) == [LetterKind.APOLOGY]


def test_notified_once_every_letter_the_case_calls_for_is_issued(two_party_case, caseworker):
    case = two_party_case()
    _address_both(case, caseworker)
    operations.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)
    assert case.status is CaseStatus.CORRECTED
    assert operations.missing_letter_kinds(db.session, case) == [LetterKind.HOLDER_NOTICE]
    assert events_of(case.id)[-1].trigger == "issue_letter"
    holder = operations.issue_letter(db.session, caseworker, case, LetterKind.HOLDER_NOTICE)
    assert case.status is CaseStatus.NOTIFIED
    notify = [e for e in events_of(case.id) if e.trigger == "notify"][-1]
    assert notify.details["letter"] == {"letter_id": holder.id, "document_number": holder.document_number,
                                        "kind": "holder_notice", "party": "number_holder"}


def test_one_valid_letter_per_kind_and_party(two_party_case, caseworker):
    case = two_party_case()
    _address_both(case, caseworker)
    apology = operations.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)
    holder = operations.issue_letter(db.session, caseworker, case, LetterKind.HOLDER_NOTICE)
    with pytest.raises(DomainError, match="本人（業務データの本人）あての有効な「紐付け誤りについてのお詫びとお知らせ」が既に"):
        operations.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)
    with pytest.raises(DomainError, match="番号の保有者あての有効な"):
        operations.issue_letter(db.session, caseworker, case, LetterKind.HOLDER_NOTICE)
    # The database refuses a second valid letter of the same kind and party too.
    copy = Letter(case=case, organization_id=case.agency_id, kind=LetterKind.APOLOGY, party=Party.RECORD_PERSON,
                  status=LetterStatus.ISSUED, fiscal_year=apology.fiscal_year, serial=apology.serial + 100,
                  document_number="複製", issued_on=apology.issued_on, issued_by_id=caseworker.id,
                  snapshot={}, pdf=b"", sha256="0" * 64, pages=1, postal_code=None)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(copy)
        db.session.flush()
    # Voided, the apology may be issued again; the holder's letter is untouched.
    operations.void_letter(db.session, caseworker, apology, reason="宛名の誤り")
    again = operations.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)
    assert again.party is Party.RECORD_PERSON and holder.status is LetterStatus.ISSUED


def test_each_party_has_its_own_recipient_and_an_incomplete_one_is_named(two_party_case, caseworker):
    case = two_party_case()
    operations.set_recipient(case, caseworker, party=Party.RECORD_PERSON, name=RECORD["name"],
                             postal_code=RECORD["postal_code"], address=RECORD["address"])
    assert operations.recipient_problems(case, Party.RECORD_PERSON) == []
    assert operations.recipient_problems(case, Party.NUMBER_HOLDER) == ["郵便番号", "住所", "宛名（氏名）"]
    with pytest.raises(DomainError, match="番号の保有者の送付先が不完全"):
        operations.issue_letter(db.session, caseworker, case, LetterKind.HOLDER_NOTICE)
    operations.set_recipient(case, caseworker, party=Party.NUMBER_HOLDER, name=HOLDER["name"],
                             postal_code=HOLDER["postal_code"], address=HOLDER["address"])
    rows = db.session.scalars(sa.select(Recipient).where(Recipient.case_id == case.id)).all()
    assert {(r.party, r.name) for r in rows} == {(Party.RECORD_PERSON, RECORD["name"]),
                                                 (Party.NUMBER_HOLDER, HOLDER["name"])}
    # Changing one party's recipient leaves the other's as it was.
    operations.set_recipient(case, caseworker, party=Party.NUMBER_HOLDER, name="奈良　悠真", postal_code="036-8364",
                             address="青森県弘前市大字新町10番地")
    assert operations.recipient_of(case, Party.RECORD_PERSON).address == RECORD["address"]
    assert operations.recipient_of(case, Party.NUMBER_HOLDER).postal_code == "036-8364"
    assert [e.details.get("party") for e in events_of(case.id) if e.trigger == "set_recipient"] == [
        "record_person", "number_holder", "number_holder"]


def _form_values(page: str, party: Party) -> dict[str, str]:
    form = page[page.index(f'name="party" value="{party.value}"'):]
    form = form[:form.index("</form>")]
    return {"name": re.search(r'name="recipient_name" value="([^"]*)"', form).group(1),
            "address": re.search(r'name="recipient_address"[^>]*>([^<]*)</textarea>', form).group(1)}


def test_the_recipient_forms_start_from_each_partys_own_facts(two_party_case, caseworker, client):
    case = two_party_case()
    login(client, caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _form_values(page, Party.RECORD_PERSON) == {"name": RECORD["name"], "address": RECORD["address"]}
    assert _form_values(page, Party.NUMBER_HOLDER) == {"name": HOLDER["name"], "address": HOLDER["address"]}
    assert "送付先（本人（業務データの本人））" in page and "送付先（番号の保有者）" in page
    assert 'src="/static/js/postal-code.js"' in page and "data-postal-lookup" in page
    # Once entered, the form shows what was entered.
    response = post_form(client, f"/cases/{case.id}/recipient", {
        "version": case.version, "party": "number_holder", "recipient_name": "奈良　悠真様方",
        "recipient_postal_code": HOLDER["postal_code"], "recipient_address": HOLDER["address"]})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert _form_values(page, Party.NUMBER_HOLDER)["name"] == "奈良　悠真様方"
    assert _form_values(page, Party.RECORD_PERSON)["name"] == RECORD["name"]


def test_officers_do_not_see_the_recipients(two_party_case, caseworker, make_user, ministry, client):
    case = two_party_case()
    _address_both(case, caseworker)
    operations.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)  # the section shows its letters
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    login(client, officer)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "送付先（番号の保有者）" in page and "（非表示）" in page
    for person in PEOPLE.values():
        assert person["name"] not in page and person["address"] not in page
    assert 'name="recipient_name"' not in page


def test_postal_codes_are_normalised_and_looked_up():
    assert normalize_postal_code("〒０３０－０８０１") == "030-0801"
    assert normalize_postal_code("0300801") == "030-0801"
    assert normalize_postal_code("03-08") is None
    area = lookup_postal_code("030-0801")
    assert (area.prefecture, area.city, area.town, area.address) == ("青森県", "青森市", "新町", "青森県青森市新町")
    assert lookup_postal_code("030-9999") is None and lookup_postal_code("nope") is None


def test_a_postal_code_that_does_not_exist_is_refused(two_party_case, caseworker, client):
    case = two_party_case()
    with pytest.raises(DomainError, match="郵便番号 030-9999 は存在しません"):
        operations.set_recipient(case, caseworker, party=Party.RECORD_PERSON, name=RECORD["name"],
                                 postal_code="０３０－９９９９", address=RECORD["address"])
    assert operations.recipient_of(case, Party.RECORD_PERSON) is None
    # The page, without its script: the server refuses and says why.
    login(client, caseworker)
    response = post_form(client, f"/cases/{case.id}/recipient", {
        "version": case.version, "party": "record_person", "recipient_name": RECORD["name"],
        "recipient_postal_code": "030-9999", "recipient_address": RECORD["address"]})
    assert response.status_code == 302
    assert "郵便番号 030-9999 は存在しません" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.scalars(sa.select(Recipient).where(Recipient.case_id == case.id)).all() == []


def test_the_postal_code_endpoint(client, caseworker, make_user, ministry):
    login(client, caseworker)
    found = client.get("/letters/postal-codes/0300801")
    assert found.status_code == 200 and found.mimetype == "application/json"
    assert found.json == {"found": True, "postal_code": "030-0801", "prefecture": "青森県", "city": "青森市",
                          "town": "新町", "address": "青森県青森市新町"}
    assert client.get("/letters/postal-codes/〒030-0801").json["address"] == "青森県青森市新町"
    missing = client.get("/letters/postal-codes/0309999")
    assert missing.status_code == 404 and missing.json == {"found": False,
                                                           "message": "郵便番号 030-9999 は存在しません。"}
    assert client.get("/letters/postal-codes/12").status_code == 404
    assert found.headers["Cache-Control"] == "no-store"
