"""本人特定待ち: cases whose approved correction left the number unlinked, and linking the right number
later — a new correction, proposed by staff and approved by a second supervisor, like the first."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from caseflow.cases import listing, operations, queue
from caseflow.cases.machine import IllegalStatusChange
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome, NotificationMethod, ProposalKind, ProposalStatus
from caseflow.core.japanese import today_jst
from caseflow.errors import DomainError, NotFound, PermissionDenied
from caseflow.extensions import db
from caseflow.letters.operations import missing_letter_kinds
from caseflow.reports import figures
from caseflow.users.models import Role
from tests.conftest import events_of, login, post_form, valid_number

RIGHT = valid_number(55_500_000_001)  # the person's own number, found once identified


def link(case, actor, *, number: str = RIGHT, matches: int = 1, outcome=CorrectionOutcome.LINKED, **extra):
    return operations.propose_correction(case, actor, wrong_number_removed=True, outcome=outcome,
                                         linked_number=number if outcome is CorrectionOutcome.LINKED else None,
                                         query_facts=4, query_matches=matches, **extra)


def waiting(actor) -> list[int]:
    stmt = listing.case_query(actor, listing.read_filters({"identification": "waiting"}), today=today_jst())
    return sorted(db.session.scalars(stmt.with_only_columns(Case.id)))


def test_an_unlinked_correction_puts_the_case_in_the_queue_until_a_linking_is_approved(
        make_case, caseworker, supervisor):
    unlinked = make_case(CaseStatus.CORRECTED)  # the factories correct without a number
    notified = make_case(CaseStatus.NOTIFIED)
    linked = make_case(CaseStatus.CONFIRMED)
    link(linked, caseworker)
    operations.approve_correction(linked, supervisor)
    confirmed = make_case(CaseStatus.CONFIRMED)
    assert [c.awaits_identification for c in (unlinked, notified, linked, confirmed)] == [True, True, False, False]
    assert waiting(caseworker) == sorted([unlinked.id, notified.id])
    assert queue.count_awaiting_identification(db.session, supervisor) == 2

    correction = link(unlinked, caseworker, note="本人から申出があり、住基照会で1人に特定")
    assert unlinked.awaits_identification and unlinked.id in waiting(caseworker)  # until it is approved
    assert queue.approvals_waiting(db.session, supervisor) == [unlinked]
    version = unlinked.version
    operations.approve_correction(unlinked, supervisor, comment="照会結果を確認しました")
    assert unlinked.status is CaseStatus.CORRECTED and unlinked.version > version
    assert (correction.status, correction.outcome, correction.linked_number, correction.decided_by_id) == (
        ProposalStatus.APPROVED, CorrectionOutcome.LINKED, RIGHT, supervisor.id)
    assert [c.outcome for c in unlinked.corrections] == [CorrectionOutcome.UNLINKED, CorrectionOutcome.LINKED]
    assert not unlinked.awaits_identification
    assert waiting(caseworker) == [notified.id]
    assert queue.approvals_waiting(db.session, supervisor) == []
    proposed, approved = events_of(unlinked.id)[-2:]
    assert (proposed.trigger, proposed.actor_id, proposed.details) == (
        "propose_correction", caseworker.id, {"outcome": "linked", "link_later": True})
    assert (approved.trigger, approved.actor_id, approved.from_status, approved.to_status, approved.comment) == (
        "link_later", supervisor.id, CaseStatus.CORRECTED, CaseStatus.CORRECTED, "照会結果を確認しました")
    assert approved.details["correction_id"] == correction.id
    assert operations.describe_event(proposed) == "本人特定後の紐付け（本人特定待ちの案件）"
    # Linked: nothing more to link.
    with pytest.raises(DomainError, match="「訂正済」のため、訂正内容を登録できません"):
        link(unlinked, caseworker)


def test_a_notified_case_is_linked_and_stays_notified_without_a_new_letter(make_case, caseworker, supervisor):
    case = make_case(CaseStatus.NOTIFIED)
    missing_before = missing_letter_kinds(db.session, case)
    link(case, caseworker)
    assert "link_later" in operations.available_actions(case, supervisor)
    operations.approve_correction(case, supervisor)
    assert case.status is CaseStatus.NOTIFIED and not case.awaits_identification
    assert case.notified_on == dt.date.today()  # the notification stands as it was
    assert missing_letter_kinds(db.session, case) == missing_before  # linking calls for no other letter


def test_the_linking_is_the_same_correction_as_the_first(make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CORRECTED)
    with pytest.raises(DomainError, match="本人特定待ちです。本人を特定できたら「正しい番号を紐付け」"):
        link(case, caseworker, outcome=CorrectionOutcome.UNLINKED)
    with pytest.raises(DomainError, match="3人が該当したため、本人を特定するまで紐付けできません"):
        link(case, caseworker, matches=3)
    with pytest.raises(DomainError, match="入力してください"):
        operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.LINKED,
                                      linked_number=RIGHT)  # no registry query recorded
    with pytest.raises(DomainError, match="誤って紐付けられていた番号と同じです"):
        link(case, caseworker, number=case.registered_number)
    with pytest.raises(DomainError, match="個人番号に誤りがあります"):
        link(case, caseworker, number=RIGHT[:11] + str((int(RIGHT[11]) + 1) % 10))
    assert case.pending_correction is None and case.corrections[-1].outcome is CorrectionOutcome.UNLINKED
    link(case, caseworker)
    with pytest.raises(DomainError, match="承認待ちの訂正内容が既にあります"):
        link(case, caseworker)


def test_four_eyes_and_the_organisation(make_case, make_user, make_org, caseworker, supervisor):
    case = make_case(CaseStatus.CORRECTED)
    link(case, supervisor)  # a supervisor may propose it too
    assert "link_later" not in operations.available_actions(case, supervisor)
    with pytest.raises(PermissionDenied, match="本人は承認できません"):
        operations.approve_correction(case, supervisor)
    with pytest.raises(PermissionDenied, match="承認者"):
        operations.approve_correction(case, caseworker)
    stranger = make_user(Role.SUPERVISOR, org=make_org(name="他市"))
    with pytest.raises((PermissionDenied, NotFound)):
        operations.approve_correction(case, stranger)
    with pytest.raises((PermissionDenied, NotFound)):
        link(make_case(CaseStatus.CORRECTED), stranger)
    assert case.corrections[-1].status is ProposalStatus.PROPOSED and case.awaits_identification
    second = make_user(Role.SUPERVISOR, name="承認 二郎")
    operations.approve_correction(case, second)
    assert not case.awaits_identification and case.corrections[-1].decided_by_id == second.id


def test_an_approval_by_the_proposer_is_not_stored(make_case, caseworker, session):
    case = make_case(CaseStatus.CORRECTED)
    correction = link(case, caseworker)
    correction.status = ProposalStatus.APPROVED  # by hand, as from a shell: no second person
    correction.decided_by_id = caseworker.id
    with pytest.raises(IllegalStatusChange, match="second person"):
        session.flush()


def test_one_supervisor_organisation_links_later(make_org, make_user, make_case):
    org = make_org(name="一人承認町")
    boss = make_user(Role.SUPERVISOR, org=org, name="唯一 承認者")
    worker = make_user(Role.CASEWORKER, org=org, name="担当 一人")
    case = make_case(CaseStatus.NOTIFIED, agency_=org, staff=(worker, boss))
    assert waiting(boss) == [case.id]
    link(case, boss)
    with pytest.raises(PermissionDenied, match="本人は承認できません"):
        operations.approve_correction(case, boss)
    operations.withdraw_proposal(case, boss, ProposalKind.CORRECTION, comment="担当職員が登録し直すため")
    assert case.awaits_identification
    link(case, worker)
    operations.return_correction(case, boss, comment="照会日を備考に書いてください")
    link(case, worker, note="令和7年1月6日 住基照会")
    operations.approve_correction(case, boss)
    assert (case.status, case.awaits_identification, waiting(boss)) == (CaseStatus.NOTIFIED, False, [])
    assert [c.status for c in case.corrections] == [ProposalStatus.APPROVED, ProposalStatus.WITHDRAWN,
                                                   ProposalStatus.RETURNED, ProposalStatus.APPROVED]
    triggers = [e.trigger for e in events_of(case.id)]
    assert triggers[-6:] == ["propose_correction", "withdraw_correction", "propose_correction", "return_correction",
                             "propose_correction", "link_later"]


def test_reports_count_the_case_once(make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CORRECTED)

    def grain():
        return next(g for g in figures.live_grains(db.session, None)
                    if (g.program_id, g.agency_id) == (case.program_id, case.agency_id))

    before = grain()
    link(case, caseworker)
    operations.approve_correction(case, supervisor)
    after = grain()
    # opened without a batch: an error found otherwise, counted apart from the rate's errors
    assert (after.cases, after.errors_separate, after.resolved) == \
        (before.cases, before.errors_separate, before.resolved) == (1, 1, 1)
    operations.notify_case(case, caseworker, notified_on=dt.date.today(), notification_method=NotificationMethod.MAIL)
    assert (grain().errors_separate, grain().resolved, grain().notified) == (1, 1, 1)


# --- pages ---------------------------------------------------------------------------------------


def _page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_queue_filter_dashboards_and_the_pages(client, make_case, make_user, caseworker, supervisor):
    awaiting = make_case(CaseStatus.CORRECTED)
    other = make_case(CaseStatus.CONFIRMED)
    login(client, caseworker)
    listed = _page(client.get("/cases/?identification=waiting"))
    assert awaiting.reference in listed and other.reference not in listed
    assert 'name="identification" value="waiting" checked' in listed
    assert _page(client.get("/cases/")).count(">本人特定待ち</span>") == 1  # the awaiting case's row is marked
    assert client.get("/cases/?identification=nonsense").status_code == 200  # a checkbox: anything else is off
    dashboard = _page(client.get("/dashboard/"))
    assert "本人特定待ち（正しい番号の紐付けを保留中）" in dashboard and "/cases/?identification=waiting" in dashboard

    page = _page(client.get(f"/cases/{awaiting.id}"))
    assert 'id="awaiting-identification"' in page and "本人特定後の紐付け（承認者の承認が必要です）" in page
    response = post_form(client, f"/cases/{awaiting.id}/correction", {
        "version": awaiting.version, "wrong_number_removed": "1", "outcome": "linked", "linked_number": RIGHT,
        "query_facts": "4", "query_matches": "1"}, token_from=f"/cases/{awaiting.id}")
    assert response.status_code == 302, _page(response)
    db.session.refresh(awaiting)
    assert awaiting.pending_correction.outcome is CorrectionOutcome.LINKED
    assert RIGHT not in _page(client.get(f"/cases/{awaiting.id}"))  # masked on screen

    post_form(client, "/logout", {})
    login(client, supervisor)
    supervision = _page(client.get("/cases/supervision"))
    assert awaiting.reference in supervision and "（本人特定後の紐付け）" in supervision
    assert "本人特定待ち <strong>1件</strong>" in supervision
    page = _page(client.get(f"/cases/{awaiting.id}"))
    assert "本人特定後の紐付けの承認" in page
    response = post_form(client, f"/cases/{awaiting.id}/transitions/link_later", {"version": awaiting.version},
                         token_from=f"/cases/{awaiting.id}")
    assert response.status_code == 302, _page(response)
    db.session.refresh(awaiting)
    assert awaiting.status is CaseStatus.CORRECTED and not awaiting.awaits_identification
    assert awaiting.reference not in _page(client.get("/cases/?identification=waiting"))
    assert "本人特定待ち <strong>0件</strong>" in _page(client.get("/cases/supervision"))

