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
    return visible_clause(user, agency_id=Case.agency_id, program_id=Case.program_id)


def visible_clause(user: User, *, agency_id: sa.ColumnElement, program_id: sa.ColumnElement
                   ) -> sa.ColumnElement[bool]:
    """The same rule for anything that belongs to an agency and a program (cases, batches, figures)."""
    if sees_all_cases(user):
        return sa.true()
    clauses = []
    if user.has_role(*STAFF_ROLES):
        clauses.append(agency_id == user.organization_id)
    if user.has_role(Role.MINISTRY_OFFICER):
        clauses.append(
            program_id.in_(sa.select(Program.id).where(Program.ministry_id == user.organization_id))
        )
    return sa.or_(*clauses) if clauses else sa.false()


def sees_all_cases(user: User) -> bool:
    """The Digital Agency sees every case: queries for it need no condition (nor a join to cases)."""
    return user.has_role(Role.DIGITAL_AGENCY_OFFICER)


def may_see(user: User, *, agency_id: int, ministry_id: int) -> bool:
    """``visible_clause`` for figures already loaded (a snapshot): the same rule, in Python."""
    return (
        (user.has_role(*STAFF_ROLES) and agency_id == user.organization_id)
        or (user.has_role(Role.MINISTRY_OFFICER) and ministry_id == user.organization_id)
        or sees_all_cases(user)
    )


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


def sees_personal_facts(user: User, case: Case) -> bool:
    """Whether ``user`` sees the people's facts on a case they may see (PPC: 必要最小限).

    The linking agency's staff work with them. An organisation that oversees (a ministry, the
    Digital Agency's officers) sees the case's status, program, grade, verdicts and timeline, and
    the facts only while the case is referred to it (it holds the case until it answers), or
    after stating a purpose, which is recorded (caseflow.audit.operations.reveal_personal_facts).
    """
    return is_agency_staff(user, case) or (case.holder_id is not None and case.holder_id == user.organization_id)
