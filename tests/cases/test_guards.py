"""What each transition requires, and who may approve a correction."""

from __future__ import annotations

import datetime as dt

import pytest

from caseflow.cases import operations
from caseflow.cases.vocabulary import (
    CaseStatus,
    Cause,
    CorrectionOutcome,
    CorrectionStatus,
    DismissReason,
    IdentityMethod,
    NotificationMethod,
    ViewedOnPortal,
)
from caseflow.core.japanese import today_jst
from caseflow.errors import DomainError, PermissionDenied
from caseflow.users.models import Role
from tests.conftest import IDENTITY, events_of, valid_number


def test_confirm_requires_a_cause(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(DomainError, match="主な原因を選択"):
        operations.confirm_case(case, caseworker, cause=None, viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)
    assert case.status is CaseStatus.VERIFYING


def test_confirm_with_other_cause_requires_its_text(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(DomainError, match="その他"):
        operations.confirm_case(case, caseworker, cause=Cause.OTHER, viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)
    operations.confirm_case(case, caseworker, cause=Cause.OTHER, cause_other="住所変更時の誤入力",
                            viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)
    assert case.cause_other == "住所変更時の誤入力"


def test_confirm_requires_the_viewed_on_portal_answer(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(DomainError, match="マイナポータルでの閲覧"):
        operations.confirm_case(case, caseworker, cause=Cause.MANUAL_TRANSCRIPTION, viewed_on_portal=None, **IDENTITY)
    with pytest.raises(DomainError, match="閲覧された情報"):
        operations.confirm_case(case, caseworker, cause=Cause.MANUAL_TRANSCRIPTION,
                                viewed_on_portal=ViewedOnPortal.YES, **IDENTITY)
    operations.confirm_case(case, caseworker, cause=Cause.MANUAL_TRANSCRIPTION,
                            viewed_on_portal=ViewedOnPortal.YES, viewed_what="薬剤情報",
                            viewed_on=dt.date(2023, 6, 1), viewing_suspended=True, **IDENTITY)
    assert (case.status, case.viewed_on_portal, case.viewed_what, case.viewing_suspended) == (
        CaseStatus.CONFIRMED, ViewedOnPortal.YES, "薬剤情報", True)
    assert events_of(case.id)[-1].details["viewed_on_portal"] == "yes"


def test_confirm_records_how_identity_was_verified(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    confirm = dict(cause=Cause.MANUAL_TRANSCRIPTION, viewed_on_portal=ViewedOnPortal.NO)
    with pytest.raises(DomainError, match="本人確認の方法を選択"):
        operations.confirm_case(case, caseworker, identity_method=None, identity_verified_on=dt.date(2025, 1, 6),
                                **confirm)
    with pytest.raises(DomainError, match="本人確認の方法で「その他」"):
        operations.confirm_case(case, caseworker, identity_method=IdentityMethod.OTHER,
                                identity_verified_on=dt.date(2025, 1, 6), **confirm)
    with pytest.raises(DomainError, match="本人確認をした日を入力"):
        operations.confirm_case(case, caseworker, identity_method=IdentityMethod.MY_NUMBER_CARD,
                                identity_verified_on=None, **confirm)
    with pytest.raises(DomainError, match="未来"):
        operations.confirm_case(case, caseworker, identity_method=IdentityMethod.MY_NUMBER_CARD,
                                identity_verified_on=today_jst() + dt.timedelta(days=1), **confirm)
    assert case.status is CaseStatus.VERIFYING
    operations.confirm_case(case, caseworker, identity_method=IdentityMethod.OTHER,
                            identity_method_other="勤務先の在籍証明と照合", identity_verified_on=dt.date(2025, 1, 6),
                            **confirm)
    assert (case.identity_method, case.identity_method_other, case.identity_verified_on,
            case.identity_verified_by_id) == (IdentityMethod.OTHER, "勤務先の在籍証明と照合", dt.date(2025, 1, 6),
                                              caseworker.id)
    assert events_of(case.id)[-1].details["identity_method"] == "other"


def test_a_dismissal_is_proposed_with_a_reason(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(DomainError, match="理由を選択"):
        operations.propose_dismissal(case, caseworker, dismiss_reason=None)
    with pytest.raises(DomainError, match="その他"):
        operations.propose_dismissal(case, caseworker, dismiss_reason=DismissReason.OTHER)
    operations.propose_dismissal(case, caseworker, dismiss_reason=DismissReason.OTHER,
                                 dismiss_reason_other="本人に確認し、番号は本人のものと判明")
    assert case.status is CaseStatus.VERIFYING  # until a supervisor approves
    assert case.pending_dismissal.reason is DismissReason.OTHER


def test_reopen_requires_a_reason_and_clears_the_dismissal(make_case, caseworker):
    case = make_case(CaseStatus.FALSE)
    with pytest.raises(DomainError, match="再確認する理由"):
        operations.reopen_case(case, caseworker, comment="  ")
    operations.reopen_case(case, caseworker, comment="本人から別人との申出")
    assert (case.status, case.dismiss_reason) == (CaseStatus.VERIFYING, None)
    assert events_of(case.id)[-1].comment == "本人から別人との申出"


def test_notify_requires_date_and_method(make_case, caseworker):
    case = make_case(CaseStatus.CORRECTED)
    with pytest.raises(DomainError, match="通知した日"):
        operations.notify_case(case, caseworker, notified_on=None, notification_method=NotificationMethod.MAIL)
    with pytest.raises(DomainError, match="通知の方法"):
        operations.notify_case(case, caseworker, notified_on=dt.date.today(), notification_method=None)
    with pytest.raises(DomainError, match="未来"):
        operations.notify_case(case, caseworker, notified_on=dt.date.today() + dt.timedelta(days=3),
                               notification_method=NotificationMethod.MAIL)
    assert case.status is CaseStatus.CORRECTED


# --- corrections: four eyes -------------------------------------------------------


def test_correction_must_record_the_wrong_number_removed(make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED)
    with pytest.raises(DomainError, match="削除"):
        operations.propose_correction(case, caseworker, wrong_number_removed=False,
                                      outcome=CorrectionOutcome.UNLINKED)
    with pytest.raises(DomainError, match="選択"):
        operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=None)


def test_linked_number_must_be_a_valid_and_different_number(make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED)
    with pytest.raises(DomainError, match="検査用数字") as refused:
        operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                      outcome=CorrectionOutcome.LINKED, linked_number="123456789019",
                                      query_facts=4, query_matches=1)
    assert "123456789019" not in refused.value.message  # never echo a number back
    with pytest.raises(DomainError, match="同じ"):
        operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                      outcome=CorrectionOutcome.LINKED, linked_number=case.registered_number,
                                      query_facts=4, query_matches=1)
    correction = operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                               outcome=CorrectionOutcome.LINKED,
                                               linked_number="１２３４５６７８９０１８", query_facts=4, query_matches=1)
    assert correction.linked_number == "123456789018"
    assert (correction.query_facts, correction.query_matches) == (4, 1)


@pytest.mark.parametrize(("facts", "matches", "refusal"), [
    (None, None, "住基照会に用いた情報と該当人数"),
    (4, 2, "2人が該当したため、本人を特定するまで紐付けできません"),
    (4, 0, "該当者がいない"),
    (3, 1, "3情報は性別を保有しない事務、または性別が不明な場合のみ"),  # the record carries the sex
    (5, 1, "基本4情報または3情報"),
])
def test_linking_needs_a_registry_query_that_found_exactly_one_person(make_case, caseworker, facts, matches,
                                                                       refusal):
    case = make_case(CaseStatus.CONFIRMED)
    with pytest.raises(DomainError, match=refusal):
        operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.LINKED,
                                      linked_number="123456789018", query_facts=facts, query_matches=matches)
    assert case.corrections == []
    # several people matched: the number stays unlinked until the person is identified
    kept = operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                         outcome=CorrectionOutcome.UNLINKED, query_facts=4, query_matches=2)
    assert kept.linked_number is None and kept.query_matches == 2


