"""The layout of the published tables: lines per program, 万 units, rates to three decimals.

Pure code (no database): the same lines are built from live cases, from a snapshot or from
published aggregate figures, and every page, export and the CLI prints them through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

# Counts of a million or more are printed in 万 (as the published table does: 1,571万件 but 157,763件).
MAN_UNITS_FROM = 1_000_000
DASH = "—"


@dataclass(frozen=True)
class Line:
    """One line of a per-program (or per-agency) table, or its total."""

    label: str
    records: int
    errors: int  # found by the inspection of these records: the rate is errors / records
    viewed: int = 0  # viewed and resolved count every error, found by inspection or separately
    errors_separate: int = 0  # found otherwise (opened by hand …), as the published footnotes count them
    resolved: int = 0
    agencies: int | None = None
    ministry: str = ""
    cause: str = ""
    program_id: int | None = None
    agency_id: int | None = None
    # How many programs the line stands for: several for 「その他（12事務）」 and the total.
    programs: int = 1
    is_group: bool = False  # 「その他（N事務）」
    is_total: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def rate(self) -> Decimal | None:
        return rate(self.errors, self.records)

    @property
    def rate_text(self) -> str:
        """The rate as published: 0.119%; 「—」 for a group of programs without errors."""
        if self.is_group and self.errors == 0:
            return DASH
        return format_rate(self.rate)

    @property
    def records_text(self) -> str:
        return format_count(self.records)

    @property
    def errors_text(self) -> str:
        return format_count(self.errors)

    @property
    def errors_all(self) -> int:
        return self.errors + self.errors_separate

    @property
    def unresolved(self) -> int:
        return self.errors_all - self.resolved


def rate(errors: int, records: int) -> Decimal | None:
    """Errors per records inspected, in percent, rounded half up to three decimals; None without records."""
    if not records:
        return None
    return (Decimal(errors) * 100 / Decimal(records)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def format_rate(value: Decimal | None) -> str:
    return DASH if value is None else f"{value}%"


def round_man(count: int) -> int:
    """A count in 万 (10,000), rounded half up: 82,076,482 → 8,208."""
    return int((Decimal(count) / 10_000).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_count(count: int, unit: str = "件") -> str:
    """1,571万件 from a million up, 157,763件 below."""
    if count >= MAN_UNITS_FROM:
        return f"{round_man(count):,}万{unit}"
    return f"{count:,}{unit}"


def total(lines: list[Line], label: str = "合計", *, agencies: int | None = None) -> Line:
    """The total line. Agencies are not summed (one agency inspects several programs): pass the count."""
    return Line(
        label=label, records=sum(x.records for x in lines), errors=sum(x.errors for x in lines),
        errors_separate=sum(x.errors_separate for x in lines), viewed=sum(x.viewed for x in lines), resolved=sum(x.resolved for x in lines), agencies=agencies,
        programs=sum(x.programs for x in lines), is_total=True,
    )


def published_layout(lines: list[Line]) -> list[Line]:
    """The first table of the 2023 report: programs with errors one by one, the others as one line.

    「その他（12事務）」 gathers the programs in which no error was found.
    """
    shown = [x for x in lines if x.errors_all]
    quiet = [x for x in lines if not x.errors_all]
    if quiet:
        agencies = [x.agencies for x in quiet]
        shown.append(Line(
            label=f"その他（{len(quiet)}事務）", records=sum(x.records for x in quiet), errors=0, errors_separate=0,
            viewed=sum(x.viewed for x in quiet), resolved=sum(x.resolved for x in quiet),
            agencies=None if None in agencies else sum(agencies), programs=len(quiet), is_group=True,
        ))
    return shown


def with_label(line: Line, label: str) -> Line:
    return replace(line, label=label)
