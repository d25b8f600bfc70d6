"""Login security: failed-login lock-out, TOTP second factor.

Revision ID: 0012_login_security
Revises: 0011_encryption
Create Date: 2026-11-23 11:50:00
"""

from __future__ import annotations

revision = "0012_login_security"
down_revision = "0011_encryption"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
