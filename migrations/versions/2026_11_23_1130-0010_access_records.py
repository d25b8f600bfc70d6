"""Access records: each display of a full My Number, hash-chained; append-only like case_events.

Revision ID: 0010_access_records
Revises: 0009_reports
Create Date: 2026-11-23 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caseflow.db import create_append_only_triggers, drop_append_only_triggers

revision = "0010_access_records"
down_revision = "0009_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_access_records_case_id_cases")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_access_records_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_records")),
        sa.UniqueConstraint("position", name=op.f("uq_access_records_position")),
        sa.UniqueConstraint("row_hash", name=op.f("uq_access_records_row_hash")),
    )
    op.create_index(op.f("ix_access_records_case_id"), "access_records", ["case_id"])
    op.create_index(op.f("ix_access_records_user_id"), "access_records", ["user_id"])
    op.create_table(
        "access_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_chain_head")),
    )
    create_append_only_triggers(op.get_bind(), "access_records")


def downgrade() -> None:
    drop_append_only_triggers(op.get_bind(), "access_records")
    op.drop_table("access_chain_head")
    op.drop_index(op.f("ix_access_records_user_id"), table_name="access_records")
    op.drop_index(op.f("ix_access_records_case_id"), table_name="access_records")
    op.drop_table("access_records")
