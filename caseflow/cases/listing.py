"""The case list's read side, written once: filters, sort orders, access and paging.

The case list pages, the JSON API's ``GET /cases`` and saved filters (保存した絞り込み) all read
the list through this module: a filter or a sort order added here is offered, checked and
applied everywhere at once.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, defaultload, lazyload, load_only, raiseload

from caseflow.cases.access import REFERENCES_FROM_CACHE, adopt_references, visible_cases_clause
from caseflow.cases.models import Case
from caseflow.cases.queue import overdue_clause, viewing_stop_pending_clause
from caseflow.cases.vocabulary import OPEN_STATUSES, OUTCOMES, CaseSource, CaseStatus, Cause, Grade, ViewedOnPortal
from caseflow.core.params import MAX_ID, parse_id
from caseflow.errors import DomainError
from caseflow.inspections.models import counted_batches
from caseflow.organizations import reference
from caseflow.users.models import User

SORTS: dict[str, tuple] = {
    "due": (Case.due_date.asc().nulls_last(), Case.id.asc()),
    "-due": (Case.due_date.desc().nulls_last(), Case.id.desc()),
    "detected": (Case.detected_at.asc(), Case.id.asc()),
    "-detected": (Case.detected_at.desc(), Case.id.desc()),
}
DEFAULT_SORT = "due"
SORT_MESSAGE = "「sort」は due、-due、detected、-detected のいずれかで指定してください。"


class BadFilter(DomainError):
    """A filter value the list does not know (the API answers 400 with the message; pages a 400 page)."""

    status_code = 400
    code = "invalid_request"


@dataclass(frozen=True)
class Filter:
    """One filter of the case list: how its value is read, what it selects, how the API describes it."""

    key: str
    description: str  # the API's parameter description (Japanese)
    schema: dict  # the API's parameter schema (OpenAPI)
    read: Callable[[str], object]  # the value as typed; raises BadFilter
    where: Callable[[object, User, dt.date], sa.ColumnElement[bool]]


def _choice(key: str, enum_cls) -> Callable[[str], object]:
    def read(value: str):
        try:
            return enum_cls(value)
        except ValueError:
            raise BadFilter(f"「{key}」の値が選択肢にありません。") from None

    return read


def _id(key: str) -> Callable[[str], int]:
    def read(value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise BadFilter(f"「{key}」は1以上{MAX_ID}以下の整数で指定してください。")
        return number

    return read


def _one_of(key: str, values: Mapping[str, object]) -> Callable[[str], object]:
    def read(value: str):
        if value not in values:
            raise BadFilter(f"「{key}」の値が選択肢にありません。")
        return values[value]

    return read


def _assignee(value: str) -> str | int:
    return value if value in ("me", "none") else _id("assignee")(value)


def _assignee_where(value, user: User, _today) -> sa.ColumnElement[bool]:
    if value == "me":
        return Case.assignee_id == user.id
    if value == "none":
        return Case.assignee_id.is_(None)
    return Case.assignee_id == value


def _cause(value: str):
    return None if value == "none" else _choice("cause", Cause)(value)


def _enum_schema(enum_cls) -> dict:
    return {"type": "string", "enum": [member.value for member in enum_cls]}


_INTEGER = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
FOUND = {"inspection": True, "separate": False}


def _found_where(by_inspection: bool) -> sa.ColumnElement[bool]:
    counted = Case.batch_id.in_(counted_batches())
    return counted if by_inspection else sa.or_(Case.batch_id.is_(None), sa.not_(counted))

# In the order a saved filter writes them.
FILTERS: tuple[Filter, ...] = (
    Filter("status", "状態", _enum_schema(CaseStatus), _choice("status", CaseStatus),
           lambda value, _user, _today: Case.status == value),
    Filter("grade", "判定", _enum_schema(Grade), _choice("grade", Grade),
           lambda value, _user, _today: Case.grade == value),
    Filter("program", "事務の id", _INTEGER, _id("program"), lambda value, _user, _today: Case.program_id == value),
    Filter("assignee", "担当者：me（自分）、none（未割当）、または職員の id",
           {"type": "string", "pattern": r"^(me|none|[0-9]+)$"}, _assignee, _assignee_where),
    Filter("batch", "点検番号", _INTEGER, _id("batch"), lambda value, _user, _today: Case.batch_id == value),
    Filter("overdue", "1：期限を過ぎた未完了の案件だけ", {"type": "string", "enum": ["1"]},
           _one_of("overdue", {"1": True}), lambda _value, _user, today: overdue_clause(today)),
    Filter("identification", "waiting：本人特定待ちの案件だけ（訂正で番号を紐付けず保留し、まだ紐付けていない）",
           {"type": "string", "enum": ["waiting"]}, _one_of("identification", {"waiting": True}),
           lambda _value, _user, _today: Case.awaits_identification),
    # The filters a report's figure links with (/reports): the list then shows the cases behind it.
    Filter("agency", "紐付け実施機関の id", _INTEGER, _id("agency"), lambda value, _user, _today: Case.agency_id == value),
    Filter("outcome", "結果の区分：errors（紐付け誤り）、resolved（解消済み）、unverified（未確認）、dismissed（誤りなし）",
           {"type": "string", "enum": list(OUTCOMES)}, _one_of("outcome", OUTCOMES),
           lambda value, _user, _today: Case.status.in_(value)),
    Filter("viewed", "マイナポータルでの閲覧：yes（閲覧あり）、no（閲覧なし）、unknown（不明・調査中）",
           _enum_schema(ViewedOnPortal), _choice("viewed", ViewedOnPortal),
           lambda value, _user, _today: Case.viewed_on_portal == value),
    Filter("viewing", "pending：閲覧停止が済んでいない誤り確定の案件だけ", {"type": "string", "enum": ["pending"]},
           _one_of("viewing", {"pending": True}), lambda _value, _user, _today: viewing_stop_pending_clause()),
    Filter("cause", "主な原因（none：原因未入力）", {"type": "string", "enum": ["none", *(c.value for c in Cause)]}, _cause,
           lambda value, _user, _today: Case.cause.is_(None) if value is None else Case.cause == value),
    # The population of a report's rate: errors found by a counted inspection, or found otherwise.
    Filter("found", "発見：inspection（集計される点検で判明）、separate（それ以外で判明：手入力など）",
           {"type": "string", "enum": list(FOUND)}, _one_of("found", FOUND),
           lambda value, _user, _today: _found_where(value)),
    # 発見の経緯: inspection, or how a case opened by hand came to light (caseflow.intake).
    Filter("source", "発見の経緯", _enum_schema(CaseSource), _choice("source", CaseSource),
           lambda value, _user, _today: Case.source == value),
)
FILTER_KEYS = tuple(f.key for f in FILTERS)
_BY_KEY = {f.key: f for f in FILTERS}


def read_filters(args: Mapping[str, str]) -> dict[str, object]:
    """The filters given in ``args`` (empty values ignored), read and checked; BadFilter names the first wrong one."""
    return {f.key: f.read(args[f.key]) for f in FILTERS if args.get(f.key)}


def read_sort(value: str | None) -> str:
    """A sort key; BadFilter when unknown (an empty value is the default)."""
    if not value:
        return DEFAULT_SORT
    if value not in SORTS:
        raise BadFilter(SORT_MESSAGE)
    return value


def case_query(user: User, filters: Mapping[str, object], *, today: dt.date, mine: bool = False) -> sa.Select:
    """The cases ``user`` may see that match ``filters`` (from ``read_filters``); ``mine``: their open queue."""
    stmt = sa.select(Case).where(visible_cases_clause(user))
    if mine:
        stmt = stmt.where(Case.assignee_id == user.id, Case.status.in_(OPEN_STATUSES))
    for key, value in filters.items():
        stmt = stmt.where(_BY_KEY[key].where(value, user, today))
    return stmt


# The list pages count the cases up to this many: a count of an agency's half a million cases
# costs more than the rest of the page together. Past it the page says so, and its pages end there
# (the other sort order, or a filter, reaches the rest).
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    """One page of a case list; ``capped``: more than ``total`` cases match (counted up to a cap);
    ``awaiting``: the ids of its cases awaiting identification (本人特定待ち)."""

    cases: list[Case]
    total: int
    page: int
    per_page: int
    capped: bool = False
    awaiting: frozenset[int] = frozenset()

    @property
    def pages(self) -> int:
        return max(math.ceil(self.total / self.per_page), 1)


# What a row of a case list shows (templates/cases/_case_table.html, the API's summary) and no more:
# of the encrypted columns only the My Number is read and decrypted (it is shown masked); the other
# columns are not read at all (a row that used one would fail loudly rather than load it case by
# case); no proposals (本人特定待ち is asked in SQL, in the rows' statement); of the assignee, the
# name; the program and the organisations from the reference cache.
ROW_COLUMNS = (Case.id, Case.version, Case.program_id, Case.agency_id, Case.holder_id, Case.batch_id,
               Case.registered_number, Case.record_name, Case.grade, Case.status, Case.assignee_id, Case.due_date,
               Case.detected_at, Case.updated_at, Case.facts_disposed_at)
ROW_LOADING = (
    load_only(*ROW_COLUMNS, raiseload=True),
    *REFERENCES_FROM_CACHE,
    raiseload(Case.corrections), raiseload(Case.dismissals),
    defaultload(Case.assignee).options(lazyload(User.role_links), lazyload(User.organization)),
)


def _rows(session: Session, stmt: sa.Select, *columns: sa.ColumnElement) -> list[tuple]:
    """(case, awaits identification, *columns) for the cases of ``stmt`` (over ``Case``), loaded as a
    list row shows them (``ROW_LOADING``), 本人特定待ち asked in SQL rather than from each case's
    proposals; the statement reads the reference stamp too, for the rows' programs and organisations."""
    rows = session.execute(stmt.add_columns(Case.awaits_identification.label("awaits_identification"),
                                            reference.stamp_column(), *columns).options(*ROW_LOADING)).all()
    if rows:
        reference.saw_stamp(rows[0][2])
    adopt_references(session, [row[0] for row in rows])
    return [(case, awaits, *rest) for case, awaits, _stamp, *rest in rows]


