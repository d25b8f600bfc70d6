"""Manual intake: where a case came from (its source) and who opened it by hand.

Every case gets its source (発見の経緯): existing cases came from inspections (``inspection``, the
server default); a case opened by hand (caseflow.intake) has one of the other sources, ``other``
with its text, and the user who opened it (``opened_by_id``). ``intake_serials`` numbers the
management numbers generated for hand-opened cases entered without one (M-000001 …), per agency.

Going down drops the columns and the table; the source, its text and who opened the case stay in
the case's ``open_by_hand`` event, from which going up again restores them.

Revision ID: 0021_intake
Revises: 0020_evidence
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_intake"
down_revision = "0020_evidence"
branch_labels = None
depends_on = None

SOURCES = ("inspection", "resident_report", "eligibility_check", "ministry_notice", "past_unreported",
           "detection_model", "other")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("source", sa.Enum(*SOURCES, name="case_source", native_enum=False,
                                                     create_constraint=True),
                                   nullable=False, server_default="inspection"))
        batch.add_column(sa.Column("source_other", sa.Text(), nullable=True))
        batch.add_column(sa.Column("opened_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_cases_opened_by_id_users"), "users", ["opened_by_id"], ["id"])
    op.create_table(
        "intake_serials",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["organizations.id"],
                                name=op.f("fk_intake_serials_agency_id_organizations")),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_intake_serials")),
    )
    _restore_from_events(op.get_bind())


def _restore_from_events(bind) -> None:
    """Cases opened by hand before a downgrade get back their source and opener from their event."""
    events = sa.table("case_events", sa.column("case_id", sa.Integer), sa.column("actor_id", sa.Integer),
                      sa.column("trigger", sa.String), sa.column("details", sa.JSON))
    cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("source", sa.String),
                     sa.column("source_other", sa.Text), sa.column("opened_by_id", sa.Integer))
    rows = bind.execute(sa.select(events.c.case_id, events.c.actor_id, events.c.details)
                        .where(events.c.trigger == "open_by_hand")).all()
    for case_id, actor_id, details in rows:
        details = details or {}
        source = details.get("source") if details.get("source") in SOURCES else "other"
        bind.execute(cases.update().where(cases.c.id == case_id).values(
            source=source, source_other=details.get("source_other"), opened_by_id=actor_id))


def downgrade() -> None:
    op.drop_table("intake_serials")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(op.f("fk_cases_opened_by_id_users"), type_="foreignkey")
        batch.drop_column("opened_by_id")
        batch.drop_column("source_other")
        # SQLite keeps a CHECK constraint naming a dropped column when the table is copied: drop it first.
        batch.drop_constraint("case_source", type_="check")
        batch.drop_column("source")
