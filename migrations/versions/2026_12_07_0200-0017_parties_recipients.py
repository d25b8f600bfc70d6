"""Both parties on a case: a recipient per (case, party), letters addressed to a party, the holder notice.

A linkage error has two people: the record's person and the number's holder. ``recipients``
keeps where each one's letters go (送付先), in place of the case's one recipient
(``cases.recipient_name/recipient_postal_code/recipient_address``). A case's recipient moves to
the party its letters were addressed to: the number's holder when its letters (the valid ones;
without any, all of them) are all bank-account requests, the record's person otherwise (and
when it has no letter). Letters record their party (from their kind) and may be of the new kind
``holder_notice``; a case carries one valid letter per kind and party (a partial unique index).
Programs say whether their number holders get the holder notice (every program but 公金受取口座).

Going down, the recipient of that same party goes back on the case — the record's person's,
unless its letters are all for the holder — or else the other one; a holder notice is kept as an
``apology`` (the older schema knows no other kind) and its snapshot still names its kind, so
going up again restores it; a print run of holder notices becomes one of all kinds.

Revision ID: 0017_parties_recipients
Revises: 0016_retention
Create Date: 2026-12-07 02:00:00
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

revision = "0017_parties_recipients"
down_revision = "0016_retention"
branch_labels = None
depends_on = None

OLD_KINDS = ("bank_account", "apology", "viewed_notice")
NEW_KINDS = (*OLD_KINDS, "holder_notice")
PARTIES = ("record_person", "number_holder")
BANK_ACCOUNT_PROGRAM = "public-fund-account"
VALID = "status = 'issued'"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _party(kind: str) -> str:
    return "number_holder" if kind in ("bank_account", "holder_notice") else "record_person"


def _letters_party(bind) -> dict[int, str]:
    """Per case with letters: the party they were addressed to (the holder only when all of them were)."""
    kinds: dict[int, dict[str, set[str]]] = {}
    for case_id, kind, status in bind.execute(sa.text("SELECT case_id, kind, status FROM letters")):
        kinds.setdefault(case_id, {}).setdefault(status, set()).add(kind)
    parties = {}
    for case_id, by_status in kinds.items():
        counted = by_status.get("issued") or set().union(*by_status.values())
        parties[case_id] = "number_holder" if {_party(kind) for kind in counted} == {"number_holder"} \
            else "record_person"
    return parties


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.Enum(*PARTIES, name="recipient_party", native_enum=False, create_constraint=True),
                  nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=8), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_recipients_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
        sa.UniqueConstraint("case_id", "party", name=op.f("uq_recipients_case_id_party")),
    )

    with op.batch_alter_table("letters") as batch:
        batch.add_column(sa.Column("party", sa.String(length=13), nullable=True))
        batch.drop_constraint(op.f("ck_letters_letter_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_letters_letter_kind"), _in("kind", NEW_KINDS))
    # A holder notice kept as an apology while the database was down at 0016 gets its kind back.
    for letter_id, snapshot in bind.execute(sa.text(
            "SELECT id, snapshot FROM letters WHERE CAST(snapshot AS TEXT) LIKE '%holder_notice%'")):
        data = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
        if (data or {}).get("kind") == "holder_notice":
            bind.execute(sa.text("UPDATE letters SET kind = 'holder_notice' WHERE id = :id"), {"id": letter_id})
    bind.execute(sa.text("UPDATE letters SET party = CASE WHEN kind IN ('bank_account', 'holder_notice') "
                         "THEN 'number_holder' ELSE 'record_person' END"))
    with op.batch_alter_table("letters") as batch:
        batch.alter_column("party", existing_type=sa.String(length=13), nullable=False)
        batch.create_check_constraint(op.f("ck_letters_letter_party"), _in("party", PARTIES))
    op.create_index("uq_letters_valid_kind_party", "letters", ["case_id", "kind", "party"], unique=True,
                    postgresql_where=sa.text(VALID), sqlite_where=sa.text(VALID))
    with op.batch_alter_table("print_runs") as batch:
        batch.drop_constraint(op.f("ck_print_runs_print_run_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_print_runs_print_run_kind"), _in("kind", NEW_KINDS))

    # Each case's one recipient goes to the party its letters were addressed to.
    parties = _letters_party(bind)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # naive UTC, as UTCDateTime stores it
    recipients = sa.table("recipients", sa.column("case_id"), sa.column("party"), sa.column("name"),
                          sa.column("postal_code"), sa.column("address"), sa.column("updated_at"))
    rows = bind.execute(sa.text(
        "SELECT id, recipient_name, recipient_postal_code, recipient_address FROM cases "
        "WHERE recipient_name IS NOT NULL OR recipient_postal_code IS NOT NULL OR recipient_address IS NOT NULL "
        "ORDER BY id")).all()
    for case_id, name, postal_code, address in rows:
        bind.execute(recipients.insert().values(case_id=case_id, party=parties.get(case_id, "record_person"), name=name,
                                                postal_code=postal_code, address=address, updated_at=now))
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("recipient_address")
        batch.drop_column("recipient_postal_code")
        batch.drop_column("recipient_name")

    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("holder_notice", sa.Boolean(), server_default=sa.false(), nullable=False))
    bind.execute(sa.text("UPDATE programs SET holder_notice = :yes WHERE code IS NULL OR code != :bank"),
                 {"yes": True, "bank": BANK_ACCOUNT_PROGRAM})


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("holder_notice")

    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("recipient_name", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("recipient_postal_code", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("recipient_address", sa.Text(), nullable=True))
    # The older schema keeps one recipient: that of the party the case's letters were for (the
    # record's person's unless they were all for the holder), or else the other one.
    parties = _letters_party(bind)
    chosen = {}
    for case_id, party, name, postal_code, address in bind.execute(sa.text(
            "SELECT case_id, party, name, postal_code, address FROM recipients ORDER BY id")):
        if case_id not in chosen or party == parties.get(case_id, "record_person"):
            chosen[case_id] = (name, postal_code, address)
    for case_id, (name, postal_code, address) in sorted(chosen.items()):
        bind.execute(sa.text("UPDATE cases SET recipient_name = :name, recipient_postal_code = :postal_code, "
                             "recipient_address = :address WHERE id = :id"),
                     {"name": name, "postal_code": postal_code, "address": address, "id": case_id})

    bind.execute(sa.text("UPDATE print_runs SET kind = NULL WHERE kind = 'holder_notice'"))
    with op.batch_alter_table("print_runs") as batch:
        batch.drop_constraint(op.f("ck_print_runs_print_run_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_print_runs_print_run_kind"), _in("kind", OLD_KINDS))
    op.drop_index("uq_letters_valid_kind_party", table_name="letters")
    # Its snapshot keeps "kind": "holder_notice", from which the upgrade restores it.
    bind.execute(sa.text("UPDATE letters SET kind = 'apology' WHERE kind = 'holder_notice'"))
    with op.batch_alter_table("letters") as batch:
        batch.drop_constraint(op.f("ck_letters_letter_party"), type_="check")
        batch.drop_constraint(op.f("ck_letters_letter_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_letters_letter_kind"), _in("kind", OLD_KINDS))
        batch.drop_column("party")
    op.drop_table("recipients")
