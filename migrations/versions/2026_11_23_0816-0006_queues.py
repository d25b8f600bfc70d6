"""Queues and deadlines: claims, saved filters, escalation of overdue cases.

Revision ID: 0006_queues
Revises: 0005_routing
Create Date: 2026-11-23 08:16:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0006_queues"
down_revision = "0005_routing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
