"""The case kernel: how every area writes cases (inspections, letters, routing, queues, new ones).

``open_case``/``open_cases`` open cases, one or many at once, each with its detection event;
``record_event`` adds a timeline entry that leaves the status as it is; ``check_version`` refuses
a form rendered before someone else's change; ``flush_case`` turns a concurrent write into a
Conflict; ``session_of`` gives the case's session. Transitions go through
``caseflow.cases.operations.fire`` and the one state machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from caseflow.cases.models import Case, CaseEvent, CaseState, birth_or_sex_mismatch, case_state_row
from caseflow.cases.search import index_case, index_cases
from caseflow.cases.vocabulary import CaseStatus
from caseflow.core.batches import chunked
from caseflow.core.business_days import add_business_days
from caseflow.core.japanese import today_jst
from caseflow.db import utcnow, write_conflicts_as_409
from caseflow.errors import STALE_MESSAGE, Conflict
from caseflow.users.models import User


def session_of(case: Case) -> Session:
    """The session ``case`` belongs to (an operation writes its events and rows there)."""
    session = object_session(case)
    if session is None:
        raise RuntimeError("case is not attached to a session")
    return session


def check_version(case: Case, expected_version: int | None) -> None:
    """Refuse (Conflict) when the form was rendered from another version of ``case`` (None: no check)."""
    if expected_version is not None and expected_version != case.version:
        raise Conflict(STALE_MESSAGE)


def flush_case(case: Case) -> None:
    """Flush ``case``'s session; a concurrent change of the same case becomes a Conflict (HTTP 409)."""
    with write_conflicts_as_409():
        session_of(case).flush()


def record_event(case: Case, actor: User, trigger: str, comment: str | None = None, **details) -> CaseEvent:
    """Add a timeline entry that leaves the status as it is (comment, correction proposal …).

    Bumps the case's version, so that two people acting on the same case at once conflict.
    """
    event = CaseEvent(
        case=case,
        actor_id=actor.id,
        trigger=trigger,
        from_status=case.status,
        to_status=case.status,
        comment=(comment or "").strip() or None,
        details=details,
    )
    session_of(case).add(event)
    case.updated_at = utcnow()  # bumps the version: concurrent actions conflict
    return event


# A new case is due this many business days (開庁日) after it is detected.
CASE_DUE_BUSINESS_DAYS = 10
_OPEN_CHUNK = 5_000


def due_date_for(detected_on: dt.date) -> dt.date:
    """When a case detected on ``detected_on`` must be decided."""
    return add_business_days(detected_on, CASE_DUE_BUSINESS_DAYS)


def open_case(session: Session, *, details: dict | None = None, actor: User | None = None,
              trigger: str = "detect", **fields) -> Case:
    """Open one case in ``detected`` with its first event (the grade, and ``details``), and its search keys.

    ``fields`` are the case's columns (program, agency, source record, number, facts, grade …);
    the due date defaults to ``CASE_DUE_BUSINESS_DAYS`` business days from today. The event is
    ``detect`` by the system, or ``trigger`` by ``actor`` (a case opened by hand: ``open_by_hand``).
    """
    fields.setdefault("due_date", due_date_for(today_jst()))
    case = Case(status=CaseStatus.DETECTED, **fields)
    session.add(case)
    session.add(CaseEvent(case=case, actor_id=actor.id if actor else None, trigger=trigger, from_status=None,
                          to_status=CaseStatus.DETECTED, details={"grade": case.grade.value, **(details or {})}))
    session.flush()
    index_case(case)
    return case


def open_cases(session: Session, rows: Iterable[dict], *, details: dict | None = None,
               chunk: int = _OPEN_CHUNK, progress: Callable[[int], None] | None = None,
               actor: User | None = None, trigger: str = "detect") -> int:
    """Open many cases at once (one INSERT per ``chunk``), each in ``detected`` with its first event
    and its search keys (computed in bulk, a chunk at a time).

    Each row holds a case's columns as for ``open_case``; ``details`` go into every first event
    (e.g. the batch), which is ``detect`` by the system or ``trigger`` by ``actor`` as for
    ``open_case``. ``progress(opened so far)`` is called after each chunk. Returns how many were
    opened. Rows and details go to the database as they are (no ORM events): the free-text guard
    does not see them, so any free text in them must have been through ``caseflow.core.free_text.guard``.
    """
    now = utcnow()
    due = due_date_for(today_jst())
    opened = 0
    for batch in chunked(rows, chunk):
        values = [{"due_date": due, **row, "status": CaseStatus.DETECTED, "detected_at": now, "updated_at": now,
                   "version": 1} for row in batch]
        # render_nulls: a row's None is sent as NULL rather than left out, so that rows missing different
        # facts still share one statement (the ORM groups rows by the columns they give).
        inserted = session.execute(sa.insert(Case).returning(Case.id, Case.grade, sort_by_parameter_order=True),
                                   values, execution_options={"render_nulls": True}).all()
        session.execute(sa.insert(CaseEvent), [
            {"case_id": case_id, "actor_id": actor.id if actor else None, "trigger": trigger, "from_status": None,
             "to_status": CaseStatus.DETECTED, "created_at": now,
             "details": {"grade": case_grade.value, **(details or {})}}
            for case_id, case_grade in inserted
        ])
        session.execute(sa.insert(CaseState), [
            case_state_row(case_id, {**row, "status": CaseStatus.DETECTED,
                                     "birth_or_sex_mismatch": birth_or_sex_mismatch(row.get("field_verdicts"))}, now)
            for row, (case_id, _grade) in zip(batch, inserted, strict=True)])
        index_cases(session, [{**row, "case_id": case_id} for row, (case_id, _grade) in zip(batch, inserted, strict=True)],
                    fresh=True)
        opened += len(inserted)
        if progress is not None:
            progress(opened)
    return opened
