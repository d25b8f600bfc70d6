"""What the case pages show of a case in a line: its status and grade as badges, and the rows of the
case tables (templates/cases/_case_table.html). Template globals (caseflow.cases.views registers them)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from markupsafe import Markup

from caseflow.cases.vocabulary import CaseStatus, Grade
from caseflow.core.japanese import ymd
from caseflow.extensions import db
from caseflow.organizations import reference

# A case's status and grade as a badge, on every list row and case page: the same few fragments,
# made once (a Jinja macro called twice per row cost the list page more than a millisecond).
_STATUS_BADGES = {status: Markup('<span class="badge badge--status badge--{}">{}</span>').format(status.value, status.label)
                  for status in CaseStatus}
_GRADE_BADGES = {grade: Markup('<span class="badge badge--grade badge--grade-{0}" title="{1}">{0}</span>')
                 .format(grade.value, grade.label) for grade in Grade}


def status_badge(status: CaseStatus) -> Markup:
    return _STATUS_BADGES[status]


def grade_badge(grade: Grade) -> Markup:
    return _GRADE_BADGES[grade]


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case as a row of a case table shows it (templates/cases/_case_table.html)."""

    id: int
    reference: str
    href: str
    grade: Markup
    status: Markup
    awaiting: bool  # 本人特定待ち
    program: str
    agency: str
    name: str  # or the mark of a fact hidden from the viewer
    masked_number: str
    assignee: str
    due: str
    overdue: bool


def case_rows(cases, shows_facts, hidden: str, is_overdue, awaiting=None) -> list[CaseRow]:
    """The rows of a case table, each made here in one go: asked for fact by fact from the template, the
    50 rows of a list page were ~300 template calls and ~1,000 attribute look-ups, a fifth of the page's
    CPU. ``awaiting``: the ids of the cases awaiting identification, when the cases were loaded without
    their proposals (caseflow.cases.listing.page_of); None: each case's own proposals say."""
    known = reference.reference(db.session)
    # The case page's address differs from one case to the next only by the id at its end.
    one = url_for("cases.case_detail", case_id=1)
    prefix = one.removesuffix("1")
    rows = []
    for case in cases:
        program, agency = known.programs.get(case.program_id), known.organizations.get(case.agency_id)
        rows.append(CaseRow(
            id=case.id, reference=case.reference, href=f"{prefix}{case.id}",
            grade=_GRADE_BADGES[case.grade], status=_STATUS_BADGES[case.status],
            awaiting=case.id in awaiting if awaiting is not None else case.awaits_identification,
            program=program.name if program else case.program.name,
            agency=agency.name if agency else case.agency.name,
            name=(case.record_name or "") if shows_facts(case) else hidden,
            masked_number=case.masked_number,
            assignee=case.assignee.display_name if case.assignee else "未割当",
            due=ymd(case.due_date), overdue=is_overdue(case),
        ))
    return rows
