"""Login security: failed-login lock-out, TOTP second factor, a session token per user.

``users`` gains the count of failed logins in a row and the end of a lock-out, the TOTP secret
(encrypted like the registry facts: caseflow.crypto.types, ``users.totp_secret``), when its
enrolment was confirmed and the last time step used, and ``session_token``: part of the id kept
in the session cookie, changed at logout so that a copied cookie stops working. Existing users
get a token here; until they log in again their current sessions end (the id changed form).

Revision ID: 0012_login_security
Revises: 0011_encryption
Create Date: 2026-11-23 11:50:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0012_login_security"
down_revision = "0011_encryption"
branch_labels = None
depends_on = None

# caseflow.crypto.types.stored_length(4 * 32): 32 base32 characters, encrypted.
TOTP_SECRET_LENGTH = 228


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_secret", sa.String(length=TOTP_SECRET_LENGTH), nullable=True))
        batch.add_column(sa.Column("totp_confirmed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("session_token", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("session_token", sa.String()))
    ids = bind.execute(sa.select(users.c.id)).scalars().all()
    if ids:
        bind.execute(users.update().where(users.c.id == sa.bindparam("_id")).values(session_token=sa.bindparam("_t")),
                     [{"_id": user_id, "_t": secrets.token_hex(16)} for user_id in ids])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_token")
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_confirmed_at")
        batch.drop_column("totp_secret")
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
