"""Loading cases within the user's rights. The rules themselves are the access policy
(``caseflow.policy``): a case is seen, and listed, by ``case.view``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.models import Case
from caseflow.errors import NotFound
from caseflow.policy import Permission, clause
from caseflow.users.models import User


def visible_cases_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL condition selecting the cases ``user`` may see: the policy's ``case.view`` over cases.

    A linking agency's staff see their own organisation's cases, a ministry officer every case
    of the ministry's programs, a Digital Agency officer all cases. Anyone else sees none.
    """
    return clause(user, Permission.CASE_VIEW)


def get_visible_case(session: Session, case_id: int, user: User) -> Case:
    """Load a case the user may see; any other case is 'not found', whether it exists or not."""
    stmt = sa.select(Case).where(Case.id == case_id, visible_cases_clause(user))
    case = session.scalars(stmt).one_or_none()
    if case is None:
        raise NotFound("案件が見つかりません。")
    return case
