"""A stamp that changes with every write of programs and organisations, for the per-process cache.

``reference_stamps`` holds one row; triggers on ``programs`` and ``organizations`` give it a new
random stamp on every INSERT, UPDATE and DELETE, in the writer's transaction, whichever process or
host writes (caseflow.organizations.reference). Random, not a counter: an edit rolled back must
not leave a stamp a later, different edit repeats. Going down drops the triggers and the table.

Revision ID: 0028_reference_stamp
Revises: 0027_published_tables
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028_reference_stamp"
down_revision = "0027_published_tables"
branch_labels = None
depends_on = None

TABLES = ("programs", "organizations")
_PG_NEW_STAMP = "UPDATE reference_stamps SET stamp = (random() * 9.2e18)::bigint WHERE id = 1"
_SQLITE_NEW_STAMP = "UPDATE reference_stamps SET stamp = random() WHERE id = 1"


def upgrade() -> None:
    op.create_table("reference_stamps",
                    sa.Column("id", sa.Integer(), nullable=False),
                    sa.Column("stamp", sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_stamps")))
    bind = op.get_bind()
    bind.exec_driver_sql("INSERT INTO reference_stamps (id, stamp) VALUES (1, 0)")
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(_PG_NEW_STAMP)  # random from the start: two databases never share a stamp
        bind.exec_driver_sql("CREATE FUNCTION reference_stamp_renew() RETURNS trigger LANGUAGE plpgsql AS $$ "
                             f"BEGIN {_PG_NEW_STAMP}; RETURN NULL; END $$")
        for table in TABLES:
            bind.exec_driver_sql(f"CREATE TRIGGER trg_{table}_reference_stamp AFTER INSERT OR UPDATE OR DELETE "
                                 f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION reference_stamp_renew()")
    else:
        bind.exec_driver_sql(_SQLITE_NEW_STAMP)
        for table in TABLES:
            for action in ("INSERT", "UPDATE", "DELETE"):
                bind.exec_driver_sql(f"CREATE TRIGGER trg_{table}_reference_stamp_{action.lower()} AFTER {action} "
                                     f"ON {table} BEGIN {_SQLITE_NEW_STAMP}; END")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in TABLES:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_reference_stamp ON {table}")
        bind.exec_driver_sql("DROP FUNCTION IF EXISTS reference_stamp_renew()")
    else:
        for table in TABLES:
            for action in ("INSERT", "UPDATE", "DELETE"):
                bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_reference_stamp_{action.lower()}")
    op.drop_table("reference_stamps")
