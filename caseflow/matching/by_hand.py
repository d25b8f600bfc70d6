"""Grading records typed in by hand (a case opened by hand, a short list): the rules of the files.

A case opened by hand is graded by the same grader as an inspection's files
(:func:`caseflow.matching.grading.grade`): its record and, when known, the registry's facts for its
number become one-row-per-record frames, so every verdict and grade comes from the one rule table.
Until the registry's facts are known there is nothing to compare: such a record is B with every
verdict ``missing``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields

import polars as pl

from caseflow.matching.fields import EXTRACT_SCHEMA
from caseflow.matching.grading import grade
from caseflow.matching.verdicts import FIELDS, MISSING

# Until the registry's facts are entered, a record is to be checked (B), and says why.
NOT_ENTERED_GRADE = "B"
NOT_ENTERED_REASON = "住民基本台帳の情報が未入力のため、照合していません（入力すると判定し直します）。"


@dataclass(frozen=True)
class Facts:
    """The basic four facts of one side as typed; None where blank (unknown, or not held by the program)."""

    name: str | None = None
    kana: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None  # "male" or "female", as the extract reader gives it
    address: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True)
class Entered:
    """One record typed in: its registered My Number (12 digits), its facts, the registry's (None: not yet)."""

    number: str
    record: Facts
    registry: Facts | None = None


@dataclass(frozen=True)
class Grading:
    """A record's grade ("A", "B", "C"), the reason a caseworker reads, and a verdict per field of FIELDS."""

    grade: str
    reason: str
    verdicts: dict[str, str]


def grade_entered(entries: Sequence[Entered]) -> list[Grading]:
    """Grade records typed in by hand, in one call of the grader for all those with registry facts.

    Returns one Grading per entry, in order. Entries that share a number are graded against one
    registry row, the first one's facts (the caller makes them agree: the number has one holder).
    """
    results: list[Grading | None] = [None] * len(entries)
    known = [(i, e) for i, e in enumerate(entries) if e.registry is not None and not e.registry.is_empty()]
    for i, entry in enumerate(entries):
        if entry.registry is None or entry.registry.is_empty():
            results[i] = Grading(NOT_ENTERED_GRADE, NOT_ENTERED_REASON, dict.fromkeys(FIELDS, MISSING))
    if known:
        records = _frame([(f"h{i}", e.number, e.record) for i, e in known])
        seen: dict[str, Facts] = {}
        for _i, e in known:
            seen.setdefault(e.number, e.registry)
        graded = grade(records, _frame([(None, number, facts) for number, facts in seen.items()]))
        for (i, _entry), row in zip(known, graded.iter_rows(named=True), strict=True):
            results[i] = Grading(row["grade"], row["reason"] or "",
                                 {f: str(row[f"verdict_{f}"]) for f in FIELDS})
    return [r for r in results if r is not None]


def _frame(rows: list[tuple[str | None, str, Facts]]) -> pl.DataFrame:
    """An extract as read_extract returns it (its schema), from facts typed in: the fields typed by hand
    are the number and the four facts; the others (bank account, business key …) are empty."""
    columns: dict[str, list] = {name: [] for name in EXTRACT_SCHEMA.names()}
    for position, (record_id, number, facts) in enumerate(rows, start=2):
        values = {"row": position, "record_id": record_id, "my_number": number, "name": facts.name,
                  "name_kana": facts.kana, "birth_date": facts.birth_date, "sex": facts.sex,
                  "address": facts.address}
        for name in columns:
            columns[name].append(values.get(name))
    return pl.DataFrame(columns, schema=EXTRACT_SCHEMA)