def test_three_facts_are_enough_when_the_sex_is_not_on_record(make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED, record_sex=None, registry_sex=None)
    correction = operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                               outcome=CorrectionOutcome.LINKED, linked_number="123456789018",
                                               query_facts=3, query_matches=1)
    assert correction.query_facts == 3


def test_only_one_pending_correction(make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    with pytest.raises(DomainError, match="承認待ち"):
        operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                      outcome=CorrectionOutcome.UNLINKED)


def test_correct_without_a_proposed_correction_is_refused(make_case, supervisor):
    case = make_case(CaseStatus.CONFIRMED)
    with pytest.raises(DomainError, match="承認待ちの訂正内容がありません"):
        operations.approve_correction(case, supervisor)
    assert case.status is CaseStatus.CONFIRMED


def test_proposer_cannot_approve_their_own_correction(make_case, make_user, caseworker):
    boss = make_user(Role.SUPERVISOR)
    case = make_case(CaseStatus.CONFIRMED, staff=(boss, boss), pending_correction=True)
    with pytest.raises(PermissionDenied, match="本人は承認できません"):
        operations.approve_correction(case, boss)
    assert case.status is CaseStatus.CONFIRMED


def test_a_caseworker_cannot_approve(make_case, make_user, caseworker):
    other_worker = make_user(Role.CASEWORKER)
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    for actor in (caseworker, other_worker):
        with pytest.raises(PermissionDenied, match="承認者"):
            operations.approve_correction(case, actor)
    assert case.status is CaseStatus.CONFIRMED


