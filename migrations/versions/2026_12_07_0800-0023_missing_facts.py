"""Records that lack facts (住登外, missing verdicts) and the follow-up of unlinked corrections: no schema change.

Nothing here needs a column or a table:

- a record without an address (or kana, sex, birth date) is graded with the verdict ``missing``, which
  ``cases.field_verdicts`` (JSON) already holds; ``cases.record_address`` was already nullable;
- the 住登外 mark of an extract is read and graded (reason 「住登外者: 住基ネット照会で確認」, grade B) but
  not stored: the case keeps its grade and reason as every case does;
- 本人特定待ち (a correction that left the number unlinked, with no approved linking since) is derived
  from the ``corrections`` rows (``Case.awaits_identification``), and linking later is a new
  ``corrections`` row approved through the ``link_later`` transition, recorded in ``case_events``.

The revision stays so that the chain 0022_search → 0023_missing_facts → 0024_administration holds.

Revision ID: 0023_missing_facts
Revises: 0022_search
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

revision = "0023_missing_facts"
down_revision = "0022_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """No schema change (see the module's docstring)."""


def downgrade() -> None:
    """No schema change to revert."""
