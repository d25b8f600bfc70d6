"""My Number and the registry facts encrypted at rest (AES-GCM) with keyed-hash look-up columns.

The columns become text long enough for the encrypted form (caseflow.crypto.types), the
registry's sex loses its CHECK (the database no longer sees the value), and cases gain
``registered_number_digest`` (HMAC-SHA256 under the look-up key, indexed). Existing rows are
encrypted here, a thousand at a time, with the configured keys (caseflow.crypto.keys: the app's
when run by ``caseflow db upgrade``); going down decrypts them back to plaintext.

Revision ID: 0011_encryption
Revises: 0010_access_records
Create Date: 2026-11-23 11:40:00
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0011_encryption"
down_revision = "0010_access_records"
branch_labels = None
depends_on = None

BATCH = 1000
# (column, type before, type after, nullable): the lengths after are
# caseflow.crypto.types.stored_length of the longest value, written out.
CASE_COLUMNS = (
    ("registered_number", sa.String(length=12), sa.String(length=124), False),
    ("registry_name", sa.String(length=100), sa.String(length=592), True),
    ("registry_kana", sa.String(length=100), sa.String(length=592), True),
    ("registry_birth_date", sa.Date(), sa.String(length=72), True),
    ("registry_sex", sa.String(length=6), sa.String(length=68), True),
    ("registry_address", sa.String(length=300), sa.String(length=1660), True),
)
CORRECTION_COLUMNS = (
    ("linked_number", sa.String(length=12), sa.String(length=124), True),
)
DIGEST = "registered_number_digest"


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(op.f("ck_cases_registry_sex"), type_="check")
        for name, before, after, nullable in CASE_COLUMNS:
            batch.alter_column(name, existing_type=before, type_=after, existing_nullable=nullable,
                               postgresql_using=f"{name}::text")
        batch.add_column(sa.Column(DIGEST, sa.String(length=64), nullable=True))
    with op.batch_alter_table("corrections") as batch:
        for name, before, after, nullable in CORRECTION_COLUMNS:
            batch.alter_column(name, existing_type=before, type_=after, existing_nullable=nullable)

    _rewrite("cases", [c[0] for c in CASE_COLUMNS], _encrypt, digest=True)
    _rewrite("corrections", [c[0] for c in CORRECTION_COLUMNS], _encrypt)

    with op.batch_alter_table("cases") as batch:
        batch.alter_column(DIGEST, existing_type=sa.String(length=64), nullable=False)
        batch.create_index(op.f("ix_cases_registered_number_digest"), [DIGEST], unique=False)


def downgrade() -> None:
    _rewrite("cases", [c[0] for c in CASE_COLUMNS], _decrypt)
    _rewrite("corrections", [c[0] for c in CORRECTION_COLUMNS], _decrypt)

    with op.batch_alter_table("corrections") as batch:
        for name, before, after, nullable in CORRECTION_COLUMNS:
            batch.alter_column(name, existing_type=after, type_=before, existing_nullable=nullable)
    # SQLite: the column is copied as it is (reflected as a date already); alembic would otherwise
    # copy it with CAST(… AS DATE), which turns '1972-05-01' into 1972.
    with op.batch_alter_table("cases", reflect_args=[sa.Column("registry_birth_date", sa.Date())]) as batch:
        batch.drop_index(op.f("ix_cases_registered_number_digest"))
        batch.drop_column(DIGEST)
        for name, before, after, nullable in CASE_COLUMNS:
            using = f"{name}::date" if isinstance(before, sa.Date) else None
            batch.alter_column(name, existing_type=after, type_=before, existing_nullable=nullable,
                               postgresql_using=using)
        batch.create_check_constraint(op.f("ck_cases_registry_sex"), "registry_sex IN ('male', 'female')")


def _encrypt(value: str, context: str, keyring) -> str:
    from caseflow.crypto.types import is_sealed, seal

    return value if is_sealed(value) else seal(value, context, keyring)


def _decrypt(value: str, context: str, keyring) -> str:
    from caseflow.crypto.types import unseal

    return unseal(value, context, keyring)


def _rewrite(table_name: str, columns: list[str], change: Callable, *, digest: bool = False) -> None:
    """Pass every non-null value of ``columns`` through ``change``, BATCH rows at a time (and fill the digest)."""
    from caseflow.crypto.keys import current_keyring, lookup_digest
    from caseflow.crypto.types import unseal

    bind = op.get_bind()
    written = columns + ([DIGEST] if digest else [])
    table = sa.table(table_name, sa.column("id", sa.Integer()), *(sa.column(c, sa.String()) for c in written))
    update = (table.update().where(table.c.id == sa.bindparam("_id"))
              .values({c: sa.bindparam(f"_{c}") for c in written}))
    keyring = None  # loaded only when there is a row to change: an empty database needs no keys
    last = 0
    while True:
        rows = bind.execute(
            sa.select(table).where(table.c.id > last, sa.or_(*(table.c[c].is_not(None) for c in columns)))
            .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            return
        keyring = keyring or current_keyring()
        params = []
        for row in rows:
            values = row._mapping
            changed = {f"_{c}": None if values[c] is None else change(values[c], f"{table_name}.{c}", keyring)
                       for c in columns}
            if digest:
                number = unseal(values["registered_number"], f"{table_name}.registered_number", keyring)
                changed[f"_{DIGEST}"] = lookup_digest(number, keyring=keyring)
            params.append({"_id": values["id"], **changed})
        bind.execute(update, params)
        last = rows[-1].id
