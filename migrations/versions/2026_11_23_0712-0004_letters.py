"""Letters to residents, document-number sequences, print runs; a case's recipient and an
organisation's letterhead.

Revision ID: 0004_letters
Revises: 0003_inspections
Create Date: 2026-11-23 07:12:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_letters"
down_revision = "0003_inspections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_number_sequences",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_document_number_sequences_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", "fiscal_year", name=op.f("pk_document_number_sequences")),
    )
    op.create_table(
        "print_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "bank_account",
                "apology",
                "viewed_notice",
                name="print_run_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "ready",
                "failed",
                "printed",
                "mailed",
                name="print_run_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=True),
        sa.Column("printed_at", sa.DateTime(), nullable=True),
        sa.Column("printed_by_id", sa.Integer(), nullable=True),
        sa.Column("mailed_at", sa.DateTime(), nullable=True),
        sa.Column("mailed_by_id", sa.Integer(), nullable=True),
        sa.Column("letters_count", sa.Integer(), nullable=False),
        sa.Column("held_count", sa.Integer(), nullable=False),
        sa.Column("pages_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_print_runs_created_by_id_users")),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_print_runs_job_id_jobs")),
        sa.ForeignKeyConstraint(["mailed_by_id"], ["users.id"], name=op.f("fk_print_runs_mailed_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_print_runs_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["printed_by_id"], ["users.id"], name=op.f("fk_print_runs_printed_by_id_users")),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name=op.f("fk_print_runs_program_id_programs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_runs")),
    )
    with op.batch_alter_table("print_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_runs_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "bank_account",
                "apology",
                "viewed_notice",
                name="letter_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("issued", "voided", name="letter_status", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("document_number", sa.String(length=60), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("postal_code", sa.String(length=8), nullable=False),
        sa.Column("reprints", sa.Integer(), nullable=False),
        sa.Column("voided_at", sa.DateTime(), nullable=True),
        sa.Column("voided_by_id", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.Column("returned_on", sa.Date(), nullable=True),
        sa.Column(
            "return_reason",
            sa.Enum(
                "unknown_address",
                "moved",
                "refused",
                "unclaimed",
                "other",
                name="return_reason",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("return_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_letters_case_id_cases")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_letters_issued_by_id_users")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_letters_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["voided_by_id"], ["users.id"], name=op.f("fk_letters_voided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint(
            "organization_id", "fiscal_year", "serial", name=op.f("uq_letters_organization_id_fiscal_year_serial")
        ),
    )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letters_case_id"), ["case_id"], unique=False)

    op.create_table(
        "print_run_letters",
        sa.Column("print_run_id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("held_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["letter_id"], ["letters.id"], name=op.f("fk_print_run_letters_letter_id_letters")),
        sa.ForeignKeyConstraint(
            ["print_run_id"], ["print_runs.id"], name=op.f("fk_print_run_letters_print_run_id_print_runs")
        ),
        sa.PrimaryKeyConstraint("print_run_id", "letter_id", name=op.f("pk_print_run_letters")),
    )
    with op.batch_alter_table("print_run_letters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_run_letters_letter_id"), ["letter_id"], unique=False)

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("recipient_postal_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("recipient_address", sa.Text(), nullable=True))

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("letterhead", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("letterhead")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("recipient_address")
        batch_op.drop_column("recipient_postal_code")
        batch_op.drop_column("recipient_name")

    with op.batch_alter_table("print_run_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_run_letters_letter_id"))

    op.drop_table("print_run_letters")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letters_case_id"))

    op.drop_table("letters")
    with op.batch_alter_table("print_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_runs_organization_id"))

    op.drop_table("print_runs")
    op.drop_table("document_number_sequences")
