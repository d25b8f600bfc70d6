"""Decisions a second person checks: dismissals as proposals, withdrawn proposals, how identity was verified.

A dismissal (誤りなしの判断) is now proposed by staff and approved, returned or withdrawn like a
correction: ``dismissals`` holds each proposal with its reason and its decision. Every case already
dismissed gets one approved dismissal, from its last ``dismiss`` event: proposed and decided by the
person who dismissed it then (no second person checked it; the row says so). A proposal of either
kind may now be withdrawn by its proposer (``corrections.status`` gains ``withdrawn``). A confirmation
records how identity was verified: method (``other`` with its text), day and who
(``cases.identity_*``); cases confirmed before have none.

Going down drops the dismissals (an approved one's reason stays on its case, a pending one leaves
its case in verification as it is) and the identity columns, and turns withdrawn corrections into
returned ones (nothing pending either way: staff may propose again).

Revision ID: 0018_decisions
Revises: 0017_parties_recipients
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_decisions"
down_revision = "0017_parties_recipients"
branch_labels = None
depends_on = None

OLD_STATUSES = ("proposed", "approved", "returned")
NEW_STATUSES = ("proposed", "approved", "returned", "withdrawn")
REASONS = ("surname_change", "unreported_move", "notation_difference", "own_data_entry_error", "other")
IDENTITY_METHODS = ("my_number_card", "notification_card", "resident_record", "asked_the_person", "registry_query",
                    "other")
MIGRATED = "承認の仕組みの導入前に、この職員が単独で判断したもの（移行時に記録）"


def _status_type(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


def upgrade() -> None:
    with op.batch_alter_table("corrections") as batch:
        batch.alter_column("status", existing_type=_status_type(OLD_STATUSES, "correction_status"),
                           type_=_status_type(NEW_STATUSES, "correction_status"), existing_nullable=False)

    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("identity_method", sa.Enum(*IDENTITY_METHODS, name="identity_method",
                                                              native_enum=False, create_constraint=True),
                                   nullable=True))
        batch.add_column(sa.Column("identity_method_other", sa.Text(), nullable=True))
        batch.add_column(sa.Column("identity_verified_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("identity_verified_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_cases_identity_verified_by_id_users"), "users",
                                 ["identity_verified_by_id"], ["id"])

    op.create_table(
        "dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", _status_type(NEW_STATUSES, "dismissal_status"), nullable=False),
        sa.Column("reason", sa.Enum(*REASONS, name="dismissal_reason", native_enum=False, create_constraint=True),
                  nullable=False),
        sa.Column("reason_other", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_dismissals_case_id_cases")),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["users.id"], name=op.f("fk_dismissals_proposed_by_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"], name=op.f("fk_dismissals_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dismissals")),
    )
    op.create_index(op.f("ix_dismissals_case_id"), "dismissals", ["case_id"])
    _record_past_dismissals(op.get_bind())


def _record_past_dismissals(bind) -> None:
    """One approved dismissal for each case now 誤りなし, from the event that dismissed it."""
    cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("status", sa.String),
                     sa.column("assignee_id", sa.Integer), sa.column("updated_at", sa.DateTime),
                     sa.column("dismiss_reason", sa.String), sa.column("dismiss_reason_other", sa.Text))
    events = sa.table("case_events", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer),
                      sa.column("trigger", sa.String), sa.column("actor_id", sa.Integer),
                      sa.column("created_at", sa.DateTime), sa.column("comment", sa.Text))
    dismissals = sa.table("dismissals", sa.column("case_id", sa.Integer), sa.column("status", sa.String),
                          sa.column("reason", sa.String), sa.column("reason_other", sa.Text),
                          sa.column("note", sa.Text), sa.column("proposed_by_id", sa.Integer),
                          sa.column("proposed_at", sa.DateTime), sa.column("decided_by_id", sa.Integer),
                          sa.column("decided_at", sa.DateTime), sa.column("decision_comment", sa.Text))
    last_event = {}
    for case_id, actor_id, created_at, comment in bind.execute(
            sa.select(events.c.case_id, events.c.actor_id, events.c.created_at, events.c.comment)
            .where(events.c.trigger == "dismiss").order_by(events.c.id)):
        last_event[case_id] = (actor_id, created_at, comment)
    rows = []
    for case_id, assignee_id, updated_at, reason, reason_other in bind.execute(
            sa.select(cases.c.id, cases.c.assignee_id, cases.c.updated_at, cases.c.dismiss_reason,
                      cases.c.dismiss_reason_other).where(cases.c.status == "false").order_by(cases.c.id)):
        actor_id, at, comment = last_event.get(case_id, (assignee_id, updated_at, None))
        if actor_id is None:  # nobody to name as its author: the case keeps its reason, without a row
            continue
        rows.append({"case_id": case_id, "status": "approved", "reason": reason or "other",
                     "reason_other": reason_other if reason else "（理由の記録なし）", "note": comment,
                     "proposed_by_id": actor_id, "proposed_at": at, "decided_by_id": actor_id, "decided_at": at,
                     "decision_comment": MIGRATED})
    if rows:
        bind.execute(dismissals.insert(), rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_dismissals_case_id"), table_name="dismissals")
    op.drop_table("dismissals")
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(op.f("fk_cases_identity_verified_by_id_users"), type_="foreignkey")
        batch.drop_column("identity_verified_by_id")
        batch.drop_column("identity_verified_on")
        batch.drop_column("identity_method_other")
        # SQLite keeps a CHECK constraint naming a dropped column when the table is copied: drop it first.
        batch.drop_constraint("identity_method", type_="check")
        batch.drop_column("identity_method")
    op.get_bind().execute(sa.text("UPDATE corrections SET status = 'returned' WHERE status = 'withdrawn'"))
    with op.batch_alter_table("corrections") as batch:
        batch.alter_column("status", existing_type=_status_type(NEW_STATUSES, "correction_status"),
                           type_=_status_type(OLD_STATUSES, "correction_status"), existing_nullable=False)
