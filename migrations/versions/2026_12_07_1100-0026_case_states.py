"""case_states: the history of each case's reported facts, so that figures can be computed as of a past moment.

Each state holds from valid_from until valid_to (the next state's start; NULL while in force).

Filled from what is there: one state per status change recorded in case_events (its time and
its new status). The columns that events did not record as of their time take the case's
present value: the cause and the viewing (from the first error status on; amendments made
before this migration count from the confirmation), the program, agency, holder and batch.

Revision ID: 0026_case_states
Revises: 0025_surveys
Create Date: 2026-12-07 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026_case_states"
down_revision = "0025_surveys"
branch_labels = None
depends_on = None

_STATUSES = ("detected", "verifying", "confirmed", "false", "corrected", "notified")
_CAUSES = ("two_fact_query", "family_member_number", "application_miswritten", "employer_miswritten",
           "manual_transcription", "system_input_error", "duplicate_business_key", "shared_terminal_logout",
           "adjacent_case_swap", "other")
_VIEWED = ("yes", "no", "unknown")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def upgrade() -> None:
    op.create_table(
        "case_states",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("valid_to", sa.DateTime(), nullable=True),
        sa.Column("program_id", sa.Integer, sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("agency_id", sa.Integer, sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("holder_id", sa.Integer, sa.ForeignKey("organizations.id")),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("inspection_batches.id")),
        sa.Column("status", _enum("case_state_status", _STATUSES), nullable=False),
        sa.Column("cause", _enum("case_state_cause", _CAUSES)),
        sa.Column("viewed_on_portal", _enum("case_state_viewed_on_portal", _VIEWED)),
        sa.Column("birth_or_sex_mismatch", sa.Boolean, nullable=False),
    )
    op.create_index("ix_case_states_valid_from", "case_states", ["valid_from"])
    errors = sa.text("status IN ('confirmed', 'corrected', 'notified')")
    op.create_index("ix_case_states_errors", "case_states",
                    ["program_id", "agency_id", "cause", "valid_from", "valid_to", "status"],
                    postgresql_where=errors, sqlite_where=errors)
    op.create_index("ix_case_states_case_valid_from", "case_states", ["case_id", "valid_from"])
    errors = "('confirmed', 'corrected', 'notified')"
    op.execute(
        "INSERT INTO case_states (case_id, valid_from, program_id, agency_id, holder_id, batch_id, status, cause, "
        "viewed_on_portal, birth_or_sex_mismatch) "
        "SELECT e.case_id, e.created_at, c.program_id, c.agency_id, c.holder_id, c.batch_id, e.to_status, "
        f"CASE WHEN e.to_status IN {errors} THEN c.cause END, "
        f"CASE WHEN e.to_status IN {errors} THEN c.viewed_on_portal END, c.birth_or_sex_mismatch "
        "FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.to_status IS NOT NULL ORDER BY e.id")
    # A case without a recorded status change (none is expected) starts at its detection, as it is now.
    op.execute(
        "INSERT INTO case_states (case_id, valid_from, program_id, agency_id, holder_id, batch_id, status, cause, "
        "viewed_on_portal, birth_or_sex_mismatch) "
        "SELECT c.id, c.detected_at, c.program_id, c.agency_id, c.holder_id, c.batch_id, c.status, c.cause, "
        "c.viewed_on_portal, c.birth_or_sex_mismatch FROM cases c "
        "WHERE NOT EXISTS (SELECT 1 FROM case_states s WHERE s.case_id = c.id) ORDER BY c.id")
    # Each state lasts until the next one of its case.
    op.execute(
        "UPDATE case_states SET valid_to = (SELECT n.valid_from FROM case_states n WHERE n.case_id = case_states.case_id "
        "AND n.id > case_states.id ORDER BY n.id LIMIT 1)")
    # The reports group the cases by their batch too (counted or not): read from the index alone.
    op.drop_index("ix_cases_program_agency_report", table_name="cases")
    op.create_index("ix_cases_program_agency_report", "cases", ["program_id", "agency_id"],
                    postgresql_include=["status", "viewed_on_portal", "birth_or_sex_mismatch", "batch_id"])


def downgrade() -> None:
    op.drop_index("ix_case_states_errors", table_name="case_states")
    op.drop_index("ix_cases_program_agency_report", table_name="cases")
    op.create_index("ix_cases_program_agency_report", "cases", ["program_id", "agency_id"],
                    postgresql_include=["status", "viewed_on_portal", "birth_or_sex_mismatch"])
    op.drop_index("ix_case_states_valid_from", table_name="case_states")
    op.drop_index("ix_case_states_case_valid_from", table_name="case_states")
    op.drop_table("case_states")
