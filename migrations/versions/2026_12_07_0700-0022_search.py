"""Search keys: the normalised name, kana and birth date digests a case is found by.

``case_search_keys`` holds, per case, the HMAC digests (look-up key) of both people's normalised
full name, family name, kana, family kana and birth date (caseflow.cases.search), indexed by
digest; it is filled here for the cases already stored, a thousand at a time, decrypting the
registry facts with the configured keys (the app's when run by ``caseflow db upgrade``).
``caseflow search reindex`` does the same at any time (after a change of the normalisers).
``cases.source_record_id`` (the management number) gets an index of its own, and an access record
may name no case (a My Number search that found nothing).

Going down drops the keys (they are derived data) and the index. Access records are append-only
and hash-chained: the records of searches that found nothing are kept, so ``case_id`` stays
nullable when there are any.

Revision ID: 0022_search
Revises: 0021_intake
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from caseflow.db import create_append_only_triggers, drop_append_only_triggers

revision = "0022_search"
down_revision = "0021_intake"
branch_labels = None
depends_on = None

BATCH = 1000
_PLAIN = ("record_name", "record_kana")
_SEALED = ("registry_name", "registry_kana", "registry_birth_date")


def upgrade() -> None:
    op.create_table(
        "case_search_keys",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_search_keys_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", "digest", name=op.f("pk_case_search_keys")),
    )
    op.create_index("ix_case_search_keys_digest_case", "case_search_keys", ["digest", "case_id"], unique=False)
    op.create_index(op.f("ix_cases_source_record_id"), "cases", ["source_record_id"], unique=False)
    _access_records_case(nullable=True)
    _fill_keys()


def downgrade() -> None:
    bind = op.get_bind()
    if not bind.execute(sa.text("SELECT 1 FROM access_records WHERE case_id IS NULL LIMIT 1")).first():
        _access_records_case(nullable=False)
    op.drop_index(op.f("ix_cases_source_record_id"), table_name="cases")
    op.drop_index("ix_case_search_keys_digest_case", table_name="case_search_keys")
    op.drop_table("case_search_keys")


def _access_records_case(*, nullable: bool) -> None:
    # SQLite rebuilds the table (and loses its triggers): they are put back either way.
    bind = op.get_bind()
    drop_append_only_triggers(bind, "access_records")
    with op.batch_alter_table("access_records") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=nullable)
    create_append_only_triggers(bind, "access_records")


def _fill_keys() -> None:
    """The keys of every stored case, BATCH cases at a time (keys loaded only when there is a case)."""
    from caseflow.cases.search import search_keys
    from caseflow.crypto.keys import current_keyring
    from caseflow.crypto.types import unseal

    bind = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.Integer()), *(sa.column(c, sa.String()) for c in (*_PLAIN, *_SEALED)),
                     sa.column("record_birth_date", sa.Date()))
    keys = sa.table("case_search_keys", sa.column("case_id", sa.Integer()), sa.column("digest", sa.String()),
                    sa.column("kind", sa.String()))
    keyring, last = None, 0
    while True:
        rows = bind.execute(sa.select(cases).where(cases.c.id > last).order_by(cases.c.id).limit(BATCH)).all()
        if not rows:
            return
        keyring = keyring or current_keyring()
        facts = []
        for row in rows:
            values = row._mapping
            opened = {c: None if values[c] is None else unseal(values[c], f"cases.{c}", keyring) for c in _SEALED}
            birth = opened["registry_birth_date"]
            facts.append({"case_id": values["id"], **{c: values[c] for c in _PLAIN},
                          "record_birth_date": values["record_birth_date"],
                          "registry_name": opened["registry_name"], "registry_kana": opened["registry_kana"],
                          "registry_birth_date": dt.date.fromisoformat(birth) if birth else None})
        found = search_keys(facts, keyring)
        if found:
            bind.execute(keys.insert(), found)
        last = rows[-1].id
