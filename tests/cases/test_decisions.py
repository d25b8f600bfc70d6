"""Decisions a second person checks (dismissals as corrections are), withdrawing one's own proposal,
amendments after the confirmation, and no dead ends for an organisation with one supervisor."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from caseflow.cases import operations, queue
from caseflow.cases.vocabulary import (
    CaseStatus,
    Cause,
    CorrectionOutcome,
    DismissReason,
    FieldVerdict,
    Grade,
    NotificationMethod,
    ProposalKind,
    ProposalStatus,
    ViewedOnPortal,
)
from caseflow.errors import DomainError, PermissionDenied
from caseflow.extensions import db
from caseflow.users.models import Role
from tests.conftest import IDENTITY, events_of, login, post_form

M, N, X = FieldVerdict.MATCH.value, FieldVerdict.NOTATION.value, FieldVerdict.MISMATCH.value


def verdicts(name=M, kana=M, birth_date=M, sex=M, address=M) -> dict:
    return {"name": name, "kana": kana, "birth_date": birth_date, "sex": sex, "address": address}


def _html(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- a dismissal is a proposal a second person approves ------------------------------------------


def test_a_c_grade_dismissal_needs_a_supervisors_approval(make_case, caseworker, supervisor):
    case = make_case(CaseStatus.VERIFYING, grade=Grade.C,
                     field_verdicts=verdicts(name=X, kana=X, address=N))
    dismissal = operations.propose_dismissal(case, caseworker, dismiss_reason=DismissReason.SURNAME_CHANGE,
                                             comment="戸籍の附票で改姓を確認")
    assert case.status is CaseStatus.VERIFYING and case.dismiss_reason is None  # nothing decided yet
    assert case.pending_dismissal is dismissal and dismissal.status is ProposalStatus.PROPOSED
    with pytest.raises(PermissionDenied, match="誤りなしの判断の承認は、.*承認者"):
        operations.approve_dismissal(case, caseworker)
    operations.approve_dismissal(case, supervisor, comment="附票の写しを確認しました")
    assert (case.status, case.dismiss_reason) == (CaseStatus.FALSE, DismissReason.SURNAME_CHANGE)
    assert (dismissal.status, dismissal.proposed_by_id, dismissal.decided_by_id, dismissal.decision_comment) == (
        ProposalStatus.APPROVED, caseworker.id, supervisor.id, "附票の写しを確認しました")
    proposal, decision = events_of(case.id)[-2:]
    assert (proposal.trigger, proposal.actor_id, proposal.to_status, proposal.details["dismiss_reason"]) == (
        "propose_dismissal", caseworker.id, CaseStatus.VERIFYING, "surname_change")
    assert (decision.trigger, decision.actor_id, decision.from_status, decision.to_status) == (
        "dismiss", supervisor.id, CaseStatus.VERIFYING, CaseStatus.FALSE)
    assert decision.details["dismissal_id"] == dismissal.id


@pytest.mark.parametrize("grade", [Grade.A, Grade.B, Grade.C])
def test_every_dismissal_needs_the_approval_whatever_the_grade(make_case, caseworker, grade):
    case = make_case(CaseStatus.VERIFYING, grade=grade, field_verdicts=verdicts(kana=FieldVerdict.MINOR.value))
    operations.propose_dismissal(case, caseworker, dismiss_reason=DismissReason.NOTATION_DIFFERENCE)
    assert case.status is CaseStatus.VERIFYING
    assert "dismiss" not in operations.available_actions(case, caseworker)


@pytest.mark.parametrize(("reason", "found", "refused"), [
    # 「表記の違い」 changes no fact: refused when the name or the birth date (or kana, sex) is a mismatch.
    (DismissReason.NOTATION_DIFFERENCE, verdicts(name=X), "氏名が「不一致」"),
    (DismissReason.NOTATION_DIFFERENCE, verdicts(birth_date=X), "生年月日が「不一致」"),
    (DismissReason.NOTATION_DIFFERENCE, verdicts(name=X, birth_date=X, kana=X), "氏名が「不一致」"),
    (DismissReason.NOTATION_DIFFERENCE, verdicts(sex=X), "性別が「不一致」"),
    (DismissReason.NOTATION_DIFFERENCE, verdicts(kana=FieldVerdict.MINOR.value, address=N), None),
    # 改姓の未届: the name may differ, and the address; never the birth date or the sex.
    (DismissReason.SURNAME_CHANGE, verdicts(name=X, kana=X, birth_date=X), "生年月日が「不一致」"),
    (DismissReason.SURNAME_CHANGE, verdicts(name=X, kana=X, sex=X), "性別が「不一致」"),
    (DismissReason.SURNAME_CHANGE, verdicts(name=X, kana=X, address=X), None),
    # 転居の未届: only the address.
    (DismissReason.UNREPORTED_MOVE, verdicts(name=X, address=X), "氏名が「不一致」"),
    (DismissReason.UNREPORTED_MOVE, verdicts(address=X), None),
    # The agency's own typing error does not make both the name and the birth date another person's.
    (DismissReason.OWN_DATA_ENTRY_ERROR, verdicts(name=X, birth_date=X), "氏名と生年月日が「不一致」"),
    (DismissReason.OWN_DATA_ENTRY_ERROR, verdicts(birth_date=X), None),
    # Other: its text explains, the supervisor reads it.
    (DismissReason.OTHER, verdicts(name=X, kana=X, birth_date=X, sex=X, address=X), None),
])
def test_the_reason_is_checked_against_the_verdicts(make_case, caseworker, reason, found, refused):
    case = make_case(CaseStatus.VERIFYING, field_verdicts=found)
    before = len(events_of(case.id))
    propose = dict(dismiss_reason=reason, dismiss_reason_other="本人に確認" if reason is DismissReason.OTHER else None)
    if refused is None:
        operations.propose_dismissal(case, caseworker, **propose)
        assert case.pending_dismissal.reason is reason
        return
    with pytest.raises(DomainError, match=refused) as refusal:
        operations.propose_dismissal(case, caseworker, **propose)
    assert f"「{reason.label}」とは判断できません" in refusal.value.message
    assert case.dismissals == [] and len(events_of(case.id)) == before


def test_issue_case_98_notation_on_another_persons_data_is_refused_in_the_page(client, make_case, caseworker):
    """Name and birth date both differ (another person): 「表記の違い」 is refused, and nothing changes."""
    case = make_case(CaseStatus.VERIFYING)  # the factory's case: name, kana and birth date mismatch
    login(client, caseworker)
    response = post_form(client, f"/cases/{case.id}/dismissal",
                         {"version": case.version, "dismiss_reason": "notation_difference"})
    assert response.status_code == 422
    assert "照合結果で氏名が「不一致」のため、「表記の違い」とは判断できません。" in _html(response)
    db.session.refresh(case)
    assert case.status is CaseStatus.VERIFYING and case.dismissals == []


def test_a_returned_dismissal_is_proposed_again(make_case, make_user, caseworker, supervisor):
    case = make_case(CaseStatus.VERIFYING, pending_dismissal=True)
    with pytest.raises(DomainError, match="承認待ちの誤りなしの判断が既にあります"):
        operations.propose_dismissal(case, caseworker, dismiss_reason=DismissReason.OTHER, dismiss_reason_other="x")
    with pytest.raises(PermissionDenied):
        operations.return_dismissal(case, caseworker, comment="自分で差戻し")
    with pytest.raises(DomainError, match="差戻しの理由"):
        operations.return_dismissal(case, supervisor, comment="")
    operations.return_dismissal(case, supervisor, comment="住民票の写しで確認してください")
    returned = case.dismissals[-1]
    assert (returned.status, returned.decided_by_id) == (ProposalStatus.RETURNED, supervisor.id)
    assert case.pending_dismissal is None and case.status is CaseStatus.VERIFYING
    with pytest.raises(DomainError, match="承認待ちの誤りなしの判断がありません"):
        operations.approve_dismissal(case, supervisor)
    operations.propose_dismissal(case, caseworker, dismiss_reason=DismissReason.OTHER,
                                 dismiss_reason_other="住民票の写しで本人と確認")
    operations.approve_dismissal(case, supervisor)
    assert case.status is CaseStatus.FALSE
    assert [d.status for d in case.dismissals] == [ProposalStatus.RETURNED, ProposalStatus.APPROVED]
    assert [e.trigger for e in events_of(case.id)][-4:] == [
        "propose_dismissal", "return_dismissal", "propose_dismissal", "dismiss"]


# --- withdrawing one's own proposal ----------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ProposalKind))
def test_only_the_proposer_withdraws_a_pending_proposal_with_a_reason(make_case, make_user, caseworker, supervisor,
                                                                      kind):
    status = CaseStatus.VERIFYING if kind is ProposalKind.DISMISSAL else CaseStatus.CONFIRMED
    case = make_case(status, pending_dismissal=kind is ProposalKind.DISMISSAL,
                     pending_correction=kind is ProposalKind.CORRECTION)
    other_worker = make_user(Role.CASEWORKER)
    action = f"withdraw_{kind.value}"
    assert action in operations.available_actions(case, caseworker)
    assert action not in operations.available_actions(case, supervisor)
    for someone_else in (other_worker, supervisor):
        with pytest.raises(PermissionDenied, match="登録した職員本人のみ"):
            operations.withdraw_proposal(case, someone_else, kind, comment="取下げ")
    with pytest.raises(DomainError, match="取り下げる理由"):
        operations.withdraw_proposal(case, caseworker, kind, comment=" ")
    proposal = case.pending(kind)
    operations.withdraw_proposal(case, caseworker, kind, comment="照会結果の誤読に気づいたため")
    assert (proposal.status, proposal.decided_by_id, proposal.decision_comment) == (
        ProposalStatus.WITHDRAWN, caseworker.id, "照会結果の誤読に気づいたため")
    assert case.status is status and case.pending(kind) is None
    event = events_of(case.id)[-1]
    assert (event.trigger, event.comment, event.from_status, event.to_status) == (
        action, "照会結果の誤読に気づいたため", status, status)
    with pytest.raises(DomainError, match="取り下げられる承認待ち"):
        operations.withdraw_proposal(case, caseworker, kind, comment="もう一度")


# --- amendments after the confirmation --------------------------------------------------------------


def _confirmed_unknown(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    operations.confirm_case(case, caseworker, cause=Cause.MANUAL_TRANSCRIPTION,
                            viewed_on_portal=ViewedOnPortal.UNKNOWN, **IDENTITY)
    return case


def test_viewed_unknown_is_amended_with_its_reason(make_case, caseworker, supervisor):
    case = _confirmed_unknown(make_case, caseworker)
    with pytest.raises(DomainError, match="修正の理由"):
        operations.amend_viewed(case, caseworker, viewed_on_portal=ViewedOnPortal.YES, viewed_what="薬剤情報",
                                comment="")
    with pytest.raises(DomainError, match="閲覧された情報"):
        operations.amend_viewed(case, caseworker, viewed_on_portal=ViewedOnPortal.YES, comment="ログを確認")
    with pytest.raises(DomainError, match="既にその内容"):
        operations.amend_viewed(case, caseworker, viewed_on_portal=ViewedOnPortal.UNKNOWN, comment="ログを確認")
    operations.amend_viewed(case, caseworker, viewed_on_portal=ViewedOnPortal.YES, viewed_what="薬剤情報",
                            viewed_on=dt.date(2024, 5, 1), comment="デジタル庁のアクセスログで閲覧を確認")
    assert (case.viewed_on_portal, case.viewed_what, case.viewed_on) == (
        ViewedOnPortal.YES, "薬剤情報", dt.date(2024, 5, 1))
    event = events_of(case.id)[-1]
    assert (event.trigger, event.comment) == ("amend_viewed", "デジタル庁のアクセスログで閲覧を確認")
    assert event.details == {"previous": {"viewed_on_portal": "unknown", "viewed_what": None, "viewed_on": None},
                             "viewed_on_portal": "yes", "viewed_what": "薬剤情報", "viewed_on": "2024-05-01"}
    assert operations.describe_event(event) == "不明（調査中） → 閲覧あり：薬剤情報（2024-05-01）"
    # あり ↔ なし, corrected again: what and when belong to a viewing only
    operations.amend_viewed(case, supervisor, viewed_on_portal=ViewedOnPortal.NO, viewed_what="残らない",
                            comment="別人のログと取り違えていた")
    assert (case.viewed_on_portal, case.viewed_what, case.viewed_on) == (ViewedOnPortal.NO, None, None)


@pytest.mark.parametrize("status", [CaseStatus.CORRECTED, CaseStatus.NOTIFIED])
def test_amendments_stay_open_until_the_end(make_case, caseworker, status):
    case = make_case(status)
    operations.amend_viewed(case, caseworker, viewed_on_portal=ViewedOnPortal.YES, viewed_what="資格情報",
                            comment="アクセスログで確認")
    operations.amend_cause(case, caseworker, cause=Cause.OTHER, cause_other="窓口での聞き取り誤り",
                           comment="申請時の記録を確認")
    assert case.status is status and (case.viewed_on_portal, case.cause, case.cause_other) == (
        ViewedOnPortal.YES, Cause.OTHER, "窓口での聞き取り誤り")
    event = events_of(case.id)[-1]
    assert event.details["previous"] == {"cause": "family_member_number", "cause_other": None}
    assert operations.describe_event(event) == "家族のマイナンバーの取り違え → その他（窓口での聞き取り誤り）"


@pytest.mark.parametrize("status", [CaseStatus.DETECTED, CaseStatus.VERIFYING, CaseStatus.FALSE])
def test_nothing_to_amend_before_a_confirmation(make_case, caseworker, status):
    case = make_case(status)
    assert not {"amend_viewed", "amend_cause"} & set(operations.available_actions(case, caseworker))
    with pytest.raises(DomainError, match="紐付け誤りと確定した後に修正できます"):
        operations.amend_cause(case, caseworker, cause=Cause.TWO_FACT_QUERY, comment="誤り")
    with pytest.raises(DomainError, match="紐付け誤りと確定した後に修正できます"):
        operations.amend_viewed(case, caseworker, viewed_on_portal=ViewedOnPortal.NO, comment="誤り")


def test_amending_is_for_the_agencys_staff(make_case, make_user, make_org, ministry, caseworker):
    case = make_case(CaseStatus.CONFIRMED)
    for outsider in (make_user(Role.MINISTRY_OFFICER, org=ministry), make_user(Role.CASEWORKER, org=make_org())):
        with pytest.raises(PermissionDenied, match="主な原因の修正は"):
            operations.amend_cause(case, outsider, cause=Cause.TWO_FACT_QUERY, comment="誤り")
    with pytest.raises(DomainError, match="主な原因は既にその内容"):
        operations.amend_cause(case, caseworker, cause=Cause.FAMILY_MEMBER_NUMBER, comment="確認")


def test_an_amended_viewed_status_counts_in_the_reports(client, make_case, caseworker, program):
    """閲覧 不明 → あり amended after the confirmation shows in /reports/ 閲覧された件数."""
    case = _confirmed_unknown(make_case, caseworker)
    viewed_link = f'<a href="/cases/?program={program.id}&amp;outcome=errors&amp;viewed=yes">'
    login(client, caseworker)
    page = client.get("/reports/").get_data(as_text=True)
    assert program.name in page and viewed_link not in page  # 0件: not viewed
    post_form(client, f"/cases/{case.id}/viewed", {"version": case.version, "viewed_on_portal": "yes",
                                                     "viewed_what": "障害者手帳の情報", "viewed_on": "2024-05-01",
                                                     "comment": "アクセスログで閲覧を確認"})
    db.session.refresh(case)
    assert case.viewed_on_portal is ViewedOnPortal.YES
    page = client.get("/reports/").get_data(as_text=True)
    assert re.search(re.escape(viewed_link) + r"1件</a>", page), "the amended case is not counted as viewed"
    listed = client.get(f"/cases/?program={program.id}&outcome=errors&viewed=yes").get_data(as_text=True)
    assert case.reference in listed


# --- the pages -------------------------------------------------------------------------------------


def test_proposal_and_decision_through_the_pages(client, make_case, caseworker, supervisor):
    case = make_case(CaseStatus.VERIFYING, field_verdicts=verdicts(address=X))
    login(client, caseworker)
    page = _html(client.get(f"/cases/{case.id}"))
    assert "誤りなしの判断を登録" in page and "誤りなしの判断を承認" not in page
    response = post_form(client, f"/cases/{case.id}/dismissal", {
        "version": case.version, "dismiss_reason": "unreported_move", "comment": "転出届の未提出を本人に確認"})
    assert response.status_code == 302
    page = _html(client.get(f"/cases/{case.id}"))
    assert "承認者の承認を待っています" in page and "誤りなしの判断の取下げ" in page
    assert "誤りなしの判断を登録（承認待ち）" in page and "理由：転居の未届" in page  # the timeline
    post_form(client, "/logout", {})

    login(client, supervisor)
    page = _html(client.get(f"/cases/{case.id}"))
    assert f"{caseworker.display_name} さんが登録した誤りなしの判断（転居の未届）を承認します" in page
    assert "差し戻す" in page
    supervision = _html(client.get("/cases/supervision"))
    assert case.reference in supervision and "誤りなしの判断：転居の未届" in supervision
    db.session.refresh(case)
    response = post_form(client, f"/cases/{case.id}/transitions/dismiss", {"version": case.version, "comment": "確認"})
    assert response.status_code == 302
    page = _html(client.get(f"/cases/{case.id}"))
    assert "「誤りなしの判断を承認」を記録しました" in page
    assert re.search(r"<strong>誤りなしの判断を承認</strong>\s*（確認中 → 誤りなし）", page)  # the timeline
    db.session.refresh(case)
    assert case.status is CaseStatus.FALSE


def test_amendment_forms_on_the_page(client, make_case, caseworker):
    case = _confirmed_unknown(make_case, caseworker)
    login(client, caseworker)
    page = _html(client.get(f"/cases/{case.id}"))
    assert "マイナポータルでの閲覧の有無の修正" in page and "主な原因の修正" in page
    response = post_form(client, f"/cases/{case.id}/cause", {"version": case.version, "cause": "two_fact_query"})
    assert response.status_code == 422 and "修正の理由を記入してください" in _html(response)
    response = post_form(client, f"/cases/{case.id}/cause", {"version": case.version, "cause": "two_fact_query",
                                                              "comment": "照会記録を確認"})
    assert response.status_code == 302
    page = _html(client.get(f"/cases/{case.id}"))
    assert "主な原因を修正" in page and "手作業による転記誤り → 2情報での住基照会で複数人が該当（同姓同名等）" in page


# --- no dead ends: an organisation with one supervisor ----------------------------------------------


def test_one_supervisor_organisation_can_finish_every_case(make_org, make_user, make_case):
    """One supervisor and one caseworker take cases through every status: the supervisor's own proposal
    is withdrawn and proposed again by the caseworker, a returned proposal, a dismissal proposed and
    approved, a confirmation reopened."""
    org = make_org(name="一人承認市")
    boss = make_user(Role.SUPERVISOR, org=org, name="唯一 承認者")
    worker = make_user(Role.CASEWORKER, org=org, name="担当 一人")
    staff = (worker, boss)

    # Dismissal: proposed by the supervisor, who cannot approve it; withdrawn; proposed by the
    # caseworker, returned, proposed again and approved.
    dismissed = make_case(CaseStatus.VERIFYING, agency_=org, staff=staff, field_verdicts=verdicts(address=X))
    operations.propose_dismissal(dismissed, boss, dismiss_reason=DismissReason.UNREPORTED_MOVE)
    assert "dismiss" not in operations.available_actions(dismissed, boss)
    assert "withdraw_dismissal" in operations.available_actions(dismissed, boss)
    with pytest.raises(PermissionDenied, match="本人は承認できません"):
        operations.approve_dismissal(dismissed, boss)
    operations.withdraw_proposal(dismissed, boss, ProposalKind.DISMISSAL, comment="担当職員の確認を経るため")
    operations.propose_dismissal(dismissed, worker, dismiss_reason=DismissReason.UNREPORTED_MOVE)
    operations.return_dismissal(dismissed, boss, comment="転出先を記入してください")
    operations.propose_dismissal(dismissed, worker, dismiss_reason=DismissReason.UNREPORTED_MOVE,
                                 comment="転出先：弘前市")
    operations.approve_dismissal(dismissed, boss)
    assert dismissed.status is CaseStatus.FALSE
    # … and back into verification, then confirmed.
    operations.reopen_case(dismissed, worker, comment="本人から別人との申出")
    assert dismissed.status is CaseStatus.VERIFYING

    # A confirmation reopened by the supervisor, confirmed again.
    operations.confirm_case(dismissed, worker, cause=Cause.ADJACENT_CASE_SWAP,
                            viewed_on_portal=ViewedOnPortal.UNKNOWN, **IDENTITY)
    operations.reopen_confirmation(dismissed, boss, comment="本人確認の書類を取り違えていた")
    assert dismissed.status is CaseStatus.VERIFYING
    operations.confirm_case(dismissed, worker, cause=Cause.FAMILY_MEMBER_NUMBER,
                            viewed_on_portal=ViewedOnPortal.UNKNOWN, **IDENTITY)

    # Correction: the supervisor's own proposal is withdrawn and proposed again by the caseworker;
    # a proposal returned; then approved. No one else in the organisation could have approved it.
    case = dismissed
    operations.propose_correction(case, boss, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED)
    assert queue.approvals_waiting(db.session, boss) == [case]
    with pytest.raises(PermissionDenied, match="本人は承認できません"):
        operations.approve_correction(case, boss)
    with pytest.raises(PermissionDenied, match="本人は差戻しできません"):
        operations.return_correction(case, boss, comment="自分で")
    with pytest.raises(DomainError, match="承認待ちの訂正内容が既にあります"):
        operations.propose_correction(case, worker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED)
    operations.withdraw_proposal(case, boss, ProposalKind.CORRECTION, comment="担当職員が登録し直すため")
    operations.propose_correction(case, worker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED)
    operations.return_correction(case, boss, comment="照会の記録を備考に書いてください")
    operations.propose_correction(case, worker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED,
                                  note="基本4情報で照会し3人が該当、本人特定まで保留")
    operations.amend_viewed(case, worker, viewed_on_portal=ViewedOnPortal.NO, comment="アクセスログで閲覧なしを確認")
    operations.approve_correction(case, boss)
    assert case.status is CaseStatus.CORRECTED
    operations.amend_cause(case, worker, cause=Cause.ADJACENT_CASE_SWAP, comment="入力記録を確認")
    operations.notify_case(case, worker, notified_on=dt.date.today(), notification_method=NotificationMethod.MAIL)
    assert case.status is CaseStatus.NOTIFIED

    visited = [(e.from_status, e.to_status) for e in events_of(case.id) if e.from_status != e.to_status]
    assert {status for pair in visited for status in pair if status} == set(CaseStatus)
    assert [e.trigger for e in events_of(case.id)].count("withdraw_correction") == 1
    assert [c.status for c in case.corrections] == [ProposalStatus.WITHDRAWN, ProposalStatus.RETURNED,
                                                   ProposalStatus.APPROVED]
    assert [d.status for d in case.dismissals] == [ProposalStatus.WITHDRAWN, ProposalStatus.RETURNED,
                                                  ProposalStatus.APPROVED]
    assert queue.approvals_waiting(db.session, boss) == []
