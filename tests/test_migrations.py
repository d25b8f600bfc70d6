"""Migrations go up, down and up again, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from caseflow.db import Base, make_engine
from tests.backends import downgrade, migrate

TABLES = {"organizations", "programs", "users", "user_roles", "cases", "case_events", "corrections", "jobs",
          "inspection_batches", "letters", "document_number_sequences", "print_runs", "print_run_letters",
          "referrals", "inbox_items", "saved_filters", "api_tokens", "published_figures",
          "report_snapshots", "access_records", "access_chain_head", "disposals", "evidence", "dismissals",
          "recipients", "case_search_keys", "admin_changes", "admin_chain_head", "intake_serials",
          "surveys", "survey_programs", "survey_respondents", "survey_attachments", "obligation_rule_tables",
          "inspection_obligations", "case_states", "published_agency_figures", "published_notes",
          "published_grades", "published_trial_lines", "reference_stamps"}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(backend):
    url = backend.new_empty()
    migrate(url)
    assert _tables(url) == TABLES
    downgrade(url, "base")
    assert _tables(url) == set()
    migrate(url)
    assert _tables(url) == TABLES
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "models and migrations disagree; add a migration"


# The tables of the first migration: whatever later migrations add and take away around them,
# going down to 0001 and up again keeps their rows.
CORE_QUERY = {
    "cases": "SELECT id, status, grade, source_record_id, agency_id, program_id, version FROM cases ORDER BY id",
    "case_events": "SELECT id, case_id, trigger, from_status, to_status FROM case_events ORDER BY id",
    "corrections": "SELECT id, case_id, status, outcome FROM corrections ORDER BY id",
    "users": "SELECT id, login FROM users ORDER BY id",
}


def _rows(url: str) -> dict[str, list]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {table: [tuple(row) for row in conn.execute(sa.text(query))] for table, query in CORE_QUERY.items()}
    finally:
        engine.dispose()


def _as_in_0001(rows: dict[str, list]) -> dict[str, list]:
    """What the first schema can hold of ``rows``: it knows no account deletion (0019), which reads 紐付けなし
    there; it comes back when going up again."""
    outcome = {"account_deleted": "unlinked"}
    return rows | {"corrections": [(i, case, status, outcome.get(o, o)) for i, case, status, o in rows["corrections"]]}


def test_down_to_the_first_migration_and_up_again_with_data_in_the_tables(committed_app):
    """The demo data set (cases in every status, events, corrections, letters, a batch) survives."""
    from caseflow.cases.models import Case
    from caseflow.extensions import db
    from caseflow.seeding import load_demo

    url = committed_app.config["DATABASE_URL"]
    with committed_app.app_context():
        load_demo(db.session)
        db.session.commit()
        kinds = dict(db.session.execute(sa.select(Case.id, Case.birth_or_sex_mismatch)).all())
        numbers = dict(db.session.execute(sa.select(Case.id, Case.registered_number)).all())
        db.session.remove()
        db.engine.dispose()
    before = _rows(url)
    assert len(before["cases"]) >= 200 and before["corrections"]
    downgrade(url, "0001_initial")
    assert _rows(url) == _as_in_0001(before)
    migrate(url)
    assert _rows(url) == before
    with committed_app.app_context():
        assert dict(db.session.execute(sa.select(Case.id, Case.birth_or_sex_mismatch)).all()) == kinds
        assert dict(db.session.execute(sa.select(Case.id, Case.registered_number)).all()) == numbers
        db.session.remove()


def test_0015_masks_numbers_typed_before_the_guard(backend):
    """Free text stored before the guard existed (comments, notes, questions …) is masked by the migration."""
    url = backend.new_empty()
    migrate(url, "0014_case_list_indexes")
    engine = make_engine(url)
    typed, masked = "本人の番号は 1234-5678-9018 です", "本人の番号は ●●●●●●●●9018 です"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organizations (id, code, name, kind, prefecture) "
                                 "VALUES (1, 'M1', '省', 'ministry', '東京都'), (2, 'A1', '市', 'linking_agency', '青森県')"))
            conn.execute(sa.text("INSERT INTO programs (id, name, ministry_id) VALUES (1, '事務', 1)"))
            conn.execute(sa.text(
                "INSERT INTO cases (id, version, program_id, agency_id, source_record_id, registered_number, "
                "registered_number_digest, grade, field_verdicts, status, detected_at, updated_at, cause_other, "
                "birth_or_sex_mismatch, viewing_suspended) VALUES (1, 1, 1, 2, 'R1', 'v1:x:y', 'd', 'C', '{}', "
                "'confirmed', '2024-01-01', '2024-01-01', :typed, false, false)"), {"typed": typed})
            conn.execute(sa.text(
                "INSERT INTO case_events (id, case_id, created_at, trigger, comment, details) VALUES "
                "(1, 1, '2024-01-01', 'comment', :typed, :details)"),
                {"typed": typed, "details": '{"viewed_what": "1234 5678 9018 の情報", "grade": "C"}'})
        migrate(url)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT cause_other FROM cases")).scalar() == masked
            assert conn.execute(sa.text("SELECT comment FROM case_events")).scalar() == masked
            details = conn.execute(sa.select(sa.column("details", sa.JSON)).select_from(sa.table("case_events"))).scalar()
            assert details == {"viewed_what": "●●●●●●●●9018 の情報", "grade": "C"}
        # case_events is append-only again once the migration is done.
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("UPDATE case_events SET comment = 'x'"))
    finally:
        engine.dispose()


def test_0017_moves_each_case_recipient_to_its_party_and_back(backend):
    """The one recipient of a case goes to the party its letters were for; a holder notice survives
    the way down (as an apology) and up again; programs get their holder-notice flag."""
    url = backend.new_empty()
    migrate(url, "0016_retention")
    engine = make_engine(url)
    case_sql = (
        "INSERT INTO cases (id, version, program_id, agency_id, source_record_id, registered_number, "
        "registered_number_digest, grade, field_verdicts, status, detected_at, updated_at, birth_or_sex_mismatch, "
        "viewing_suspended, recipient_name, recipient_postal_code, recipient_address) VALUES (:id, 1, :program, 2, "
        ":source, 'v1:x:y', 'd', 'C', '{}', 'notified', '2024-01-01', '2024-01-01', false, false, :name, "
        "'030-0801', '青森県青森市新町一丁目1番1号')")
    letter_sql = (
        "INSERT INTO letters (id, case_id, organization_id, kind, status, fiscal_year, serial, document_number, "
        "issued_on, issued_at, issued_by_id, snapshot, pdf, sha256, pages, postal_code, reprints) VALUES "
        "(:id, :case, 2, :kind, :status, 2024, :id, :number, '2024-06-01', '2024-06-01', 1, :snapshot, :pdf, "
        "'0', 1, '030-0801', 0)")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organizations (id, code, name, kind, prefecture) VALUES "
                                 "(1, 'M1', '省', 'ministry', '東京都'), (2, 'A1', '市', 'linking_agency', '青森県')"))
            conn.execute(sa.text("INSERT INTO programs (id, name, code, ministry_id) VALUES "
                                 "(1, '生活保護情報', 'public-assistance', 1), (2, '公金受取口座情報', "
                                 "'public-fund-account', 1), (3, '独自事務', NULL, 1)"))
            conn.execute(sa.text("INSERT INTO users (id, login, display_name, organization_id, password_hash, active, "
                                 "created_at, failed_logins) VALUES (1, 'w', '担当', 2, 'x', true, '2024-01-01', 0)"))
            for case_id, program, name in ((1, 1, "本人　一郎"), (2, 2, "保有　二郎"), (3, 1, "本人　三郎"),
                                           (4, 2, "本人　四郎")):
                conn.execute(sa.text(case_sql), {"id": case_id, "program": program, "source": f"R{case_id}",
                                                 "name": name})
            # 1: an apology; 2: a bank-account request (the holder's); 3: no letter;
            # 4: a voided bank-account request and a valid apology (the record's person's)
            for letter_id, case_id, kind, status in ((1, 1, "apology", "issued"), (2, 2, "bank_account", "issued"),
                                                     (3, 4, "bank_account", "voided"), (4, 4, "apology", "issued")):
                conn.execute(sa.text(letter_sql), {"id": letter_id, "case": case_id, "kind": kind, "status": status,
                                                   "number": f"第{letter_id}号", "pdf": b"%PDF",
                                                   "snapshot": json.dumps({"kind": kind})})
        migrate(url, "0017_parties_recipients")
        recipients = sa.text("SELECT case_id, party, name, postal_code FROM recipients ORDER BY case_id, party")
        with engine.begin() as conn:
            assert conn.execute(recipients).all() == [
                (1, "record_person", "本人　一郎", "030-0801"), (2, "number_holder", "保有　二郎", "030-0801"),
                (3, "record_person", "本人　三郎", "030-0801"), (4, "record_person", "本人　四郎", "030-0801")]
            assert conn.execute(sa.text("SELECT id, party FROM letters ORDER BY id")).all() == [
                (1, "record_person"), (2, "number_holder"), (3, "number_holder"), (4, "record_person")]
            assert dict(conn.execute(sa.text("SELECT code, holder_notice FROM programs")).all()) == {
                "public-assistance": True, "public-fund-account": False, None: True}
            # The new schema: a second recipient and a holder notice for case 1.
            conn.execute(sa.text("INSERT INTO recipients (case_id, party, name, postal_code, address, updated_at) "
                                 "VALUES (1, 'number_holder', '保有　五郎', '036-8364', '青森県弘前市大字新町1番地', "
                                 "'2024-06-02')"))
            conn.execute(sa.text(letter_sql.replace("postal_code, reprints)", "postal_code, reprints, party)")
                                 .replace("'030-0801', 0)", "'036-8364', 0, 'number_holder')")),
                {"id": 5, "case": 1, "kind": "holder_notice", "status": "issued", "number": "第5号", "pdf": b"%PDF",
                 "snapshot": json.dumps({"kind": "holder_notice", "party": "number_holder"})})
            # one valid letter per case, kind and party
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(sa.text(letter_sql.replace("postal_code, reprints)", "postal_code, reprints, party)")
                                     .replace("'030-0801', 0)", "'030-0801', 0, 'record_person')")),
                             {"id": 6, "case": 1, "kind": "apology", "status": "issued", "number": "第6号",
                              "pdf": b"%PDF", "snapshot": "{}"})

        downgrade(url, "0016_retention")
        with engine.begin() as conn:
            # the record's person's recipient comes back on case 1; the holder's on case 2
            assert conn.execute(sa.text("SELECT id, recipient_name FROM cases ORDER BY id")).all() == [
                (1, "本人　一郎"), (2, "保有　二郎"), (3, "本人　三郎"), (4, "本人　四郎")]
            assert conn.execute(sa.text("SELECT kind FROM letters WHERE id = 5")).scalar() == "apology"

        migrate(url, "0017_parties_recipients")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT id, kind, party FROM letters ORDER BY id")).all() == [
                (1, "apology", "record_person"), (2, "bank_account", "number_holder"),
                (3, "bank_account", "number_holder"), (4, "apology", "record_person"),
                (5, "holder_notice", "number_holder")]
            assert conn.execute(recipients).all()[0] == (1, "record_person", "本人　一郎", "030-0801")
    finally:
        engine.dispose()


def test_0018_records_past_dismissals_and_goes_back_with_withdrawals(backend):
    """Each case already dismissed gets an approved dismissal from its dismiss event (the dismisser as
    proposer and decider); going down, a withdrawn correction is kept as returned, and up again works."""
    url = backend.new_empty()
    migrate(url, "0017_parties_recipients")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organizations (id, code, name, kind, prefecture) VALUES "
                                 "(1, 'M1', '省', 'ministry', '東京都'), (2, 'A1', '市', 'linking_agency', '青森県')"))
            conn.execute(sa.text("INSERT INTO programs (id, name, ministry_id) VALUES (1, '事務', 1)"))
            conn.execute(sa.text("INSERT INTO users (id, login, display_name, organization_id, password_hash, active, "
                                 "created_at, failed_logins) VALUES (1, 'w', '担当', 2, 'x', true, '2024-01-01', 0)"))
            for case_id, status, reason in ((1, "false", "surname_change"), (2, "confirmed", None)):
                conn.execute(sa.text(
                    "INSERT INTO cases (id, version, program_id, agency_id, source_record_id, registered_number, "
                    "registered_number_digest, grade, field_verdicts, status, detected_at, updated_at, dismiss_reason, "
                    "birth_or_sex_mismatch, viewing_suspended) VALUES (:id, 1, 1, 2, :source, 'v1:x:y', 'd', 'C', "
                    "'{}', :status, '2024-01-01', '2024-01-02', :reason, false, false)"),
                    {"id": case_id, "source": f"R{case_id}", "status": status, "reason": reason})
            conn.execute(sa.text("INSERT INTO case_events (case_id, actor_id, created_at, trigger, from_status, "
                                 "to_status, comment, details) VALUES (1, 1, '2024-01-03', 'dismiss', 'verifying', "
                                 "'false', '戸籍の附票で確認', '{}')"))
            conn.execute(sa.text("INSERT INTO corrections (id, case_id, status, wrong_number_removed, outcome, "
                                 "proposed_by_id, proposed_at) VALUES (1, 2, 'proposed', true, 'unlinked', 1, "
                                 "'2024-01-04')"))
        migrate(url, "0018_decisions")
        dismissals = sa.text("SELECT case_id, status, reason, note, proposed_by_id, decided_by_id FROM dismissals")
        with engine.begin() as conn:
            assert conn.execute(dismissals).all() == [(1, "approved", "surname_change", "戸籍の附票で確認", 1, 1)]
            conn.execute(sa.text("UPDATE corrections SET status = 'withdrawn', decided_by_id = 1"))
            conn.execute(sa.text("UPDATE cases SET identity_method = 'resident_record', "
                                 "identity_verified_on = '2024-01-02', identity_verified_by_id = 1 WHERE id = 2"))
        downgrade(url, "0017_parties_recipients")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT status FROM corrections")).scalar() == "returned"
            assert conn.execute(sa.text("SELECT dismiss_reason FROM cases WHERE id = 1")).scalar() == "surname_change"
        migrate(url, "0018_decisions")
        with engine.begin() as conn:
            assert len(conn.execute(dismissals).all()) == 1
    finally:
        engine.dispose()


def test_0022_fills_the_search_keys_and_keeps_the_searches_that_found_nothing(backend):
    """Existing cases get their search keys (the holder's encrypted name decrypted for it); going down drops
    the keys, but an access record of a search that found nothing stays (append-only, chained)."""
    from caseflow.cases.search import digest
    from caseflow.crypto.keys import current_keyring
    from caseflow.crypto.types import seal

    url = backend.new_empty()
    migrate(url, "0018_decisions")  # the rows as an earlier schema holds them; later migrations fill the rest
    engine = make_engine(url)
    keyring = current_keyring()
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organizations (id, code, name, kind, prefecture) "
                                 "VALUES (1, 'M1', '省', 'ministry', '東京都'), (2, 'A1', '市', 'linking_agency', '青森県')"))
            conn.execute(sa.text("INSERT INTO programs (id, name, ministry_id) VALUES (1, '事務', 1)"))
            conn.execute(sa.text("INSERT INTO users (id, login, display_name, organization_id, password_hash, active, "
                                 "created_at, failed_logins) VALUES (1, 'w', '担当', 2, 'x', true, '2024-01-01', 0)"))
            conn.execute(sa.text(
                "INSERT INTO cases (id, version, program_id, agency_id, source_record_id, registered_number, "
                "registered_number_digest, record_name, record_birth_date, registry_name, grade, field_verdicts, "
                "status, detected_at, updated_at, birth_or_sex_mismatch, viewing_suspended) VALUES (1, 1, 1, 2, 'R1', "
                "'v1:x:y', 'd', '髙橋　一郎', '2001-02-03', :holder, 'C', '{}', 'detected', '2024-01-01', "
                "'2024-01-01', false, false)"), {"holder": seal("鈴木　次郎", "cases.registry_name", keyring)})
        migrate(url, "0021_intake")
        migrate(url, "0022_search")
        with engine.begin() as conn:
            keys = dict(conn.execute(sa.text("SELECT digest, kind FROM case_search_keys WHERE case_id = 1")).all())
            assert keys[digest("name", "高橋一郎", keyring)] == "name"
            assert keys[digest("family_name", "鈴木", keyring)] == "family_name"
            assert keys[digest("birth_date", "2001-02-03", keyring)] == "birth_date"
            conn.execute(sa.text("INSERT INTO access_records (position, occurred_at, user_id, case_id, what, purpose, "
                                 "previous_hash, row_hash) VALUES (1, '2024-01-02', 1, NULL, 'number_search', "
                                 "'照会', :genesis, 'h1')"), {"genesis": "0" * 64})
        downgrade(url, "0021_intake")
        with engine.begin() as conn:
            assert "case_search_keys" not in sa.inspect(conn).get_table_names()
            assert conn.execute(sa.text("SELECT case_id, what FROM access_records")).all() == [(None, "number_search")]
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("UPDATE access_records SET purpose = 'x'"))
        migrate(url)
    finally:
        engine.dispose()
