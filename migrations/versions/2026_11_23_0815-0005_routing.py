"""Routing between organisations: current holder, referrals (照会) and their answers, inboxes.

Revision ID: 0005_routing
Revises: 0004_letters
Create Date: 2026-11-23 08:15:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0005_routing"
down_revision = "0004_letters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
