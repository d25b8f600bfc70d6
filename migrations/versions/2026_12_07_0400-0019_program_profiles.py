"""Programs know their facts and their agencies; organisations their kind (組織区分); 公金's correction.

``programs.facts_held`` (which of the four facts its records hold: a 3-fact registry query where
there is no sex), ``programs.linking_categories`` (which kinds of organisation link it: an
inspection by another is refused) and ``programs.correction_kind`` (公金受取口座: the account's
deletion and a request to register again) are filled for the programs of seed/program_profiles.csv;
``organizations.category`` from the kind and, for local governments, the 全国地方公共団体コード
(XX000C is a prefecture). ``corrections.outcome`` gains ``account_deleted`` (going down, such a
correction reads 紐付けなし, and such a correction of a 公金受取口座 case reads as the deletion again).

Revision ID: 0019_program_profiles
Revises: 0018_decisions
Create Date: 2026-12-07 04:00:00
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0019_program_profiles"
down_revision = "0018_decisions"
branch_labels = None
depends_on = None

CATEGORIES = ("prefecture", "municipality", "union", "insurer", "mutual_aid", "labour_office", "ministry",
              "digital_agency", "other")
ALL_FACTS = ["name", "kana", "birth_date", "sex", "address"]
OLD_OUTCOMES = ("linked", "unlinked")
NEW_OUTCOMES = ("linked", "unlinked", "account_deleted")
PROFILES = Path(__file__).resolve().parents[2] / "seed" / "program_profiles.csv"


def _category(kind: str, code: str) -> str:
    if kind in ("ministry", "digital_agency"):
        return kind
    if len(code) == 6 and code.isdigit():
        return "prefecture" if code[2:5] == "000" else "municipality"
    return "other"


def _outcome_type(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="correction_outcome", native_enum=False, create_constraint=True)


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(sa.Column("category", sa.Enum(*CATEGORIES, name="organization_category", native_enum=False,
                                                       create_constraint=True), nullable=True))
    organizations = sa.table("organizations", sa.column("id", sa.Integer), sa.column("code", sa.String),
                             sa.column("kind", sa.String), sa.column("category", sa.String))
    for org_id, code, kind in bind.execute(sa.select(organizations.c.id, organizations.c.code, organizations.c.kind)):
        bind.execute(organizations.update().where(organizations.c.id == org_id).values(category=_category(kind, code)))

    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("facts_held", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("linking_categories", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("correction_kind", sa.Enum("relink", "account_deletion", name="correction_kind",
                                                              native_enum=False, create_constraint=True),
                                   server_default="relink", nullable=False))
    programs = sa.table("programs", sa.column("id", sa.Integer), sa.column("code", sa.String),
                        sa.column("facts_held", sa.JSON), sa.column("linking_categories", sa.JSON),
                        sa.column("correction_kind", sa.String))
    with open(PROFILES, encoding="utf-8") as fh:
        profiles = {row["code"]: row for row in csv.DictReader(fh)}
    for program_id, code in bind.execute(sa.select(programs.c.id, programs.c.code)):
        profile = profiles.get(code)
        values = {"facts_held": ALL_FACTS}
        if profile is not None:
            values = {"facts_held": profile["facts"].split(), "linking_categories": profile["linking"].split(),
                      "correction_kind": profile["correction"]}
        bind.execute(programs.update().where(programs.c.id == program_id).values(**values))
    with op.batch_alter_table("programs") as batch:
        batch.alter_column("facts_held", existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table("corrections") as batch:
        batch.alter_column("outcome", existing_type=_outcome_type(OLD_OUTCOMES), type_=_outcome_type(NEW_OUTCOMES),
                           existing_nullable=False)
    # A 公金受取口座 correction recorded before as 紐付けなし was the account's deletion: said so now.
    bind.execute(sa.text(
        "UPDATE corrections SET outcome = 'account_deleted' WHERE outcome = 'unlinked' AND case_id IN ("
        "SELECT cases.id FROM cases JOIN programs ON programs.id = cases.program_id "
        "WHERE programs.correction_kind = 'account_deletion')"))


def downgrade() -> None:
    # The older schema knows no account deletion: the nearest it can say is that the wrong link was
    # removed and no number linked.
    op.get_bind().execute(sa.text("UPDATE corrections SET outcome = 'unlinked' WHERE outcome = 'account_deleted'"))
    with op.batch_alter_table("corrections") as batch:
        batch.alter_column("outcome", existing_type=_outcome_type(NEW_OUTCOMES), type_=_outcome_type(OLD_OUTCOMES),
                           existing_nullable=False)
    # SQLite keeps a column's CHECK constraint in the table's definition: dropped first, by name.
    with op.batch_alter_table("programs") as batch:
        batch.drop_constraint("correction_kind", type_="check")
        batch.drop_column("correction_kind")
        batch.drop_column("linking_categories")
        batch.drop_column("facts_held")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_constraint("organization_category", type_="check")
        batch.drop_column("category")