def test_another_organisations_supervisor_cannot_approve(make_case, make_user, make_org):
    outsider = make_user(Role.SUPERVISOR, org=make_org())
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    with pytest.raises(PermissionDenied):
        operations.approve_correction(case, outsider)
    assert case.status is CaseStatus.CONFIRMED


def test_approval_by_a_second_person_corrects_the_case(make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    operations.approve_correction(case, supervisor, comment="照会結果を確認")
    correction = case.corrections[-1]
    assert case.status is CaseStatus.CORRECTED
    assert (correction.status, correction.proposed_by_id, correction.decided_by_id) == (
        CorrectionStatus.APPROVED, caseworker.id, supervisor.id)
    # nobody approves twice
    with pytest.raises(DomainError):
        operations.approve_correction(case, supervisor)


def test_returned_correction_cannot_be_approved_until_proposed_again(make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    with pytest.raises(DomainError, match="差戻しの理由"):
        operations.return_correction(case, supervisor, comment="")
    operations.return_correction(case, supervisor, comment="照会した情報の数を記載してください")
    assert case.corrections[-1].status is CorrectionStatus.RETURNED
    with pytest.raises(DomainError, match="承認待ちの訂正内容がありません"):
        operations.approve_correction(case, supervisor)
    operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.LINKED,
                                  linked_number=valid_number(424242), note="4情報で照会し1人に特定",
                                  query_facts=4, query_matches=1)
    operations.approve_correction(case, supervisor)
    assert case.status is CaseStatus.CORRECTED


def test_staff_of_another_organisation_cannot_act(make_case, make_user, make_org):
    outsider = make_user(Role.CASEWORKER, org=make_org())
    case = make_case()
    with pytest.raises(PermissionDenied):
        operations.start_verification(case, outsider)
    assert case.status is CaseStatus.DETECTED


def test_ministry_officer_cannot_change_a_case(make_case, make_user, ministry):
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    case = make_case(CaseStatus.VERIFYING)
    with pytest.raises(PermissionDenied):
        operations.confirm_case(case, officer, cause=Cause.OTHER, cause_other="x",
                                viewed_on_portal=ViewedOnPortal.NO, **IDENTITY)


def test_available_actions_follow_the_machine_and_the_user(make_case, caseworker, supervisor, make_user, ministry):
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    detected = make_case()
    assert operations.available_actions(detected, caseworker) == ["start_verification", "set_viewing"]
    assert operations.available_actions(detected, officer) == []
    pending = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    assert "correct" not in operations.available_actions(pending, caseworker)
    assert {"correct", "return_correction"} <= set(operations.available_actions(pending, supervisor))
    confirmed = make_case(CaseStatus.CONFIRMED)
    assert "propose_correction" in operations.available_actions(confirmed, caseworker)
    assert "correct" not in operations.available_actions(confirmed, supervisor)


def test_viewing_can_be_suspended_and_resumed_with_events(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    operations.set_viewing_suspended(case, caseworker, suspended=True)
    with pytest.raises(DomainError, match="既に"):
        operations.set_viewing_suspended(case, caseworker, suspended=True)
    operations.set_viewing_suspended(case, caseworker, suspended=False, comment="訂正完了")
    assert [e.trigger for e in events_of(case.id)][-2:] == ["suspend_viewing", "resume_viewing"]
