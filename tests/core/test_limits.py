"""One constant for each limit, used by the form and the server (issue 15, item 6).

The sweep found the form allowing 99 people matched and the server 9,999; the letters' void reason
limited by the form only.
"""

from __future__ import annotations

import re

import pytest

from caseflow import ROOT
from caseflow.cases import operations
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome, Party
from caseflow.core.japanese import today_jst
from caseflow.core.limits import PURPOSE_MAX, REASON_MAX, TEXT_MAX
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.letters import operations as letters
from caseflow.letters.models import Letter, LetterKind, LetterStatus
from tests.conftest import login

# What may stay a number written in a template: a progress bar's scale is not a limit on input.
NOT_LIMITS = {'<progress id="job-progress" max="100"'}


def test_no_template_writes_a_limit_as_a_number():
    found = []
    for path in (ROOT / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in re.finditer(r'\b(maxlength|minlength|max|min)="([0-9]+)"', line):
                if match.group(0) == 'min="0"' or any(allowed in line for allowed in NOT_LIMITS):
                    continue
                found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert found == []


def _maxlength(page: str, field_id: str) -> int:
    match = re.search(rf'id="{re.escape(field_id)}"[^>]*maxlength="([0-9]+)"', page)
    assert match, field_id
    return int(match.group(1))


def test_the_case_page_offers_what_the_server_takes(client, make_case, caseworker):
    verifying = make_case(CaseStatus.VERIFYING)
    confirmed = make_case(CaseStatus.CONFIRMED)
    login(client, caseworker)
    page = client.get(f"/cases/{verifying.id}").get_data(as_text=True)
    assert _maxlength(page, "cause_other") == REASON_MAX
    assert _maxlength(page, "comment") == TEXT_MAX
    assert _maxlength(page, "reveal-purpose") == PURPOSE_MAX
    page = client.get(f"/cases/{confirmed.id}").get_data(as_text=True)
    assert re.search(rf'id="query_matches"[^>]*max="{operations.MAX_QUERY_MATCHES}"', page)


def test_the_server_refuses_one_more_than_the_form_allows(make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED)
    with pytest.raises(DomainError, match=f"{operations.MAX_QUERY_MATCHES:,}以下"):
        operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED,
                                      query_facts=4, query_matches=operations.MAX_QUERY_MATCHES + 1)
    operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED,
                                  query_facts=4, query_matches=operations.MAX_QUERY_MATCHES)


def test_a_letter_s_void_reason_and_return_note_are_limited_by_the_server(make_case, caseworker, agency):
    case = make_case(CaseStatus.NOTIFIED)
    letter = Letter(case=case, organization_id=agency.id, kind=LetterKind.APOLOGY, party=Party.RECORD_PERSON,
                    fiscal_year=2026, serial=901, document_number="テ市民第901号", issued_on=today_jst(),
                    issued_by_id=caseworker.id, snapshot={}, pdf=b"%PDF-1.7", sha256="0" * 64, pages=1,
                    postal_code="030-0801")
    db.session.add(letter)
    db.session.flush()
    from caseflow.letters.models import ReturnReason

    with pytest.raises(DomainError, match=f"{REASON_MAX}文字以内"):
        letters.record_returned(db.session, caseworker, letter, reason=ReturnReason.UNKNOWN_ADDRESS,
                                returned_on=today_jst(), note="あ" * (REASON_MAX + 1))
    with pytest.raises(DomainError, match=f"{REASON_MAX}文字以内"):
        letters.void_letter(db.session, caseworker, letter, reason="い" * (REASON_MAX + 1))
    letters.void_letter(db.session, caseworker, letter, reason="い" * REASON_MAX)
    assert letter.status is LetterStatus.VOIDED
