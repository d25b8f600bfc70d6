"""The administration lists (organisations, users) with their filters, and the dashboard's counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.db import utcnow
from caseflow.organizations.models import Organization, OrganizationCategory, Program
from caseflow.organizations.rules import LETTER_SENDERS, letterhead_missing
from caseflow.users.models import SECOND_FACTOR_ROLES, Role, User, UserRole

PER_PAGE = 100
SEARCH_MAX = 100  # what is typed in a list's search box


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    page: int
    pages: int


def _page(session: Session, query: sa.Select, order, page: int) -> Page:
    total = session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = session.scalars(query.order_by(*order).offset((page - 1) * PER_PAGE).limit(PER_PAGE)).unique().all()
    return Page(list(rows), total, page, pages)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- organisations ---------------------------------------------------------------------------------


@dataclass
class OrganizationFilters:
    q: str = ""  # part of the name or the code
    category: OrganizationCategory | None = None
    prefecture: str = ""
    letterhead_missing: bool = False  # only organisations that send letters and lack (part of) a letterhead


def _lacking_letterhead(session: Session) -> list[int]:
    """The organisations that send letters and whose letterhead is missing or incomplete.

    Read in Python (a JSON object's keys differ between the two databases' SQL): a few thousand rows at most.
    """
    rows = session.execute(sa.select(Organization.id, Organization.letterhead)
                           .where(Organization.kind.in_(LETTER_SENDERS))).all()
    return [org_id for org_id, letterhead in rows if letterhead_missing(letterhead)]


def organizations_page(session: Session, filters: OrganizationFilters, page: int = 1) -> Page:
    query = sa.select(Organization)
    if filters.q:
        pattern = _like(filters.q)
        query = query.where(sa.or_(Organization.name.ilike(pattern, escape="\\"),
                                   Organization.code.ilike(pattern, escape="\\")))
    if filters.category is not None:
        query = query.where(Organization.category == filters.category)
    if filters.prefecture:
        query = query.where(Organization.prefecture == filters.prefecture)
    if filters.letterhead_missing:
        query = query.where(Organization.id.in_(_lacking_letterhead(session)))
    return _page(session, query, (Organization.kind, Organization.code), page)


def all_organizations(session: Session) -> list[Organization]:
    """Every organisation, for the choice of a user's organisation."""
    return list(session.scalars(sa.select(Organization).order_by(Organization.kind, Organization.code)))


def all_programs(session: Session) -> list[Program]:
    return list(session.scalars(sa.select(Program).order_by(Program.id)))


# --- users -----------------------------------------------------------------------------------------


@dataclass
class UserFilters:
    q: str = ""  # part of the login or the name
    organization_id: int | None = None
    role: Role | None = None
    active: bool | None = True  # None: both
    locked: bool = False
    without_second_factor: bool = False


def _locked_clause(now: dt.datetime):
    return sa.and_(User.locked_until.is_not(None), User.locked_until > now)


def _without_second_factor_clause():
    """Users whose roles call for a second factor and who have not enrolled one: until they do, the
    password alone takes whoever has it to the enrolment page."""
    return sa.and_(User.totp_confirmed_at.is_(None),
                   User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(SECOND_FACTOR_ROLES))))


def users_page(session: Session, filters: UserFilters, page: int = 1, *, now: dt.datetime | None = None) -> Page:
    now = now or utcnow()
    query = sa.select(User)
    if filters.q:
        pattern = _like(filters.q)
        query = query.where(sa.or_(User.login.ilike(pattern, escape="\\"),
                                   User.display_name.ilike(pattern, escape="\\")))
    if filters.organization_id is not None:
        query = query.where(User.organization_id == filters.organization_id)
    if filters.role is not None:
        query = query.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == filters.role)))
    if filters.active is not None:
        query = query.where(User.active.is_(filters.active))
    if filters.locked:
        query = query.where(_locked_clause(now))
    if filters.without_second_factor:
        query = query.where(_without_second_factor_clause())
    return _page(session, query, (User.organization_id, User.login), page)


# --- the administrator's dashboard -----------------------------------------------------------------


@dataclass(frozen=True)
class AdministrationCounts:
    locked: int  # active users locked out now
    without_second_factor: int  # active supervisors and administrators not enrolled yet
    without_letterhead: int  # organisations that send letters and cannot, for want of a letterhead
    active_users: int
    organizations: int


def administration_counts(session: Session, *, now: dt.datetime | None = None) -> AdministrationCounts:
    now = now or utcnow()
    active = User.active.is_(True)

    def count(*conditions) -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(User).where(*conditions)) or 0

    return AdministrationCounts(
        locked=count(active, _locked_clause(now)),
        without_second_factor=count(active, _without_second_factor_clause()),
        without_letterhead=len(_lacking_letterhead(session)),
        active_users=count(active),
        organizations=session.scalar(sa.select(sa.func.count()).select_from(Organization)) or 0,
    )
