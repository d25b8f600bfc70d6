"""The api_tokens migration goes down and up, on SQLite and PostgreSQL, and matches the model."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from caseflow.db import Base, make_engine
from tests.backends import downgrade, migrate


def _inspect(url: str):
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        if "api_tokens" not in inspector.get_table_names():
            return None
        return {
            "columns": {c["name"] for c in inspector.get_columns("api_tokens")},
            "unique": {u["name"] for u in inspector.get_unique_constraints("api_tokens")},
            # PostgreSQL also lists the index behind the unique constraint.
            "indexes": {i["name"] for i in inspector.get_indexes("api_tokens") if not i.get("duplicates_constraint")},
            "foreign_keys": {f["name"] for f in inspector.get_foreign_keys("api_tokens")},
        }
    finally:
        engine.dispose()


def test_api_tokens_down_and_up(backend):
    url = backend.new_empty()
    migrate(url)
    assert _inspect(url) == {
        "columns": {"id", "user_id", "name", "token_hash", "prefix", "created_at", "last_used_at", "revoked_at"},
        "unique": {"uq_api_tokens_token_hash"},
        "indexes": {"ix_api_tokens_user_id"},
        "foreign_keys": {"fk_api_tokens_user_id_users"},
    }
    downgrade(url, "0006_queues")
    assert _inspect(url) is None
    migrate(url)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert [d for d in diff if "api_tokens" in repr(d)] == []
