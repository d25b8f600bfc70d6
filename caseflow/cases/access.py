"""Who may see and act on which case: the one place these rules live."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.models import Case
from caseflow.errors import NotFound
from caseflow.organizations.models import Program
from caseflow.users.models import Role, User

STAFF_ROLES = (Role.CASEWORKER, Role.SUPERVISOR)


def visible_cases_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL condition selecting the cases ``user`` may see.

    A linking agency's staff see their own organisation's cases, a ministry
    officer every case of the ministry's programs, a Digital Agency officer
    all cases. Anyone else sees none.
    """
    clauses = []
    if user.has_role(*STAFF_ROLES):
        clauses.append(Case.agency_id == user.organization_id)
    if user.has_role(Role.MINISTRY_OFFICER):
        clauses.append(
            Case.program_id.in_(
                sa.select(Program.id).where(Program.ministry_id == user.organization_id)
            )
        )
    if user.has_role(Role.DIGITAL_AGENCY_OFFICER):
        clauses.append(sa.true())
    return sa.or_(*clauses) if clauses else sa.false()


def get_visible_case(session: Session, case_id: int, user: User) -> Case:
    """Load a case the user may see; any other case is 'not found', whether it exists or not."""
    stmt = sa.select(Case).where(Case.id == case_id, visible_cases_clause(user))
    case = session.scalars(stmt).one_or_none()
    if case is None:
        raise NotFound("案件が見つかりません。")
    return case


def is_agency_staff(user: User, case: Case) -> bool:
    """Caseworkers and supervisors of the linking agency that holds the case."""
    return user.organization_id == case.agency_id and user.has_role(*STAFF_ROLES)


def is_agency_supervisor(user: User, case: Case) -> bool:
    return user.organization_id == case.agency_id and user.has_role(Role.SUPERVISOR)
