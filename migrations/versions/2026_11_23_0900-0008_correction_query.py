"""The resident-registry query behind a correction: facts used and people matched.

Revision ID: 0008_correction_query
Revises: 0007_api_tokens
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_correction_query"
down_revision = "0007_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        batch.add_column(sa.Column("query_facts", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("query_matches", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        batch.drop_column("query_matches")
        batch.drop_column("query_facts")
