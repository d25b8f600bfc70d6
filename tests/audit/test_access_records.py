"""Access records: a full My Number is shown only with a purpose, recorded, and the records are tamper-evident."""

from __future__ import annotations

import sqlalchemy as sa

from caseflow.audit.models import AccessRecord
from caseflow.audit.operations import append_record, verify_chain
from caseflow.cases import kernel
from caseflow.cases.vocabulary import CaseStatus, Grade
from caseflow.cli import main
from caseflow.extensions import db
from caseflow.organizations.models import OrganizationKind
from caseflow.users.models import Role
from tests.conftest import login, post_form


def _records() -> list[AccessRecord]:
    return db.session.scalars(sa.select(AccessRecord).order_by(AccessRecord.position)).all()


def test_a_caseworker_sees_the_full_number_with_a_purpose_and_it_is_recorded(make_case, caseworker, client):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.registered_number not in page and case.masked_number in page
    response = post_form(client, f"/cases/{case.id}/number", {"purpose": "住基ネットへの照会のため"},
                         token_from=f"/cases/{case.id}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert case.registered_number in response.get_data(as_text=True)
    assert case.registered_number not in response.request.path
    [record] = _records()
    assert (record.user_id, record.case_id, record.what, record.purpose) == (
        caseworker.id, case.id, "my_number", "住基ネットへの照会のため")
    assert record.remote_addr == "127.0.0.1" and record.position == 1
    assert verify_chain(db.session).ok


def test_no_purpose_no_number(make_case, caseworker, client):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    response = post_form(client, f"/cases/{case.id}/number", {"purpose": "  "}, token_from=f"/cases/{case.id}")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "目的を入力してください" in page and case.registered_number not in page
    assert _records() == []


def test_a_ministry_officer_may_not_see_the_full_number(make_case, make_org, make_user, ministry, client):
    case = make_case(CaseStatus.VERIFYING)
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    login(client, officer)
    response = post_form(client, f"/cases/{case.id}/number", {"purpose": "確認"}, token_from=f"/cases/{case.id}")
    assert response.status_code == 403 and case.registered_number not in response.get_data(as_text=True)
    other = make_user(Role.CASEWORKER, org=make_org(OrganizationKind.LINKING_AGENCY, "別市"))
    client = client.application.test_client()
    login(client, other)
    response = post_form(client, f"/cases/{case.id}/number", {"purpose": "確認"})
    assert response.status_code == 404
    assert _records() == []


def _tamper(statement: str) -> None:
    """What only someone with the database owner's rights could do: lift the append-only triggers."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ALTER TABLE access_records DISABLE TRIGGER trg_access_records_append_only")
        else:
            conn.exec_driver_sql("DROP TRIGGER trg_access_records_no_update")
            conn.exec_driver_sql("DROP TRIGGER trg_access_records_no_delete")
        conn.exec_driver_sql(statement)


def _three_records(committed_app, make_case_committed):
    with committed_app.app_context():
        case, user = make_case_committed()
        for purpose in ("照会のため", "本人確認のため", "訂正のため"):
            append_record(db.session, user, case, what="my_number", purpose=purpose, remote_addr="10.0.0.5")
        db.session.commit()


def _committed_case():
    from caseflow.organizations.models import Organization, Program
    from caseflow.users.operations import create_user

    def make():
        ministry = Organization(code="m-audit", name="監査省", kind=OrganizationKind.MINISTRY)
        agency = Organization(code="a-audit", name="監査市", kind=OrganizationKind.LINKING_AGENCY)
        db.session.add_all([ministry, agency])
        db.session.flush()
        program = Program(name="監査の事務", code="audit", ministry_id=ministry.id)
        db.session.add(program)
        user = create_user(db.session, login="auditor-cw", display_name="監査 太郎", organization=agency,
                           roles={Role.CASEWORKER}, password="correct horse battery")
        case = kernel.open_case(db.session, program=program, agency=agency, source_record_id="A1",
                                    registered_number="123456789018", grade=Grade.C, field_verdicts={})
        return case, user

    return make


def test_the_records_cannot_be_changed_and_verify_finds_an_edited_row(committed_app):
    _three_records(committed_app, _committed_case())
    runner = committed_app.test_cli_runner()
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 0 and "3件を検証しました" in result.output
    with committed_app.app_context():
        try:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE access_records SET purpose = '私用' WHERE position = 2")
            raise AssertionError("an UPDATE of an access record went through")
        except sa.exc.DBAPIError as exc:
            assert "append-only" in str(exc)
        _tamper("UPDATE access_records SET purpose = '私用' WHERE position = 2")
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "2番目の記録 — 記録の内容が書き換えられています" in result.output


def test_verify_finds_a_removed_row(committed_app):
    _three_records(committed_app, _committed_case())
    with committed_app.app_context():
        _tamper("DELETE FROM access_records WHERE position = 3")
    result = committed_app.test_cli_runner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 1 and "3番目の記録 — 最後の記録が削除されています" in result.output


def test_export_for_an_audit_holds_no_number(committed_app, tmp_path):
    _three_records(committed_app, _committed_case())
    out = tmp_path / "access.csv"
    result = committed_app.test_cli_runner().invoke(main, ["audit", "export", "--out", str(out)])
    assert result.exit_code == 0 and "3件" in result.output
    text = out.read_text(encoding="utf-8-sig")
    assert "本人確認のため" in text and "auditor-cw" in text and "10.0.0.5" in text
    assert "123456789018" not in text
