"""Initial schema: organisations, programs, users and roles, cases, their events and corrections.

case_events is append-only: triggers refuse UPDATE and DELETE on both backends.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23 05:07:11.930633
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caseflow.db import create_append_only_triggers, drop_append_only_triggers

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("organizations",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("code", sa.String(length=20), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("kind", sa.Enum("linking_agency", "ministry", "digital_agency", name="organization_kind", native_enum=False, create_constraint=True), nullable=False),
    sa.Column("prefecture", sa.String(length=10), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    sa.UniqueConstraint("code", name=op.f("uq_organizations_code"))
    )
    op.create_table("programs",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("name", sa.String(length=200), nullable=False),
    sa.Column("ministry_id", sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(["ministry_id"], ["organizations.id"], name=op.f("fk_programs_ministry_id_organizations")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_programs")),
    sa.UniqueConstraint("name", name=op.f("uq_programs_name"))
    )
    op.create_index(op.f("ix_programs_ministry_id"), "programs", ["ministry_id"], unique=False)

    op.create_table("users",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("login", sa.String(length=64), nullable=False),
    sa.Column("display_name", sa.String(length=100), nullable=False),
    sa.Column("organization_id", sa.Integer(), nullable=False),
    sa.Column("password_hash", sa.String(length=255), nullable=False),
    sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], name=op.f("fk_users_organization_id_organizations")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    sa.UniqueConstraint("login", name=op.f("uq_users_login"))
    )
    op.create_index(op.f("ix_users_organization_id"), "users", ["organization_id"], unique=False)

    op.create_table("cases",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("program_id", sa.Integer(), nullable=False),
    sa.Column("agency_id", sa.Integer(), nullable=False),
    sa.Column("source_record_id", sa.String(length=64), nullable=False),
    sa.Column("registered_number", sa.String(length=12), nullable=False),
    sa.Column("record_name", sa.String(length=100), nullable=True),
    sa.Column("record_kana", sa.String(length=100), nullable=True),
    sa.Column("record_birth_date", sa.Date(), nullable=True),
    sa.Column("record_sex", sa.Enum("male", "female", name="record_sex", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("record_address", sa.String(length=300), nullable=True),
    sa.Column("registry_name", sa.String(length=100), nullable=True),
    sa.Column("registry_kana", sa.String(length=100), nullable=True),
    sa.Column("registry_birth_date", sa.Date(), nullable=True),
    sa.Column("registry_sex", sa.Enum("male", "female", name="registry_sex", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("registry_address", sa.String(length=300), nullable=True),
    sa.Column("grade", sa.Enum("A", "B", "C", name="grade", native_enum=False, create_constraint=True), nullable=False),
    sa.Column("field_verdicts", sa.JSON(), nullable=False),
    sa.Column("grade_reason", sa.Text(), nullable=True),
    sa.Column("status", sa.Enum("detected", "verifying", "confirmed", "false", "corrected", "notified", name="case_status", native_enum=False, create_constraint=True), nullable=False),
    sa.Column("assignee_id", sa.Integer(), nullable=True),
    sa.Column("due_date", sa.Date(), nullable=True),
    sa.Column("detected_at", sa.DateTime(), nullable=False),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    sa.Column("cause", sa.Enum("two_fact_query", "family_member_number", "application_miswritten", "employer_miswritten", "manual_transcription", "system_input_error", "duplicate_business_key", "shared_terminal_logout", "adjacent_case_swap", "other", name="cause", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("cause_other", sa.Text(), nullable=True),
    sa.Column("dismiss_reason", sa.Enum("surname_change", "unreported_move", "notation_difference", "own_data_entry_error", "other", name="dismiss_reason", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("dismiss_reason_other", sa.Text(), nullable=True),
    sa.Column("viewed_on_portal", sa.Enum("yes", "no", "unknown", name="viewed_on_portal", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("viewed_what", sa.Text(), nullable=True),
    sa.Column("viewed_on", sa.Date(), nullable=True),
    sa.Column("viewing_suspended", sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column("notified_on", sa.Date(), nullable=True),
    sa.Column("notification_method", sa.Enum("mail", "counter", "phone", "other", name="notification_method", native_enum=False, create_constraint=True), nullable=True),
    sa.ForeignKeyConstraint(["agency_id"], ["organizations.id"], name=op.f("fk_cases_agency_id_organizations")),
    sa.ForeignKeyConstraint(["assignee_id"], ["users.id"], name=op.f("fk_cases_assignee_id_users")),
    sa.ForeignKeyConstraint(["program_id"], ["programs.id"], name=op.f("fk_cases_program_id_programs")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    sa.UniqueConstraint("agency_id", "program_id", "source_record_id", name=op.f("uq_cases_agency_id_program_id_source_record_id"))
    )
    op.create_index("ix_cases_agency_status_due", "cases", ["agency_id", "status", "due_date"], unique=False)
    op.create_index(op.f("ix_cases_assignee_id"), "cases", ["assignee_id"], unique=False)
    op.create_index(op.f("ix_cases_program_id"), "cases", ["program_id"], unique=False)

    op.create_table("user_roles",
    sa.Column("user_id", sa.Integer(), nullable=False),
    sa.Column("role", sa.Enum("caseworker", "supervisor", "ministry_officer", "digital_agency_officer", "administrator", name="role", native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_roles"))
    )
    op.create_table("case_events",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("actor_id", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.Column("trigger", sa.String(length=40), nullable=False),
    sa.Column("from_status", sa.Enum("detected", "verifying", "confirmed", "false", "corrected", "notified", name="event_from_status", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("to_status", sa.Enum("detected", "verifying", "confirmed", "false", "corrected", "notified", name="event_to_status", native_enum=False, create_constraint=True), nullable=True),
    sa.Column("comment", sa.Text(), nullable=True),
    sa.Column("details", sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users")),
    sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events"))
    )
    op.create_index(op.f("ix_case_events_case_id"), "case_events", ["case_id"], unique=False)
    _create_append_only_triggers()

    op.create_table("corrections",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("case_id", sa.Integer(), nullable=False),
    sa.Column("status", sa.Enum("proposed", "approved", "returned", name="correction_status", native_enum=False, create_constraint=True), nullable=False),
    sa.Column("wrong_number_removed", sa.Boolean(), nullable=False),
    sa.Column("outcome", sa.Enum("linked", "unlinked", name="correction_outcome", native_enum=False, create_constraint=True), nullable=False),
    sa.Column("linked_number", sa.String(length=12), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("proposed_by_id", sa.Integer(), nullable=False),
    sa.Column("proposed_at", sa.DateTime(), nullable=False),
    sa.Column("decided_by_id", sa.Integer(), nullable=True),
    sa.Column("decided_at", sa.DateTime(), nullable=True),
    sa.Column("decision_comment", sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_corrections_case_id_cases")),
    sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_corrections_decided_by_id_users")),
    sa.ForeignKeyConstraint(["proposed_by_id"], ["users.id"], name=op.f("fk_corrections_proposed_by_id_users")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections"))
    )
    op.create_index(op.f("ix_corrections_case_id"), "corrections", ["case_id"], unique=False)



def downgrade() -> None:
    op.drop_index(op.f("ix_corrections_case_id"), table_name="corrections")

    op.drop_table("corrections")
    _drop_append_only_triggers()
    op.drop_index(op.f("ix_case_events_case_id"), table_name="case_events")

    op.drop_table("case_events")
    op.drop_table("user_roles")
    op.drop_index(op.f("ix_cases_program_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_assignee_id"), table_name="cases")
    op.drop_index("ix_cases_agency_status_due", table_name="cases")

    op.drop_table("cases")
    op.drop_index(op.f("ix_users_organization_id"), table_name="users")

    op.drop_table("users")
    op.drop_index(op.f("ix_programs_ministry_id"), table_name="programs")

    op.drop_table("programs")
    op.drop_table("organizations")


def _create_append_only_triggers() -> None:
    create_append_only_triggers(op.get_bind(), "case_events")


def _drop_append_only_triggers() -> None:
    drop_append_only_triggers(op.get_bind(), "case_events")
