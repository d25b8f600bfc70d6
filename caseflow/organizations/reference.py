"""Reference data every request looks up (programs, organisations), cached once per process.

Several web processes on several hosts share one database, and an administrator edits programs
and organisations through any of them. So the cache is never trusted blindly: once per request it
is checked against the database's reference stamp (``reference_stamps``), which triggers renew in
the writer's own transaction on every write of either table (migration 0028), whoever writes.
A page that runs a query anyway can read the stamp in it (``stamp_column``, ``saw_stamp``) and
spare the check its own statement.

The cache holds loaded, detached programs and organisations that nobody changes; a request gets
its own copies in its session (``adopt``), so that ``case.program`` or ``case.agency`` load from the
session instead of being joined into every case statement.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from caseflow.organizations.models import Organization, OrganizationKind, Program, ReferenceStamp

_G_STAMP = "caseflow_reference_stamp"
_ADOPTED = "caseflow_adopted_references"


@dataclass(frozen=True)
class Reference:
    """The programs (with their ministries) and organisations as of ``stamp``: detached, read only."""

    stamp: int
    programs: Mapping[int, Program]
    organizations: Mapping[int, Organization]

    @property
    def digital_agency(self) -> Organization | None:
        """The Digital Agency (the first, should there be several)."""
        return next((o for o in self.organizations.values() if o.kind is OrganizationKind.DIGITAL_AGENCY), None)


_cached: dict[str, Reference] = {}  # by database: a process may hold apps on several (tests, commands)
_loading = threading.Lock()


def stamp_column() -> sa.ScalarSelect:
    """The current stamp as a column, for a page's own query to carry (then ``saw_stamp``)."""
    return sa.select(ReferenceStamp.stamp).where(ReferenceStamp.id == 1).scalar_subquery()


def saw_stamp(stamp: int | None) -> None:
    """The stamp a query of this request read with ``stamp_column``: the cache is checked against it."""
    if has_request_context() and stamp is not None:
        setattr(g, _G_STAMP, stamp)


def _current_stamp(session: Session) -> int | None:
    # Once per request; outside a request (commands, tests between requests) at every use.
    if has_request_context() and hasattr(g, _G_STAMP):
        return getattr(g, _G_STAMP)
    stamp = session.scalar(sa.select(ReferenceStamp.stamp).where(ReferenceStamp.id == 1))
    saw_stamp(stamp)
    return stamp


def _load(session: Session, stamp: int | None) -> Reference:
    # Read after the stamp: what is read is at least as new as the stamp; a write in between
    # shows as another stamp at the next request, which loads again. A session of its own on the
    # same connection: the objects leave it detached and are never part of a request's session.
    with Session(bind=session.connection(), autoflush=False) as own:
        programs = {p.id: p for p in own.scalars(sa.select(Program).order_by(Program.id))}
        organizations = {o.id: o for o in own.scalars(sa.select(Organization).order_by(Organization.id))}
        own.expunge_all()
    return Reference(stamp if stamp is not None else -1, MappingProxyType(programs), MappingProxyType(organizations))


def reference(session: Session) -> Reference:
    """The programs and organisations, from this process's cache when it is as new as the database's."""
    stamp = _current_stamp(session)
    database = session.get_bind().engine.url.render_as_string()
    cached = _cached.get(database)
    if cached is not None and stamp is not None and cached.stamp == stamp:
        return cached
    with _loading:
        fresh = _load(session, stamp)
        if stamp is not None:  # no stamp row: never reused
            _cached[database] = fresh
    return fresh


def adopt(session: Session, *, program_ids=(), organization_ids=()) -> None:
    """Put the programs (with their ministries) and organisations of these ids into ``session``
    from the cache, unless it holds them already: relationships to them then load without a statement."""
    cached = reference(session)
    for model, ids, known in ((Program, program_ids, cached.programs),
                              (Organization, organization_ids, cached.organizations)):
        for key in set(ids):
            if key is not None and key in known and session.identity_map.get(
                    sa.inspect(model).identity_key_from_primary_key((key,))) is None:
                # The session holds clean objects weakly: kept here, they stay for the session's life.
                session.info.setdefault(_ADOPTED, []).append(session.merge(known[key], load=False))


def digital_agency(session: Session) -> Organization | None:
    """The Digital Agency, in ``session`` (from the cache)."""
    found = reference(session).digital_agency
    if found is None:
        return None
    adopt(session, organization_ids=[found.id])
    return session.get(Organization, found.id)


@event.listens_for(Session, "after_flush")
def _forget_stamp_after_own_write(session: Session, _ctx) -> None:
    """A request that writes a program or an organisation reads its own write, not the stamp it read before."""
    if has_request_context() and hasattr(g, _G_STAMP) and any(
            isinstance(obj, Program | Organization) for obj in (*session.new, *session.dirty, *session.deleted)):
        delattr(g, _G_STAMP)
