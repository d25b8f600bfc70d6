"""Migrations go up, down and up again, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from caseflow.db import Base, make_engine
from tests.backends import downgrade, migrate

TABLES = {"organizations", "programs", "users", "user_roles", "cases", "case_events", "corrections", "jobs",
          "inspection_batches", "letters", "document_number_sequences", "print_runs", "print_run_letters",
          "referrals", "inbox_items", "saved_filters", "api_tokens", "published_figures",
          "report_snapshots", "access_records", "access_chain_head", "disposals"}


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
    assert _rows(url) == before
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