def list_rows(session: Session, case_ids: list[int]) -> tuple[list[Case], frozenset[int]]:
    """The cases of ``case_ids``, in that order, loaded as a list row shows them (``ROW_LOADING``), and
    the ids of those awaiting identification (本人特定待ち), in one statement."""
    if not case_ids:
        return [], frozenset()
    loaded = {case.id: (case, awaits) for case, awaits in _rows(session, sa.select(Case).where(Case.id.in_(case_ids)))}
    shown = [loaded[case_id] for case_id in case_ids if case_id in loaded]
    return [case for case, _awaits in shown], frozenset(case.id for case, awaits in shown if awaits)


def page_of(session: Session, stmt: sa.Select, *, sort: str, page: int, per_page: int,
            clamp: bool = False, count_cap: int | None = None) -> Page:
    """The ``page``-th page of ``stmt`` in ``sort`` order, with the total; ``clamp``: a page past the
    end gives the last page (the pages), not an empty one (the API); ``count_cap``: count at most
    that many (the pages: COUNT_CAP), the pages ending there.

    One statement for a page that has cases: the page's ids, read from the index alone (the rows
    skipped to reach a far page are not fetched from the table), their rows, and the total."""
    counted = stmt.order_by(None).with_only_columns(Case.id)
    if count_cap is not None:
        counted = counted.limit(count_cap + 1)
    total_column = sa.select(sa.func.count()).select_from(counted.subquery()).scalar_subquery()

    def cases_on(number: int) -> list[tuple]:
        ids = (stmt.with_only_columns(Case.id).order_by(*SORTS[sort])
               .limit(per_page).offset((number - 1) * per_page).subquery())
        return _rows(session, sa.select(Case).join(ids, ids.c.id == Case.id).order_by(*SORTS[sort]), total_column)

    page = max(page, 1)
    if clamp and count_cap is not None:
        page = min(page, max(math.ceil(count_cap / per_page), 1))
    rows = cases_on(page)
    if rows:
        total = rows[0][2]
    else:  # past the end, or nothing to list: counted apart
        total = session.scalar(sa.select(total_column)) or 0
        if clamp and page > 1 and total:
            page = max(math.ceil(min(total, count_cap or total) / per_page), 1)
            rows = cases_on(page)
    capped = count_cap is not None and total > count_cap
    if capped:
        total = count_cap
    return Page([case for case, *_ in rows], total, page, per_page, capped,
                frozenset(case.id for case, awaits, _total in rows if awaits))
