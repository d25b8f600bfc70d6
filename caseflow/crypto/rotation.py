"""Key rotation: re-encrypt every stored value under the current key, and count values per key.

Rotating is: put a new key first in CASEFLOW_ENCRYPTION_KEYS (the old ones after it), restart,
run ``caseflow keys rotate``; once ``caseflow keys status`` shows nothing under an old key, that
key can be removed. Each batch is committed: a rotation stopped half-way continues where it
stopped when run again (it only looks for values not yet under the current key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.crypto.keys import Keyring, current_keyring
from caseflow.crypto.types import VERSION, EncryptedType, seal, unseal

# (table, rows done, rows to do) after each batch.
Progress = Callable[[str, int, int], None]
PLAINTEXT = ""  # the "key id" of values stored before encryption


@dataclass(frozen=True)
class EncryptedTable:
    """A table with encrypted columns, as plain text columns (no type processing, no defaults)."""

    name: str
    columns: tuple[str, ...]

    @property
    def table(self) -> sa.TableClause:
        return sa.table(self.name, sa.column("id", sa.Integer()), *(sa.column(c, sa.String()) for c in self.columns))


def encrypted_tables() -> list[EncryptedTable]:
    """Every table with encrypted columns, found in the models (no list to keep up to date).

    Such a table needs an integer ``id`` primary key: rotation walks it in ``id`` order.
    """
    import caseflow.models  # noqa: F401  (registers every table)
    from caseflow.db import Base

    found = []
    for table in Base.metadata.sorted_tables:
        columns = tuple(c.name for c in table.columns if isinstance(c.type, EncryptedType))
        if columns:
            found.append(EncryptedTable(table.name, columns))
    return found


def key_usage(session: Session) -> dict[str, dict[str, int]]:
    """For each encrypted column (``table.column``), how many values each key id holds ("" = plaintext)."""
    usage: dict[str, dict[str, int]] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    marker = f"{VERSION}:"
    for spec in encrypted_tables():
        table = spec.table
        for name in spec.columns:
            column = table.c[name]
            if postgres:
                kid = sa.func.split_part(column, ":", 2)
            else:  # what lies between "v1:" and the next ":"
                rest = sa.func.substr(column, len(marker) + 1)
                kid = sa.func.substr(rest, 1, sa.func.instr(rest, ":") - 1)
            labelled = (sa.select(sa.case((sa.func.substr(column, 1, len(marker)) == marker, kid), else_=PLAINTEXT)
                                  .label("kid"))
                        .where(column.is_not(None)).subquery())
            rows = session.execute(sa.select(labelled.c.kid, sa.func.count()).group_by(labelled.c.kid)).all()
            usage[f"{spec.name}.{name}"] = {kid: count for kid, count in rows}
    return usage


def _stale(table: sa.TableClause, columns: tuple[str, ...], prefix: str) -> sa.ColumnElement[bool]:
    return sa.or_(*(sa.and_(table.c[c].is_not(None), sa.func.substr(table.c[c], 1, len(prefix)) != prefix)
                    for c in columns))


def rotate(session: Session, *, batch: int = 1000, keyring: Keyring | None = None,
           progress: Progress | None = None) -> int:
    """Re-encrypt under the current key every value that is not; commit after each batch.

    Returns how many rows were rewritten. A row changed by someone else between our read and
    our write is left as they wrote it (under the current key: every write uses it).
    """
    keyring = keyring or current_keyring()
    return sum(_rotate_table(session, spec, keyring, batch, progress) for spec in encrypted_tables())


def _rotate_table(session: Session, spec: EncryptedTable, keyring: Keyring, batch: int,
                  progress: Progress | None) -> int:
    table = spec.table
    prefix = f"{VERSION}:{keyring.current_kid}:"
    stale = _stale(table, spec.columns, prefix)
    total = session.scalar(sa.select(sa.func.count()).select_from(table).where(stale))
    # Only where the row still holds what was read (compare-and-set).
    update = (table.update()
              .where(table.c.id == sa.bindparam("_id"),
                     *(table.c[c].is_not_distinct_from(sa.bindparam(f"_old_{c}")) for c in spec.columns))
              .values({c: sa.bindparam(f"_new_{c}") for c in spec.columns}))
    done = last = 0
    while rows := session.execute(sa.select(table).where(stale, table.c.id > last)
                                  .order_by(table.c.id).limit(batch)).all():
        params = []
        for row in rows:
            values = row._mapping
            param = {"_id": values["id"]}
            for name in spec.columns:
                old = values[name]
                param[f"_old_{name}"] = old
                param[f"_new_{name}"] = (old if old is None or old.startswith(prefix)
                                         else _reseal(old, f"{spec.name}.{name}", keyring))
            params.append(param)
        session.execute(update, params)
        session.commit()
        done, last = done + len(rows), rows[-1].id
        if progress:
            progress(spec.name, done, total)
    return done


def _reseal(stored: str, context: str, keyring: Keyring) -> str:
    return seal(unseal(stored, context, keyring), context, keyring)


def stale_values(session: Session, keyring: Keyring | None = None) -> int:
    """How many rows still hold a value not under the current key (0: the old keys can be removed)."""
    keyring = keyring or current_keyring()
    prefix = f"{VERSION}:{keyring.current_kid}:"
    count = 0
    for spec in encrypted_tables():
        table = spec.table
        count += session.scalar(sa.select(sa.func.count()).select_from(table).where(_stale(table, spec.columns, prefix)))
    return count
