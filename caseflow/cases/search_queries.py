"""Reading a search and finding its cases: the text of the search box (reference, management number,
name, kana, birth date) and a My Number.

A text is read every way it can mean (``read_query``) and a case matching any of them is found
(``matching``), within the viewer's rights (``visible_cases_clause``). Names, kana and birth dates
are found by the search keys of caseflow.cases.search. A My Number is never searched from the text
box: ``search_by_number`` goes by ``cases.registered_number_digest``, needs a purpose, and records
each use in the access records (caseflow.audit), even when nothing is found.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from caseflow.cases import listing
from caseflow.cases.access import visible_cases_clause
from caseflow.cases.models import Case
from caseflow.cases.search import CaseSearchKey, digest
from caseflow.core.japanese import HYPHENS
from caseflow.core.limits import PURPOSE_MAX, SEARCH_TEXT_MAX
from caseflow.core.mynumber import contains_my_number, normalize_number, number_problem
from caseflow.core.params import MAX_ID, required_text
from caseflow.errors import DomainError
from caseflow.matching.normalize import kana_columns, name_parts_expr
from caseflow.matching.values import parse_birth_date
from caseflow.policy import Permission, require
from caseflow.users.models import User

# What a search counts at most: more matches than this ask for a narrower query.
COUNT_CAP = 1_000
NUMBER_RESULTS_MAX = 200

MY_NUMBER_IN_TEXT = ("個人番号では、この欄から検索できません。"
                     "「個人番号で検索」から、検索する目的とともに入力してください。")
NUMBER_SEARCH_RECORD = "number_search"  # the access records' ``what`` of a My Number search


_REFERENCE = re.compile(r"CF-?0*([0-9]{1,10})", re.IGNORECASE)
_HYPHEN_LIKE = re.compile("[" + re.escape(HYPHENS) + "ー]")


@dataclass(frozen=True)
class Query:
    """What a text typed into the search box can mean; a case matching any of it is found."""

    text: str
    case_id: int | None = None  # a case reference: CF-0000028, cf28
    sources: tuple[str, ...] = ()  # a management number, as typed and in ASCII
    digests: tuple[str, ...] = ()  # the whole text as a name, family name, kana or birth date
    # A name and a birth date together (山田太郎 1970/3/2): both must be the same case's.
    name_and_birth: tuple[tuple[str, ...], str] | None = None
    birth_date: dt.date | None = None  # the whole text read as a birth date

    @property
    def kinds(self) -> list[str]:
        """What the text was read as (shown above the results)."""
        kinds = ["案件番号"] if self.case_id is not None else []
        kinds.append("管理番号")
        if self.digests:
            kinds.append("生年月日" if self.birth_date else "氏名・カナ")
        if self.name_and_birth is not None:
            kinds.append("氏名・カナと生年月日")
        return kinds


def _name_digests(text: str) -> tuple[str, ...]:
    frame = pl.DataFrame({"value": [text]}).select(
        name_parts_expr(pl.col("value")).str.replace_all(" ", "", literal=True).alias("name"),
        kana_columns(pl.col("value"))[1].alias("kana"))
    name, kana = frame.row(0)
    found = []
    for kind, value in (("name", name), ("family_name", name), ("kana", kana), ("family_kana", kana)):
        if value:
            found.append(digest(kind, value))
    return tuple(dict.fromkeys(found))


def read_query(text: str | None) -> Query | None:
    """What ``text`` (typed into the search box or sent as ``q``) searches for; None when empty.

    Refused (DomainError): a text holding a My Number (it has its own form, with a purpose and a
    record), or a text longer than SEARCH_TEXT_MAX. Neither message repeats the text.
    """
    typed = (text or "").strip()
    if not typed:
        return None
    if len(typed) > SEARCH_TEXT_MAX:
        raise DomainError(f"検索する語は{SEARCH_TEXT_MAX}文字以内で入力してください。")
    if contains_my_number(typed):
        raise DomainError(MY_NUMBER_IN_TEXT)
    ascii_text = " ".join(unicodedata.normalize("NFKC", typed).split())
    reference = _REFERENCE.fullmatch(_HYPHEN_LIKE.sub("-", ascii_text))
    case_id = int(reference[1]) if reference and 0 < int(reference[1]) <= MAX_ID else None
    birth = parse_birth_date(ascii_text)
    digests = (digest("birth_date", birth.isoformat()),) if birth else _name_digests(typed)
    name_and_birth = None
    tokens = ascii_text.split(" ")
    if len(tokens) > 1:
        for position in (0, len(tokens) - 1):  # the birth date written before or after the name
            day = parse_birth_date(tokens[position])
            if day is not None:
                rest = " ".join(tokens[:position] + tokens[position + 1:])
                name_and_birth = (_name_digests(rest), digest("birth_date", day.isoformat()))
                break
    return Query(typed, case_id, tuple(dict.fromkeys((typed, ascii_text))), digests, name_and_birth, birth)


def _branches(query: Query, visible: sa.ColumnElement[bool] | None = None, most: int | None = None) -> list[sa.Select]:
    """One select of case ids (``id``) per way ``query`` can match. With ``visible``, each keeps the cases
    the viewer may see; with ``most``, each stops once it holds ``most`` cases (a case has a digest at
    most once: a branch of n digests reads at most n rows per case)."""
    key, other = CaseSearchKey, aliased(CaseSearchKey)
    # (select, the key it reads or None for cases, how many rows it may read per case)
    branches = [(sa.select(Case.id.label("id")).where(Case.source_record_id.in_(query.sources)), None, 1)]
    if query.case_id is not None:
        branches.append((sa.select(Case.id.label("id")).where(Case.id == query.case_id), None, 1))
    if query.digests:
        branches.append((sa.select(key.case_id.label("id")).where(key.digest.in_(query.digests)), key,
                         len(query.digests)))
    if query.name_and_birth is not None:
        names, birth = query.name_and_birth
        branches.append((sa.select(key.case_id.label("id")).join_from(key, other, other.case_id == key.case_id)
                         .where(key.digest.in_(names), other.digest == birth), key, len(names)))
    made = []
    for branch, read, rows_per_case in branches:
        if visible is not None:
            if read is not None:
                branch = branch.join_from(read, Case, Case.id == read.case_id)
            branch = branch.where(visible)
        if most is not None:  # a subquery of its own: SQLite takes no LIMIT inside a UNION
            limited = branch.limit(most * rows_per_case).subquery()
            branch = sa.select(limited.c.id)
        made.append(branch)
    return made


def matching(query: Query) -> sa.ColumnElement[bool]:
    """SQL condition on cases: those ``query`` finds (to be combined with the viewer's rights)."""
    branches = _branches(query)
    return Case.id.in_(sa.union_all(*branches) if len(branches) > 1 else branches[0])


def text_search(user: User, query: Query) -> sa.Select:
    """Every case ``user`` may see that ``query`` finds (the results page reads them through ``page_of``)."""
    require(user, Permission.CASE_SEARCH)
    return sa.select(Case).where(matching(query), visible_cases_clause(user))


def found_ids(user: User, query: Query) -> sa.Subquery:
    """At most COUNT_CAP + 1 ids (``id``) of the cases ``user`` may see that ``query`` finds.

    Each way of matching reads its index only until it holds that many of the viewer's cases, so a
    common family name among a million cases costs about what a rare one does.
    """
    require(user, Permission.CASE_SEARCH)
    branches = _branches(query, visible_cases_clause(user), COUNT_CAP + 1)
    found = sa.union(*branches) if len(branches) > 1 else branches[0]
    return found.limit(COUNT_CAP + 1).subquery()


@dataclass(frozen=True)
class Results:
    """One page of search results; ``capped``: more than COUNT_CAP cases match, and the pages hold
    COUNT_CAP of them (in ``sort`` order among themselves)."""

    page: listing.Page
    capped: bool


def page_of(session: Session, user: User, query: Query, *, sort: str, page: int, per_page: int) -> Results:
    """The ``page``-th page, in ``sort`` order, of the cases ``user`` may see that ``query`` finds, of at most
    COUNT_CAP of them: sorted and counted among themselves in one statement, then the page's cases
    loaded with what the page shows."""
    found = found_ids(user, query)

    def ids_on(number: int) -> list[tuple[int, int]]:
        return session.execute(
            sa.select(Case.id, sa.func.count().over()).where(Case.id.in_(sa.select(found.c.id)),
                                                              visible_cases_clause(user))
            .order_by(*listing.SORTS[sort]).offset((number - 1) * per_page)
            .limit(min(per_page, COUNT_CAP - (number - 1) * per_page))).all()  # never the one past COUNT_CAP

    last_page = math.ceil(COUNT_CAP / per_page)
    page = min(max(page, 1), last_page)
    rows = ids_on(page)
    if not rows and page > 1:  # past the end: the last page there is
        counted = session.scalar(sa.select(sa.func.count()).select_from(found)) or 0
        page = min(max(math.ceil(counted / per_page), 1), last_page)
        rows = ids_on(page)
    counted = rows[0][1] if rows else 0
    shown = [case_id for case_id, _total in rows]
    cases, awaiting = listing.list_rows(session, shown)
    return Results(listing.Page(cases, min(counted, COUNT_CAP), page, per_page, awaiting=awaiting),
                   counted > COUNT_CAP)


# --- by My Number ------------------------------------------------------------------------------------


def read_number(number: str | None) -> str:
    """The My Number as typed, normalised; DomainError (never repeating it) when it is not a valid one."""
    problem = number_problem(number)
    if problem is not None:
        raise DomainError(problem + "入力した番号を確認してください。")
    return normalize_number(number)


def search_by_number(session: Session, actor: User, *, number: str | None, purpose: str | None,
                     remote_addr: str | None) -> list[Case]:
    """The cases ``actor`` may see whose registered number is ``number``, by its look-up digest.

    A purpose is required; every search is recorded in the access records before its answer is
    given: one record per case found, or one without a case when nothing is found.
    """
    from caseflow.audit.operations import append_record
    from caseflow.crypto.keys import lookup_digest

    require(actor, Permission.CASE_SEARCH_BY_NUMBER)
    number = read_number(number)
    purpose = required_text(purpose, "個人番号で検索する目的を入力してください。", PURPOSE_MAX, "検索の目的は")
    cases = list(session.scalars(
        sa.select(Case).where(Case.registered_number_digest == lookup_digest(number), visible_cases_clause(actor))
        .order_by(Case.id).limit(NUMBER_RESULTS_MAX)))
    for case in cases or [None]:
        append_record(session, actor, case, what=NUMBER_SEARCH_RECORD, purpose=purpose, remote_addr=remote_addr)
    return cases


def text_condition(user: User, text: str) -> sa.ColumnElement[bool]:
    """The condition of the cases ``text`` finds, for a list that filters too (the API's ``GET /cases?q=``).

    Requires ``case.search``; a text the search refuses is a BadFilter (the API's 400)."""
    require(user, Permission.CASE_SEARCH)
    try:
        query = read_query(text)
    except DomainError as exc:
        raise listing.BadFilter(exc.message) from None
    return matching(query) if query is not None else sa.true()
