"""Surveys (実態調査), their respondents' answers, the obligation rule table and the obligations.

``surveys`` (with ``survey_programs``) are the ministries' questionnaires; ``survey_respondents``
each organisation's respondent sheet and answers; ``survey_attachments`` the files the seed asks
for; ``obligation_rule_tables`` the versions of the rule table; ``inspection_obligations`` what
the answers decided per organisation and program. Inbox items may now be about a survey (a
reminder) instead of a case, and an inspection batch names the obligation it answers.

Going down drops the survey tables, the reminders and the batches' link.

Revision ID: 0025_surveys
Revises: 0024_administration
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_surveys"
down_revision = "0024_administration"
branch_labels = None
depends_on = None

OLD_INBOX_KINDS = ("confirmed", "referral", "answer")
NEW_INBOX_KINDS = (*OLD_INBOX_KINDS, "survey_reminder")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("ministry_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("questionnaire", sa.String(length=20), nullable=False),
        sa.Column("additions", sa.JSON(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("inspection_deadline", sa.Date(), nullable=False),
        sa.Column("file_code", sa.String(length=10), nullable=False),
        sa.Column("status", _enum("survey_status", "open", "closed"), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ministry_id"], ["organizations.id"],
                                name=op.f("fk_surveys_ministry_id_organizations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("code", name=op.f("uq_surveys_code")),
    )
    op.create_index(op.f("ix_surveys_ministry_id"), "surveys", ["ministry_id"])
    op.create_table(
        "survey_programs",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f("fk_survey_programs_survey_id_surveys"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"],
                                name=op.f("fk_survey_programs_program_id_programs")),
        sa.PrimaryKeyConstraint("survey_id", "program_id", name=op.f("pk_survey_programs")),
    )
    op.create_table(
        "survey_respondents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("respondent_kind", "prefecture", "municipality", "union", "member"), nullable=False),
        sa.Column("union_id", sa.Integer(), nullable=True),
        sa.Column("gatherer_id", sa.Integer(), nullable=True),
        sa.Column("status", _enum("response_status", "not_started", "draft", "submitted"), nullable=False),
        sa.Column("sheet", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_via", sa.String(length=20), nullable=True),
        sa.Column("last_reminded_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f("fk_survey_respondents_survey_id_surveys"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_survey_respondents_organization_id_organizations")),
        sa.ForeignKeyConstraint(["union_id"], ["organizations.id"],
                                name=op.f("fk_survey_respondents_union_id_organizations")),
        sa.ForeignKeyConstraint(["gatherer_id"], ["organizations.id"],
                                name=op.f("fk_survey_respondents_gatherer_id_organizations")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_survey_respondents_updated_by_id_users")),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["users.id"],
                                name=op.f("fk_survey_respondents_submitted_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_respondents")),
        sa.UniqueConstraint("survey_id", "organization_id", name=op.f("uq_survey_respondents_survey_id_organization_id")),
    )
    op.create_index(op.f("ix_survey_respondents_organization_id"), "survey_respondents", ["organization_id"])
    op.create_index("ix_survey_respondents_gatherer", "survey_respondents", ["survey_id", "gatherer_id"])
    op.create_table(
        "survey_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["respondent_id"], ["survey_respondents.id"],
                                name=op.f("fk_survey_attachments_respondent_id_survey_respondents"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"],
                                name=op.f("fk_survey_attachments_uploaded_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_attachments")),
    )
    op.create_index(op.f("ix_survey_attachments_respondent_id"), "survey_attachments", ["respondent_id"])
    op.create_table(
        "obligation_rule_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("table", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_obligation_rule_tables_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_obligation_rule_tables")),
        sa.UniqueConstraint("version", name=op.f("uq_obligation_rule_tables_version")),
    )
    op.create_table(
        "inspection_obligations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("respondent_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("deadline_reason", sa.Text(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("scope IN ('all', 'out_of_area')", name=op.f("ck_inspection_obligations_scope_known")),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_inspection_obligations_survey_id_surveys"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["respondent_id"], ["survey_respondents.id"],
                                name=op.f("fk_inspection_obligations_respondent_id_survey_respondents"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_inspection_obligations_organization_id_organizations")),
        sa.ForeignKeyConstraint(["program_id"], ["programs.id"],
                                name=op.f("fk_inspection_obligations_program_id_programs")),
        sa.ForeignKeyConstraint(["signed_off_by_id"], ["users.id"],
                                name=op.f("fk_inspection_obligations_signed_off_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_obligations")),
        sa.UniqueConstraint("survey_id", "organization_id", "program_id",
                            name=op.f("uq_inspection_obligations_survey_id_organization_id_program_id")),
    )
    op.create_index(op.f("ix_inspection_obligations_organization_id"), "inspection_obligations",
                    ["organization_id"])
    op.create_index(op.f("ix_inspection_obligations_program_id"), "inspection_obligations", ["program_id"])

    with op.batch_alter_table("inbox_items") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("survey_respondent_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_inbox_items_survey_respondent_id_survey_respondents"),
                                 "survey_respondents", ["survey_respondent_id"], ["id"], ondelete="CASCADE")
        batch.create_check_constraint(op.f("ck_inbox_items_about_one_thing"),
                                      "(case_id IS NULL) <> (survey_respondent_id IS NULL)")
        batch.drop_constraint(op.f("ck_inbox_items_inbox_kind"), type_="check")
        batch.alter_column("kind", existing_type=sa.String(length=9), type_=sa.String(length=15),
                           existing_nullable=False)
        batch.create_check_constraint(op.f("ck_inbox_items_inbox_kind"), _in("kind", NEW_INBOX_KINDS))
    with op.batch_alter_table("inspection_batches") as batch:
        batch.add_column(sa.Column("obligation_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_inspection_batches_obligation_id_inspection_obligations"),
                                 "inspection_obligations", ["obligation_id"], ["id"])
        batch.create_index(op.f("ix_inspection_batches_obligation_id"), ["obligation_id"])


def downgrade() -> None:
    with op.batch_alter_table("inspection_batches") as batch:
        batch.drop_index(op.f("ix_inspection_batches_obligation_id"))
        batch.drop_constraint(op.f("fk_inspection_batches_obligation_id_inspection_obligations"), type_="foreignkey")
        batch.drop_column("obligation_id")
    # Reminders are about surveys, which go: the older inbox holds only items about a case.
    op.get_bind().execute(sa.text("DELETE FROM inbox_items WHERE case_id IS NULL"))
    with op.batch_alter_table("inbox_items") as batch:
        batch.drop_constraint(op.f("ck_inbox_items_inbox_kind"), type_="check")
        batch.alter_column("kind", existing_type=sa.String(length=15), type_=sa.String(length=9),
                           existing_nullable=False)
        batch.create_check_constraint(op.f("ck_inbox_items_inbox_kind"), _in("kind", OLD_INBOX_KINDS))
        batch.drop_constraint(op.f("ck_inbox_items_about_one_thing"), type_="check")
        batch.drop_constraint(op.f("fk_inbox_items_survey_respondent_id_survey_respondents"), type_="foreignkey")
        batch.drop_column("survey_respondent_id")
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)
    op.drop_index(op.f("ix_inspection_obligations_program_id"), table_name="inspection_obligations")
    op.drop_index(op.f("ix_inspection_obligations_organization_id"), table_name="inspection_obligations")
    op.drop_table("inspection_obligations")
    op.drop_table("obligation_rule_tables")
    op.drop_index(op.f("ix_survey_attachments_respondent_id"), table_name="survey_attachments")
    op.drop_table("survey_attachments")
    op.drop_index("ix_survey_respondents_gatherer", table_name="survey_respondents")
    op.drop_index(op.f("ix_survey_respondents_organization_id"), table_name="survey_respondents")
    op.drop_table("survey_respondents")
    op.drop_table("survey_programs")
    op.drop_index(op.f("ix_surveys_ministry_id"), table_name="surveys")
    op.drop_table("surveys")
