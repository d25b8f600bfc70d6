"""Published tables beyond the per-program one: per agency, footnote figures, support-tool grades, trial.

``published_agency_figures`` holds the agencies a published report lists within a program,
``published_notes`` its figures outside the tables (footnotes, sentences, a cell's note) with
their text, ``published_grades`` the support tool's A/B/C results and ``published_trial_lines``
the health-insurance trial's rates and remaining mismatches. Aggregate data only, loaded from
seed/ (caseflow.reports.published_tables); going down drops them.

Revision ID: 0027_published_tables
Revises: 0026_case_states
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027_published_tables"
down_revision = "0026_case_states"
branch_labels = None
depends_on = None


def _common() -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
    ]


def _loaded(table: str) -> list:
    return [
        sa.Column("source_filename", sa.String(length=255), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    table = "published_agency_figures"
    op.create_table(
        table, *_common(),
        sa.Column("program_name", sa.String(length=200), nullable=False),
        sa.Column("agency_name", sa.String(length=200), nullable=False),
        sa.Column("linkage_errors", sa.Integer(), nullable=False),
        sa.Column("count_published", sa.Boolean(), nullable=False),
        sa.Column("remark", sa.Text(), nullable=True),
        *_loaded(table),
        sa.UniqueConstraint("dataset", "program_name", "agency_name",
                            name=op.f("uq_published_agency_figures_dataset_program_name_agency_name")),
    )
    table = "published_notes"
    op.create_table(
        table, *_common(),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("section", sa.String(length=40), nullable=False),
        sa.Column("placement", sa.String(length=20), nullable=False),
        sa.Column("marker", sa.String(length=10), nullable=True),
        sa.Column("program_name", sa.String(length=200), nullable=True),
        sa.Column("shown", sa.String(length=60), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("remark", sa.Text(), nullable=True),
        *_loaded(table),
        sa.UniqueConstraint("dataset", "key", name=op.f("uq_published_notes_dataset_key")),
    )
    table = "published_grades"
    op.create_table(
        table, *_common(),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("share_percent", sa.Integer(), nullable=False),
        *_loaded(table),
        sa.UniqueConstraint("dataset", "grade", name=op.f("uq_published_grades_dataset_grade")),
    )
    table = "published_trial_lines"
    op.create_table(
        table, *_common(),
        sa.Column("mark", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("error_rate_percent", sa.String(length=20), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("remaining_approximate", sa.Boolean(), nullable=False),
        *_loaded(table),
        sa.UniqueConstraint("dataset", "kind", name=op.f("uq_published_trial_lines_dataset_kind")),
    )
    for table in ("published_agency_figures", "published_notes", "published_grades", "published_trial_lines"):
        op.create_index(op.f(f"ix_{table}_dataset"), table, ["dataset"])


def downgrade() -> None:
    for table in ("published_trial_lines", "published_grades", "published_notes", "published_agency_figures"):
        op.drop_index(op.f(f"ix_{table}_dataset"), table_name=table)
        op.drop_table(table)
