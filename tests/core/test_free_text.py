"""A My Number typed into free text is masked before it is stored, on pages, the API and in operations.

Finding 1 of the sweep: 「本人の番号は 123456789018 です」 typed as a comment was stored, and shown on
the case page, in full.
"""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.cases import filters as saved_filters
from caseflow.cases import operations
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome
from caseflow.core.free_text import MASKED_MESSAGE, NOTICE_HEADER, NOTICE_MASKED
from caseflow.core.mynumber import is_valid_number
from caseflow.extensions import db
from caseflow.routing.models import InboxItem, Referral
from caseflow.routing.operations import refer_case
from caseflow.users.models import Role
from tests.conftest import login, post_form

TYPED = "123456789018"
MASKED = "●●●●●●●●9018"


def stored(sql: str, **params) -> list:
    """Values as the database holds them (read with SQL, past the ORM)."""
    return list(db.session.execute(sa.text(sql), params).scalars())


def test_the_typed_number_is_a_valid_my_number():
    assert is_valid_number(TYPED)


def test_a_comment_on_the_page_is_stored_masked_and_the_user_is_told(client, make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    response = post_form(client, f"/cases/{case.id}/comments", {"comment": f"本人の番号は {TYPED} です"},
                         token_from=f"/cases/{case.id}")
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert TYPED not in page
    assert f"本人の番号は {MASKED} です" in page
    assert MASKED_MESSAGE in page
    assert stored("SELECT comment FROM case_events WHERE case_id = :id AND trigger = 'comment'", id=case.id) \
        == [f"本人の番号は {MASKED} です"]
    # The notice is said once, not on every page after.
    assert MASKED_MESSAGE not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_comment_through_the_api_is_stored_masked_and_the_answer_says_so(api_as, make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    call = api_as(caseworker)
    response = call("POST", f"/api/v1/cases/{case.id}/comments", {"comment": f"番号 {TYPED}"})
    assert response.status_code == 200, response.json
    assert response.headers[NOTICE_HEADER] == NOTICE_MASKED
    assert TYPED not in response.get_data(as_text=True)
    assert any(event["comment"] == f"番号 {MASKED}" for event in response.json["events"])
    assert stored("SELECT comment FROM case_events WHERE case_id = :id AND trigger = 'comment'", id=case.id) \
        == [f"番号 {MASKED}"]
    page = call("GET", f"/api/v1/cases/{case.id}")
    assert NOTICE_HEADER not in page.headers


def test_written_with_hyphens_spaces_or_full_width_digits(make_case, caseworker, supervisor):
    case = make_case(CaseStatus.CONFIRMED)
    operations.add_comment(case, caseworker, comment="ハイフン 1234-5678-9018 / 空白 1234 5678 9018")
    operations.add_comment(case, caseworker, comment="全角 １２３４５６７８９０１８")
    operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=CorrectionOutcome.UNLINKED,
                                  note=f"旧番号{TYPED}を削除")
    db.session.flush()
    comments = stored("SELECT comment FROM case_events WHERE case_id = :id AND trigger = 'comment' ORDER BY id",
                      id=case.id)
    assert comments == [f"ハイフン {MASKED} / 空白 {MASKED}", f"全角 {MASKED}"]
    assert stored("SELECT note FROM corrections WHERE case_id = :id", id=case.id) == [f"旧番号{MASKED}を削除"]


def test_numbers_that_are_not_my_numbers_stay_as_written(make_case, caseworker):
    case = make_case(CaseStatus.VERIFYING)
    text = "電話 017-734-1111、口座 1234567、管理番号 123456789012（検査用数字が合わない）"
    assert not is_valid_number("123456789012")
    operations.add_comment(case, caseworker, comment=text)
    db.session.flush()
    assert stored("SELECT comment FROM case_events WHERE case_id = :id AND trigger = 'comment'", id=case.id) == [text]


def test_a_referral_question_and_the_inbox_item_are_masked(make_case, caseworker, program):
    case = make_case(CaseStatus.VERIFYING)
    ministry = program.ministry
    # The question is long enough that the inbox's 60-character summary would cut it.
    question = "照会します。" + "本人の申出によると" * 5 + " 1234-5678-9018 の方の件です。"
    refer_case(caseworker, case, to=ministry, question=question)
    db.session.flush()
    assert "9018" in stored("SELECT question FROM referrals WHERE case_id = :id", id=case.id)[0]
    assert all("1234" not in q and "5678" not in q
               for q in stored("SELECT question FROM referrals WHERE case_id = :id", id=case.id))
    messages = stored("SELECT message FROM inbox_items WHERE case_id = :id", id=case.id)
    assert messages and not any("5678" in message for message in messages)
    assert db.session.scalars(sa.select(Referral.question)).all()  # the ORM reads what is stored
    assert all("5678" not in item.message for item in db.session.scalars(sa.select(InboxItem)))


def test_a_saved_filter_name_is_masked(make_case, caseworker):
    saved = saved_filters.save_filter(db.session, caseworker, name=f"{TYPED}の件", query="status=verifying")
    db.session.flush()
    assert saved.name == f"{MASKED}の件"
    assert stored("SELECT name FROM saved_filters WHERE id = :id", id=saved.id) == [f"{MASKED}の件"]


def test_pages_mask_a_number_stored_before_the_guard(client, make_case, caseworker, make_user, program):
    """Output masking stays as the second line: a number already in the database is not shown whole."""
    case = make_case(CaseStatus.VERIFYING)
    event = operations.add_comment(case, caseworker, comment="あとで書き換えます")
    db.session.flush()
    # As a row written before this version would be: straight into the table, past the guard.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("ALTER TABLE case_events DISABLE TRIGGER trg_case_events_append_only"))
    else:
        db.session.execute(sa.text("DROP TRIGGER trg_case_events_no_update"))
    db.session.execute(sa.text("UPDATE case_events SET comment = :c WHERE id = :id"),
                       {"c": f"古い記録 {TYPED}", "id": event.id})
    db.session.expire_all()
    officer = make_user(Role.MINISTRY_OFFICER, org=program.ministry)
    for user in (caseworker, officer):
        browser = client.application.test_client()
        login(browser, user)
        page = browser.get(f"/cases/{case.id}").get_data(as_text=True)
        assert f"古い記録 {MASKED}" in page and TYPED not in page
