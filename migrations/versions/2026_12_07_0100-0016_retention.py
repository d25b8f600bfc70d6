"""Retention and disposal: a period per program, disposal records, and room for deleted facts.

Programs get ``retention_years`` (None: the installation's default); cases, letters and print
runs record when their personal data was deleted; a case's My Number and its digest, a letter's
PDF and postal code may now be empty (deleted); ``disposals`` records each deletion and is
append-only like the other audit trails. Going down is refused once something was disposed of:
the deleted data cannot come back, and the older schema requires it.

Revision ID: 0016_retention
Revises: 0015_mask_free_text
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caseflow.db import create_append_only_triggers, drop_append_only_triggers

revision = "0016_retention"
down_revision = "0015_mask_free_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("retention_years", sa.Integer(), nullable=True))
        batch.create_check_constraint("retention_years_positive", "retention_years >= 1")
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("facts_disposed_at", sa.DateTime(), nullable=True))
        batch.alter_column("registered_number", existing_type=sa.String(length=124), nullable=True)
        batch.alter_column("registered_number_digest", existing_type=sa.String(length=64), nullable=True)
    with op.batch_alter_table("letters") as batch:
        batch.add_column(sa.Column("disposed_at", sa.DateTime(), nullable=True))
        batch.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=True)
        batch.alter_column("postal_code", existing_type=sa.String(length=8), nullable=True)
    with op.batch_alter_table("print_runs") as batch:
        batch.add_column(sa.Column("files_disposed_at", sa.DateTime(), nullable=True))
    op.create_table(
        "disposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("disposed_at", sa.DateTime(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_disposals_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposals")),
    )
    op.create_index(op.f("ix_disposals_case_id"), "disposals", ["case_id"])
    create_append_only_triggers(op.get_bind(), "disposals")


def downgrade() -> None:
    bind = op.get_bind()
    disposed = bind.execute(sa.text("SELECT count(*) FROM disposals")).scalar()
    if disposed:
        raise RuntimeError(f"{disposed} disposal records exist: the deleted personal data cannot be restored, "
                           "so the database cannot go below 0016_retention")
    drop_append_only_triggers(bind, "disposals")
    op.drop_index(op.f("ix_disposals_case_id"), table_name="disposals")
    op.drop_table("disposals")
    with op.batch_alter_table("print_runs") as batch:
        batch.drop_column("files_disposed_at")
    with op.batch_alter_table("letters") as batch:
        batch.alter_column("postal_code", existing_type=sa.String(length=8), nullable=False)
        batch.alter_column("pdf", existing_type=sa.LargeBinary(), nullable=False)
        batch.drop_column("disposed_at")
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("registered_number_digest", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("registered_number", existing_type=sa.String(length=124), nullable=False)
        batch.drop_column("facts_disposed_at")
    with op.batch_alter_table("programs") as batch:
        batch.drop_constraint("retention_years_positive", type_="check")
        batch.drop_column("retention_years")
