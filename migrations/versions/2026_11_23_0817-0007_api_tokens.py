"""Per-user API tokens for the JSON API.

Revision ID: 0007_api_tokens
Revises: 0006_queues
Create Date: 2026-11-23 08:17:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0007_api_tokens"
down_revision = "0006_queues"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
