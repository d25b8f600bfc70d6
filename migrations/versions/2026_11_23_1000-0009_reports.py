"""Reports: published aggregate figures, month-end snapshots, and the kind of mismatch of a case.

Revision ID: 0009_reports
Revises: 0008_correction_query
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_reports"
down_revision = "0008_correction_query"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("birth_or_sex_mismatch", sa.Boolean(), server_default=sa.false(), nullable=False))
    cases = sa.table("cases", sa.column("field_verdicts", sa.JSON()), sa.column("birth_or_sex_mismatch", sa.Boolean()))
    op.execute(cases.update().where(sa.or_(
        cases.c.field_verdicts["birth_date"].as_string() == "mismatch",
        cases.c.field_verdicts["sex"].as_string() == "mismatch",
    )).values(birth_or_sex_mismatch=True))
    op.create_index("ix_cases_program_agency_report", "cases", ["program_id", "agency_id"],
                    postgresql_include=["status", "viewed_on_portal", "birth_or_sex_mismatch"])
    errors = sa.text("status IN ('confirmed', 'corrected', 'notified')")
    op.create_index("ix_cases_errors_by_cause", "cases", ["program_id", "agency_id", "cause"],
                    postgresql_where=errors, sqlite_where=errors)
    op.create_table(
        "published_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("program_name", sa.String(length=200), nullable=False),
        sa.Column("ministry_name", sa.String(length=200), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("inspected_institutions", sa.Integer(), nullable=False),
        sa.Column("inspected_records", sa.BigInteger(), nullable=False),
        sa.Column("linkage_errors", sa.Integer(), nullable=False),
        sa.Column("viewed_on_portal", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Integer(), nullable=False),
        sa.Column("main_cause", sa.Text(), nullable=True),
        sa.Column("source_filename", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name=op.f("fk_published_figures_program_id_programs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_figures")),
        sa.UniqueConstraint("dataset", "program_name", name=op.f("uq_published_figures_dataset_program_name")),
    )
    op.create_index(op.f("ix_published_figures_dataset"), "published_figures", ["dataset"])
    op.create_table(
        "report_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), nullable=True),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("causes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["taken_by_id"], ["users.id"], name=op.f("fk_report_snapshots_taken_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_snapshots")),
        sa.UniqueConstraint("period", name=op.f("uq_report_snapshots_period")),
    )


def downgrade() -> None:
    op.drop_table("report_snapshots")
    op.drop_index(op.f("ix_published_figures_dataset"), table_name="published_figures")
    op.drop_table("published_figures")
    op.drop_index("ix_cases_errors_by_cause", table_name="cases")
    op.drop_index("ix_cases_program_agency_report", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("birth_or_sex_mismatch")
