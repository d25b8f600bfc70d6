"""My Numbers typed into free text before the guard existed, masked to their last four digits.

Since this revision every free-text column (``caseflow.core.free_text``) is masked before it is
stored; this masks what was stored before, with the same rule (``mask_my_numbers``).
case_events is append-only: its triggers are dropped for the rewrite and put back at once, in
the same transaction. The access records' purposes are left as written: each row's hash covers
its purpose, and rewriting them would break the chain that proves nothing was changed (the
purpose is shown only to auditors).

Revision ID: 0015_mask_free_text
Revises: 0014_case_list_indexes
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from caseflow.core.free_text import mask_value
from caseflow.db import create_append_only_triggers, drop_append_only_triggers

revision = "0015_mask_free_text"
down_revision = "0014_case_list_indexes"
branch_labels = None
depends_on = None

# table -> its free-text columns (JSON columns marked so; their strings are masked inside).
FREE_TEXT = {
    "cases": ("cause_other", "dismiss_reason_other", "viewed_what"),
    "case_events": ("comment", "details:json"),
    "corrections": ("note", "decision_comment"),
    "referrals": ("question", "answer"),
    "inbox_items": ("message",),
    "letters": ("void_reason", "return_note"),
    "saved_filters": ("name",),
    "api_tokens": ("name",),
    "inspection_batches": ("records_filename", "registry_filename"),
}
BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    for table_name, specs in FREE_TEXT.items():
        columns = [sa.column(spec.split(":")[0], sa.JSON if spec.endswith(":json") else sa.Text) for spec in specs]
        table = sa.table(table_name, sa.column("id", sa.Integer), *columns)
        append_only = table_name == "case_events"
        if append_only:
            drop_append_only_triggers(bind, table_name)
        last_id = 0
        while True:
            rows = bind.execute(sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(BATCH)).all()
            if not rows:
                break
            last_id = rows[-1].id
            for row in rows:
                changed = {}
                for column in columns:
                    value = getattr(row, column.name)
                    if value is not None and (masked := mask_value(value)) != value:
                        changed[column.name] = masked
                if changed:
                    bind.execute(table.update().where(table.c.id == row.id).values(**changed))
        if append_only:
            create_append_only_triggers(bind, table_name)


def downgrade() -> None:
    # A masked number is gone for good; there is nothing to put back.
    pass
