"""Loading cases within the user's rights. The rules themselves are the access policy
(``caseflow.policy``): a case is seen, and listed, by ``case.view``."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, defaultload, joinedload, lazyload

from caseflow.cases.models import Case, Correction, Dismissal
from caseflow.db import Statements
from caseflow.errors import NotFound
from caseflow.organizations import reference
from caseflow.policy import Permission, audience, clause
from caseflow.users.models import User

NOT_FOUND = "案件が見つかりません。"


def visible_cases_clause(user: User, cases=Case) -> sa.ColumnElement[bool]:
    """SQL condition selecting the cases ``user`` may see: the policy's ``case.view`` over cases
    (``cases``: Case, or an alias of it in a statement over two sets of cases).

    A linking agency's staff see their own organisation's cases, a ministry officer every case
    of the ministry's programs, a Digital Agency officer all cases. Anyone else sees none.
    """
    return clause(user, Permission.CASE_VIEW, cases)


# A case's program (with its ministry), agency and holder come from the per-process reference
# cache (``adopt_references``), not joined into the statement: fewer joins to plan and to read.
REFERENCES_FROM_CACHE = (lazyload(Case.program), lazyload(Case.agency), lazyload(Case.holder))


def adopt_references(session: Session, cases) -> None:
    """Put the programs and organisations ``cases`` refer to into ``session`` from the reference cache,
    for cases loaded with ``REFERENCES_FROM_CACHE``: ``case.program`` then loads without a statement."""
    reference.adopt(session, program_ids=[c.program_id for c in cases],
                    organization_ids=[i for c in cases for i in (c.agency_id, c.holder_id)])


# The assignee is shown by name; their roles and organisation are looked up if ever needed.
_ASSIGNEE_BY_NAME = (defaultload(Case.assignee).options(lazyload(User.role_links), lazyload(User.organization)),)


# A case's proposals load with it, joined into the case's statement (a case has a few at most; a
# statement apart for each kind would cost a round trip each): the guards read them. Who made and
# decided them is looked up only when shown (their ids are on the proposals).
_PROPOSALS_WITHOUT_PEOPLE = (
    joinedload(Case.corrections).options(lazyload(Correction.proposed_by), lazyload(Correction.decided_by)),
    joinedload(Case.dismissals).options(lazyload(Dismissal.proposed_by), lazyload(Dismissal.decided_by)),
)


def named_only(path):
    """A user shown by name (an actor, a proposer): their roles are not loaded with them."""
    return path.lazyload(User.role_links)


# The case page's case, loaded with its proposals in one statement. Who proposed and decided them
# is looked up when shown (mostly the viewer, or a colleague already in the session): each user
# joined in would cost the database more to plan than the statement costs to run.
CASE_PAGE_LOADING = (*REFERENCES_FROM_CACHE, *_PROPOSALS_WITHOUT_PEOPLE, *_ASSIGNEE_BY_NAME)
# The other cases, in a statement about one case: those with the same My Number.
_OTHER_CASES = aliased(Case, name="other_cases")


# The statements that load one case for a user, kept per audience (the case's id a bind parameter).
_STATEMENTS = Statements()
_CASE_ID = sa.bindparam("case_id", type_=sa.Integer)


def get_visible_case(session: Session, case_id: int, user: User) -> Case:
    """Load a case the user may see; any other case is 'not found', whether it exists or not.

    Its program and organisations come from the reference cache, checked against the stamp the
    same statement reads."""
    stmt = _STATEMENTS.get(("case", audience(user, Permission.CASE_VIEW)), lambda: (
        sa.select(Case, reference.stamp_column()).where(Case.id == _CASE_ID, visible_cases_clause(user))
        .options(*REFERENCES_FROM_CACHE, *_ASSIGNEE_BY_NAME, *_PROPOSALS_WITHOUT_PEOPLE)))
    row = session.execute(stmt, {"case_id": case_id}).unique().one_or_none()
    if row is None:
        raise NotFound(NOT_FOUND)
    case, stamp = row
    reference.saw_stamp(stamp)
    adopt_references(session, [case])
    return case


def get_case_for_page(session: Session, case_id: int, user: User, *,
                      sections: Mapping[str, type] | None = None) -> tuple[Case, int, dict[str, bool]]:
    """A case ``user`` may see (else 'not found', as ``get_visible_case``) with what its page shows
    of it, how many other cases ``user`` may see carry the same My Number, and for each of
    ``sections`` (name → a model with a ``case_id``) whether the case has any of its rows, in one
    statement; the statement reads the reference stamp too (caseflow.organizations.reference)."""
    sections = dict(sections or {})

    def build() -> sa.Select:
        others = _OTHER_CASES
        same_number = (sa.select(sa.func.count()).select_from(others)
                       .where(others.registered_number_digest == Case.registered_number_digest, others.id != Case.id,
                              visible_cases_clause(user, others))
                       .scalar_subquery())
        has_rows = [sa.exists().where(model.case_id == Case.id) for model in sections.values()]
        return (sa.select(Case, same_number, reference.stamp_column(), *has_rows)
                .where(Case.id == _CASE_ID, visible_cases_clause(user)).options(*CASE_PAGE_LOADING))

    key = ("case page", audience(user, Permission.CASE_VIEW), tuple(sections.items()))
    row = session.execute(_STATEMENTS.get(key, build), {"case_id": case_id}).unique().one_or_none()
    if row is None:
        raise NotFound(NOT_FOUND)
    case, same_number_cases, stamp, *present = row
    reference.saw_stamp(stamp)
    adopt_references(session, [case])
    return case, same_number_cases, dict(zip(sections, present, strict=True))
