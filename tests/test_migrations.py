"""Migrations go up, down and up again, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from caseflow.db import Base, make_engine
from tests.backends import downgrade, migrate

TABLES = {"organizations", "programs", "users", "user_roles", "cases", "case_events", "corrections", "jobs",
          "inspection_batches", "letters", "document_number_sequences", "print_runs", "print_run_letters",
          "referrals", "inbox_items", "saved_filters", "api_tokens", "published_figures",
          "report_snapshots", "access_records", "access_chain_head"}


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
