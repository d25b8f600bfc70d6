"""The campaign view (点検の進捗): per program and agency, the obligation the practice survey gave
(caseflow.surveys), its deadline and progress, beside the inspection's figures — what the
ministries and the Digital Agency follow until every obligated agency has reported its end.

The figures are the reports' (``figures.live_grains``), the obligations' progress the surveys'
(``obligations.progress``): nothing is counted a second time here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import sqlalchemy as sa
import xlsxwriter
from sqlalchemy.orm import Session

from caseflow.core.cells import safe_cell
from caseflow.core.japanese import today_jst
from caseflow.organizations.models import Organization, Program
from caseflow.reports.figures import Grain, live_grains
from caseflow.surveys import obligations
from caseflow.users.models import User

# The figures of a row, by name and as the pages head them.
FIGURES = (("records", "点検対象件数"), ("open_cases", "未完了の案件"), ("confirmed", "誤り確定"), ("corrected", "訂正済"),
           ("notified", "通知済"), ("viewed", "閲覧あり"), ("errors_separate", "点検以外で判明"))
COLUMNS = ("事務", "所管府省庁", "機関コード", "紐付け実施機関", "点検義務", "期限", "状況", "点検対象件数", "未完了の案件",
           "誤り確定", "訂正済", "通知済", "閲覧あり", "点検以外で判明", "終了の報告", "期限超過")


@dataclass(frozen=True)
class CampaignRow:
    program: Program
    agency: Organization
    grain: Grain
    state: obligations.Progress | None  # None: no obligation from a survey (inspected all the same)

    @property
    def obligation(self):
        return self.state.obligation if self.state else None

    @property
    def records(self) -> int:
        return self.grain.records

    @property
    def notified(self) -> int:
        return self.grain.notified

    @property
    def viewed(self) -> int:
        return self.grain.viewed

    @property
    def errors_separate(self) -> int:
        return self.grain.errors_separate

    @property
    def open_cases(self) -> int:
        """Cases not yet at their end (通知済 or 誤りなし): OPEN_STATUSES, as the obligation's status counts them."""
        return self.grain.cases - self.grain.notified - self.grain.dismissed

    @property
    def confirmed(self) -> int:
        return self.grain.errors + self.grain.errors_separate - self.grain.resolved

    @property
    def corrected(self) -> int:
        return self.grain.resolved - self.grain.notified

    @property
    def overdue(self) -> bool:
        return bool(self.state and self.state.overdue)

    @property
    def obligation_text(self) -> str:
        if self.obligation is None:
            return "—"
        return ("要" + (f"（{self.obligation.scope_label}）" if self.obligation.scope_label != "全件" else "")
                if self.obligation.required else "不要")

    def cells(self) -> list:
        o = self.obligation
        return [self.program.name, self.program.ministry.name, self.agency.code, self.agency.name, self.obligation_text,
                o.deadline.isoformat() if o is not None and o.required else "",
                self.state.status.label if self.state else "", self.grain.records, self.open_cases, self.confirmed,
                self.corrected, self.grain.notified, self.grain.viewed, self.grain.errors_separate,
                o.signed_off_at.astimezone(dt.UTC).date().isoformat() if o is not None and o.signed_off_at else "",
                "期限超過" if self.overdue else ""]


def campaign_rows(session: Session, user: User | None, *, today: dt.date | None = None) -> list[CampaignRow]:
    """Every (program, agency) the user may see that has an obligation to inspect or figures of its
    own; the overdue first, then by program and organisation code."""
    grains = {(g.program_id, g.agency_id): g for g in live_grains(session, user)}
    states = {(s.obligation.program_id, s.obligation.organization_id): s
              for s in obligations.progress(session, obligations.visible_obligations(session, user), today=today)}
    keys = set(grains) | {key for key, s in states.items() if s.obligation.required}
    programs = {p.id: p for p in session.scalars(sa.select(Program).where(Program.id.in_({p for p, _ in keys})))}
    agencies = {o.id: o for o in session.scalars(sa.select(Organization).where(
        Organization.id.in_({a for _, a in keys})))}
    rows = [CampaignRow(programs[p], agencies[a], grains.get((p, a)) or Grain(p, a), states.get((p, a)))
            for p, a in keys]
    return sorted(rows, key=lambda r: (not r.overdue, r.program.id, r.agency.code))


@dataclass(frozen=True)
class ProgramProgress:
    """One program's line of the campaign: its agencies' rows summed, and how many must inspect,
    have reported their end, or are late."""

    program: Program
    rows: tuple[CampaignRow, ...]

    @property
    def obligated(self) -> int:
        return sum(1 for r in self.rows if r.obligation is not None and r.obligation.required)

    @property
    def signed_off(self) -> int:
        return sum(1 for r in self.rows if r.obligation is not None and r.obligation.signed_off_at is not None)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)

    @property
    def inspecting(self) -> int:
        return sum(1 for r in self.rows if r.grain.records)

    def figure(self, name: str) -> int:
        """One of CampaignRow's figures (FIGURES), summed over the program's agencies."""
        return sum(getattr(r, name) for r in self.rows)


def by_program(rows: list[CampaignRow]) -> list[ProgramProgress]:
    """The campaign per program (the rows grouped), the programs with agencies late first."""
    grouped: dict[int, list[CampaignRow]] = {}
    for row in rows:
        grouped.setdefault(row.program.id, []).append(row)
    lines = [ProgramProgress(group[0].program, tuple(group)) for group in grouped.values()]
    return sorted(lines, key=lambda p: (-p.overdue, p.program.id))


def campaign_csv(rows: list[CampaignRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row.cells()])
    return out.getvalue()


def campaign_xlsx(title: str, rows: list[CampaignRow]) -> bytes:
    """One sheet laid out as the published tables are: a title, the date, headed columns, counts
    as numbers; the overdue rows in red."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False})
    sheet = workbook.add_worksheet("点検の進捗")
    bold = workbook.add_format({"bold": True, "font_size": 14})
    head = workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                                "valign": "vcenter"})
    cell = workbook.add_format({"border": 1})
    number = workbook.add_format({"border": 1, "num_format": "#,##0"})
    late = workbook.add_format({"border": 1, "font_color": "#C00000", "bold": True})
    sheet.write_string(0, 0, title, bold)
    sheet.write_string(1, 0, f"{today_jst():%Y年%-m月%-d日}現在", workbook.add_format({}))
    for col, name in enumerate(COLUMNS):
        sheet.write_string(3, col, name, head)
    for r, row in enumerate(rows, start=4):
        for col, value in enumerate(row.cells()):
            if isinstance(value, int):
                sheet.write_number(r, col, value, number)
            else:
                sheet.write_string(r, col, str(safe_cell(value)), late if row.overdue and col == len(COLUMNS) - 1
                                   else cell)
    sheet.set_column(0, 0, 34)
    sheet.set_column(1, 1, 18)
    sheet.set_column(3, 3, 22)
    sheet.set_column(4, len(COLUMNS) - 1, 11)
    sheet.freeze_panes(4, 4)
    sheet.autofilter(3, 0, 3 + len(rows), len(COLUMNS) - 1)
    workbook.close()
    return buffer.getvalue()
