"""The case list's default order served by indexes; the program index left redundant by 0009 dropped.

Under load (bench/bench_load.py, 50,000 cases) a caseworker's list page sorted all of the
agency's cases for each page (63 ms on PostgreSQL); with (agency_id, due_date, id) it reads
the page from the index. ix_cases_program_id is covered by ix_cases_program_agency_report,
which starts with program_id.

Revision ID: 0014_case_list_indexes
Revises: 0013_job_recovery
Create Date: 2026-11-23 18:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0014_case_list_indexes"
down_revision = "0013_job_recovery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_agency_due", "cases", ["agency_id", "due_date", "id"])
    op.create_index("ix_cases_due", "cases", ["due_date", "id"])
    op.drop_index("ix_cases_program_id", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_program_id", "cases", ["program_id"])
    op.drop_index("ix_cases_due", table_name="cases")
    op.drop_index("ix_cases_agency_due", table_name="cases")
