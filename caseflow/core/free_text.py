"""The one guard for free text: a My Number typed into a comment is masked before it is stored.

Every column a person writes freely (comments, reasons, notes, referral questions and
answers, saved-filter names, file names …) is declared with ``free_text()``. Before each
flush, every such value on a new or changed row goes through ``mask_my_numbers``: a valid
My Number, written together, with spaces or hyphens (4-4-4) or in full-width digits, keeps
only its last four digits (●●●●●●●●9018). This is the same whichever page, API endpoint,
import or command wrote the row, and what the session holds afterwards is what was stored.

When something was masked and the transaction commits, ``take_masked_notice(session)``
says so once: the pages show 「個人番号と思われる数字を伏せて保存しました」 and the API sends
the ``CaseFlow-Notice: my-number-masked`` header. Output masking (the API's answers, the
pages' templates) stays as a second line.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapper, Session, mapped_column

from caseflow.core.mynumber import mask_my_numbers

MASKED_MESSAGE = "個人番号と思われる数字を伏せて保存しました。"
# The API's answer header when a request's text was masked (its value is ASCII, as headers must be).
NOTICE_HEADER = "CaseFlow-Notice"
NOTICE_MASKED = "my-number-masked"

_INFO_KEY = "free_text"
_PENDING = "caseflow.free_text.pending"
_COMMITTED = "caseflow.free_text.committed"


def free_text(type_: sa.types.TypeEngine | type = sa.Text, *args, **kwargs):
    """``mapped_column`` for a column people type freely (str, or JSON whose strings are free text)."""
    info = dict(kwargs.pop("info", None) or {})
    info[_INFO_KEY] = True
    return mapped_column(type_, *args, info=info, **kwargs)


def mask_value(value):
    """``value`` with every My Number in its strings masked (a str, or JSON: lists and dicts)."""
    if isinstance(value, str):
        return mask_my_numbers(value)
    if isinstance(value, dict):
        return {key: mask_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_value(item) for item in value]
    return value


def guard(session: Session, value):
    """``mask_value`` for a value used before the flush (a hash over it, say), noting a masking."""
    masked = mask_value(value)
    if masked != value:
        session.info[_PENDING] = True
    return masked


class ShownInFull(str):
    """A full My Number shown on purpose (the display is in the access records): pages leave it whole."""


def mask_for_page(value):
    """The pages' second line (Jinja's ``finalize``): a plain string printed on a page is masked.

    Markup (made by code, not typed) and a ``ShownInFull`` number pass as they are.
    """
    if type(value) is str:
        return mask_my_numbers(value)
    return value


_KEYS: dict[Mapper, tuple[str, ...]] = {}


def free_text_keys(mapper: Mapper) -> tuple[str, ...]:
    """The attributes of a mapped class declared with ``free_text()``."""
    keys = _KEYS.get(mapper)
    if keys is None:
        keys = tuple(attr.key for attr in mapper.column_attrs
                     if any(column.info.get(_INFO_KEY) for column in attr.columns))
        _KEYS[mapper] = keys
    return keys


@event.listens_for(Session, "before_flush")
def _mask_free_text(session: Session, _ctx, _instances) -> None:
    for obj in (*session.new, *session.dirty):
        state = sa.inspect(obj)
        for key in free_text_keys(state.mapper):
            value = state.dict.get(key)
            if value is None:
                continue
            masked = mask_value(value)
            if masked != value:
                setattr(obj, key, masked)
                session.info[_PENDING] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous) -> None:
    # Nothing of the rolled-back work was stored, so nothing was masked either (a savepoint's
    # rollback leaves the rest of the transaction, and its notice, as they were).
    if not previous.nested:
        session.info.pop(_PENDING, None)


def take_masked_notice(session: Session) -> bool:
    """True once after a commit that stored masked text (and forgets it)."""
    return bool(session.info.pop(_COMMITTED, False))
