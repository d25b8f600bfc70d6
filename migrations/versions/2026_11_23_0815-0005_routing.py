"""Routing between organisations: current holder, referrals (照会) and their answers, inboxes.

Revision ID: 0005_routing
Revises: 0004_letters
Create Date: 2026-11-23 08:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_routing"
down_revision = "0004_letters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("holder_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_cases_holder_id_organizations"), "organizations", ["holder_id"], ["id"])

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_organization_id", sa.Integer(), nullable=False),
        sa.Column("to_organization_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("open", "answered", name="referral_status", native_enum=False,
                                    create_constraint=True), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_by_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases")),
        sa.ForeignKeyConstraint(["from_organization_id"], ["organizations.id"],
                                name=op.f("fk_referrals_from_organization_id_organizations")),
        sa.ForeignKeyConstraint(["to_organization_id"], ["organizations.id"],
                                name=op.f("fk_referrals_to_organization_id_organizations")),
        sa.ForeignKeyConstraint(["asked_by_id"], ["users.id"], name=op.f("fk_referrals_asked_by_id_users")),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"], name=op.f("fk_referrals_answered_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_case_id"), "referrals", ["case_id"])
    op.create_index(op.f("ix_referrals_to_organization_id"), "referrals", ["to_organization_id"])

    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("confirmed", "referral", "answer", name="inbox_kind", native_enum=False,
                                  create_constraint=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.Column("read_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_inbox_items_organization_id_organizations")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_inbox_items_case_id_cases")),
        sa.ForeignKeyConstraint(["read_by_id"], ["users.id"], name=op.f("fk_inbox_items_read_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_items")),
    )
    op.create_index("ix_inbox_items_unread", "inbox_items", ["organization_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_items_unread", table_name="inbox_items")
    op.drop_table("inbox_items")
    op.drop_index(op.f("ix_referrals_to_organization_id"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_case_id"), table_name="referrals")
    op.drop_table("referrals")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(op.f("fk_cases_holder_id_organizations"), type_="foreignkey")
        batch.drop_column("holder_id")
