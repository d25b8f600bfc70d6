"""Queues and deadlines: claims, saved filters, escalation of overdue cases.

Claims and escalations are case events (no new column on cases); saved filters
are a table of their own.

Revision ID: 0006_queues
Revises: 0005_routing
Create Date: 2026-11-23 08:16:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_queues"
down_revision = "0005_routing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_filters_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_filters_user_id_name")),
    )


def downgrade() -> None:
    op.drop_table("saved_filters")
