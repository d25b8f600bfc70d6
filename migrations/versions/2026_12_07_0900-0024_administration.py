"""Administration: changes to organisations, programs and users recorded.

``admin_changes`` records each change an administrator makes on the administration pages (who,
when, to which object, each field before and after; never a password or a key). Like
``access_records`` it is append-only (triggers refuse UPDATE and DELETE) and hash-chained, with
its head in ``admin_chain_head``. Going down is refused once a change is recorded: the record
would be lost, and the older schema has no place for it.

Revision ID: 0024_administration
Revises: 0023_missing_facts
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caseflow.db import create_append_only_triggers, drop_append_only_triggers

revision = "0024_administration"
down_revision = "0023_missing_facts"
branch_labels = None
depends_on = None

SUBJECTS = ("organization", "program", "user")
ACTIONS = ("created", "updated", "letterhead", "deactivated", "reactivated", "second_factor_reset", "unlocked",
           "password_reset")


def upgrade() -> None:
    op.create_table(
        "admin_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Enum(*SUBJECTS, name="admin_change_subject", native_enum=False,
                                     create_constraint=True), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("subject_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.Enum(*ACTIONS, name="admin_change_action", native_enum=False,
                                    create_constraint=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_admin_changes_actor_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_changes")),
        sa.UniqueConstraint("position", name=op.f("uq_admin_changes_position")),
        sa.UniqueConstraint("row_hash", name=op.f("uq_admin_changes_row_hash")),
    )
    op.create_index(op.f("ix_admin_changes_actor_id"), "admin_changes", ["actor_id"])
    op.create_index("ix_admin_changes_subject", "admin_changes", ["subject", "subject_id"])
    op.create_table(
        "admin_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_chain_head")),
    )
    create_append_only_triggers(op.get_bind(), "admin_changes")


def downgrade() -> None:
    bind = op.get_bind()
    recorded = bind.execute(sa.text("SELECT count(*) FROM admin_changes")).scalar()
    if recorded:
        raise RuntimeError(f"{recorded} administration changes are recorded in admin_changes: going below "
                           "0024_administration would delete that record")
    drop_append_only_triggers(bind, "admin_changes")
    op.drop_table("admin_chain_head")
    op.drop_index("ix_admin_changes_subject", table_name="admin_changes")
    op.drop_index(op.f("ix_admin_changes_actor_id"), table_name="admin_changes")
    op.drop_table("admin_changes")
