"""Saved filters (保存した絞り込み): a user's named query strings for the case lists.

Each user has their own; nobody else sees, applies or deletes them. The query
is checked against the list page's filter keys and values when saved, and is
stored in one canonical order, so the same filters saved twice read the same.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from caseflow.cases import listing
from caseflow.core.free_text import free_text
from caseflow.db import Base, UTCDateTime, utcnow
from caseflow.errors import DomainError, NotFound
from caseflow.users.models import User

# The keys a saved query may hold, in the order it is written: the list's filters, then its sort.
QUERY_KEYS = (*listing.FILTER_KEYS, "sort")


def _valid(key: str, value: str) -> bool:
    try:
        listing.read_sort(value) if key == "sort" else listing.read_filters({key: value})
    except listing.BadFilter:
        return False
    return True


# Not a filter: which page of the results was shown.
_IGNORED_KEYS = {"page"}

NAME_MAX = 50
QUERY_MAX = 500
MAX_PER_USER = 50


class SavedFilter(Base):
    """A named set of filters for the case list, owned by one user."""

    __tablename__ = "saved_filters"
    __table_args__ = (sa.UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = free_text(sa.String(NAME_MAX))
    query: Mapped[str] = mapped_column(sa.String(QUERY_MAX))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def args(self) -> dict[str, str]:
        """The query as URL parameters, for url_for()."""
        return dict(parse_qsl(self.query))


def normalize_query(query: str) -> str:
    """The list query with only known filters, in canonical order; a DomainError for anything else.

    Empty values (the list's「すべて」) and the page number are dropped.
    """
    values: dict[str, str] = {}
    for key, value in parse_qsl(query or "", keep_blank_values=True):
        if key in _IGNORED_KEYS or not value:
            continue
        if key not in QUERY_KEYS or key in values or len(value) > 40 or not _valid(key, value):
            raise DomainError("保存できない絞り込み条件が含まれています。一覧を開き直してから保存してください。")
        values[key] = value
    return urlencode([(key, values[key]) for key in QUERY_KEYS if key in values])


def saved_filters_of(session: Session, user: User) -> list[SavedFilter]:
    """The user's own saved filters, by name."""
    return list(session.scalars(_SAVED_FILTERS, {"user_id": user.id}))


# Built once: every list page runs it (caseflow.db.Statements).
_SAVED_FILTERS = (sa.select(SavedFilter).where(SavedFilter.user_id == sa.bindparam("user_id", type_=sa.Integer))
                  .order_by(SavedFilter.name, SavedFilter.id))


def save_filter(session: Session, actor: User, *, name: str | None, query: str | None) -> SavedFilter:
    """Save the list's current filters under ``name`` for ``actor``; saving a name again replaces its filters."""
    name = (name or "").strip()
    if not name:
        raise DomainError("保存する絞り込みの名前を入力してください。")
    if len(name) > NAME_MAX:
        raise DomainError(f"名前は{NAME_MAX}文字以内で入力してください。")
    normalized = normalize_query(query or "")
    if not normalized:
        raise DomainError("絞り込み条件がありません。条件を選んで「絞り込む」を押してから保存してください。")
    existing = session.scalars(
        sa.select(SavedFilter).where(SavedFilter.user_id == actor.id, SavedFilter.name == name)).one_or_none()
    if existing is not None:
        existing.query = normalized
        session.flush()
        return existing
    count = session.scalar(sa.select(sa.func.count(SavedFilter.id)).where(SavedFilter.user_id == actor.id))
    if count >= MAX_PER_USER:
        raise DomainError(f"保存できる絞り込みは{MAX_PER_USER}件までです。不要なものを削除してください。")
    saved = SavedFilter(user_id=actor.id, name=name, query=normalized)
    session.add(saved)
    session.flush()
    return saved


def get_own_filter(session: Session, actor: User, filter_id: int) -> SavedFilter:
    """One of ``actor``'s saved filters; anyone else's is 'not found'."""
    saved = session.scalars(
        sa.select(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == actor.id)).one_or_none()
    if saved is None:
        raise NotFound("保存した絞り込みが見つかりません。")
    return saved


def delete_filter(session: Session, actor: User, filter_id: int) -> str:
    """Delete one of ``actor``'s saved filters; returns its name."""
    saved = get_own_filter(session, actor, filter_id)
    session.delete(saved)
    session.flush()
    return saved.name
