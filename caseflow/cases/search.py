"""Search keys: how both people of a case are found by name, kana or birth date.

The business record's person has plain columns; the number's holder has the registry facts,
encrypted, which SQL cannot compare. Each case therefore keeps **search keys**
(``case_search_keys``): HMAC digests under the look-up key of each person's normalised full name,
family name (the part before the space), kana, family kana and birth date, normalised by the
grader's own normalisers (caseflow.matching.normalize: width, spaces, variant kanji 髙→高,
ｻｲﾄｳ→サイトウ, hiragana, small kana, long vowels). A query is normalised the same way and found
by its digests (caseflow.cases.search_queries): exact on the normalised values, never partial.

``index_case`` (one case) and ``index_cases`` (many, in bulk) are the one way the keys are kept:
the case kernel calls them when cases are opened, and whoever changes a case's people's facts
(registry facts entered later, the retention purge) calls ``index_case`` afterwards.
``caseflow search reindex`` (``reindex``) writes every case's keys again, after a change of the
normalisers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from caseflow.cases.models import Case
from caseflow.core.batches import chunked
from caseflow.crypto.keys import Keyring, current_keyring
from caseflow.db import Base
from caseflow.matching.normalize import kana_columns, name_parts_expr

# The people's facts the keys are made of, per party (the record's person, the number's holder).
PARTIES = ("record", "registry")
FACTS = ("name", "kana", "birth_date")
FACT_COLUMNS = tuple(f"{party}_{fact}" for party in PARTIES for fact in FACTS)
KINDS = ("name", "family_name", "kana", "family_kana", "birth_date")
# 128 bits of the HMAC: ample to tell values apart, and half the size of the full digest in a
# table of about five rows per case.
DIGEST_CHARS = 32
_CHUNK = 5_000


class CaseSearchKey(Base):
    """One search key of a case: the digest of one normalised fact of one of its two people."""

    __tablename__ = "case_search_keys"
    __table_args__ = (sa.Index("ix_case_search_keys_digest_case", "digest", "case_id"),)

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(DIGEST_CHARS), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # one of KINDS (the digest already tells them apart)


# --- the keys of a case ------------------------------------------------------------------------------


def digest(kind: str, value: str, keyring: Keyring | None = None) -> str:
    """The search digest of one normalised ``value`` of ``kind``."""
    return (keyring or current_keyring()).digest(value, f"search.{kind}")[:DIGEST_CHARS]


def facts_of(case: Case) -> dict:
    """The facts the keys of ``case`` are made of (decrypted: the ORM gives plain values)."""
    return {"case_id": case.id, **{column: getattr(case, column) for column in FACT_COLUMNS}}


_SCHEMA = {"case_id": pl.Int64, **{c: (pl.Date if c.endswith("birth_date") else pl.String) for c in FACT_COLUMNS}}


def _before_space(parts: pl.Expr) -> pl.Expr:
    """The family name of a name written with a space between family and given name; else null."""
    return pl.when(parts.str.contains(" ", literal=True)).then(parts.str.split(" ").list.first())


def normalised_keys(facts: Sequence[dict]) -> pl.DataFrame:
    """(case_id, kind, value) of every normalised fact of both people of each case, once each.

    Names and kana repeat (families, common names): each distinct one is normalised once."""
    frame = pl.DataFrame({c: [f.get(c) for f in facts] for c in _SCHEMA}, schema=_SCHEMA)
    people = pl.concat([frame.select("case_id", *(pl.col(f"{party}_{fact}").alias(fact) for fact in FACTS))
                        for party in PARTIES])
    kana_parts, kana = kana_columns(pl.col("kana"))
    names = people.select(pl.col("name").drop_nulls().unique()).with_columns(
        name_parts_expr(pl.col("name")).alias("parts")).select(
        "name", pl.col("parts").str.replace_all(" ", "", literal=True).alias("name_n"),
        _before_space(pl.col("parts")).alias("family_name"))
    kanas = people.select(pl.col("kana").drop_nulls().unique()).with_columns(
        kana.alias("kana_n"), _before_space(kana_parts).alias("family_kana"))
    return (
        people.join(names, on="name", how="left").join(kanas, on="kana", how="left")
        .select("case_id", pl.col("name_n").alias("name"), "family_name", pl.col("kana_n").alias("kana"),
                "family_kana", pl.col("birth_date").dt.strftime("%Y-%m-%d"))
        .unpivot(index="case_id", variable_name="kind", value_name="value")
        .filter(pl.col("value").is_not_null() & (pl.col("value") != ""))
        .unique()
    )


def search_keys(facts: Sequence[dict], keyring: Keyring | None = None) -> list[dict]:
    """The key rows (case_id, kind, digest) of the cases whose facts are given; each distinct value is hashed once."""
    if not facts:
        return []
    keyring = keyring or current_keyring()
    values = normalised_keys(facts)
    distinct = values.select("kind", "value").unique()
    digests = distinct.with_columns(pl.Series("digest", [
        digest(kind, value, keyring) for kind, value in distinct.iter_rows()], dtype=pl.String))
    return values.join(digests, on=["kind", "value"], how="left").select("case_id", "kind", "digest").to_dicts()


def index_cases(session: Session, facts: Iterable[dict], *, fresh: bool = False,
                keyring: Keyring | None = None) -> int:
    """Write the search keys of the cases whose facts are given (``facts_of``, or the rows a bulk
    opening inserted, with their ``case_id``), replacing those they had; ``fresh``: the cases are
    new and have none yet. Returns how many keys were written. No commit."""
    written = 0
    for chunk in chunked(facts, _CHUNK):
        if not fresh:
            session.execute(sa.delete(CaseSearchKey).where(CaseSearchKey.case_id.in_([f["case_id"] for f in chunk]))
                            .execution_options(synchronize_session=False))
        keys = search_keys(chunk, keyring)
        if keys:
            session.execute(sa.insert(CaseSearchKey), keys)
        written += len(keys)
    return written


def index_case(case: Case) -> int:
    """Write ``case``'s search keys from its facts as they are now (call it after changing a person's
    name, kana or birth date; none once they are disposed of). Returns how many keys it has."""
    session = object_session(case)
    if session is None:
        raise RuntimeError("case is not attached to a session")
    if case.id is None:
        session.flush()
    return index_cases(session, [facts_of(case)])


def reindex(session: Session, *, batch: int = 2_000, commit=None) -> int:
    """Write every case's search keys again (``caseflow search reindex``); ``commit`` after each batch."""
    columns = [getattr(Case, column) for column in FACT_COLUMNS]
    last, cases = 0, 0
    while True:
        rows = session.execute(sa.select(Case.id, *columns).where(Case.id > last).order_by(Case.id).limit(batch)).all()
        if not rows:
            return cases
        index_cases(session, [{"case_id": row[0], **dict(zip(FACT_COLUMNS, row[1:], strict=True))} for row in rows])
        last, cases = rows[-1][0], cases + len(rows)
        if commit is not None:
            commit()
