"""Ids and counts sent by a browser or a program, read safely.

``str.isdigit()`` is not enough: it accepts "²" and "①", which ``int()`` refuses, and an id
may be longer than the database's integer (PostgreSQL's ``integer`` stops at 2**31 - 1).
Both would reach the database and end in a 500; here they are simply not an id.
"""

from __future__ import annotations

import re

from caseflow.errors import DomainError

# The largest value of a PostgreSQL ``integer`` column (every id, count and version here).
MAX_ID = 2**31 - 1


def parse_id(value: object, *, maximum: int = MAX_ID) -> int | None:
    """``value`` as a positive id (ASCII digits, or an int from JSON) up to ``maximum``; None otherwise."""
    return parse_count(value, minimum=1, maximum=maximum)


def parse_count(value: object, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """``value`` as a whole number from ``minimum`` to ``maximum`` (ASCII digits, or an int from JSON); None otherwise.

    For ids and for the numbers people type into forms (a version, how many people matched, a
    page): Python's ``int()`` reads "１２" and "١٢" too, which would pass a check that a later step
    refuses.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not is_ascii_digits(value) or len(value) > 12:
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if minimum <= value <= maximum else None


def required_text(value: str | None, missing: str, maximum: int, what: str = "") -> str:
    """``value`` stripped; a DomainError with ``missing`` when it is empty, or when longer than ``maximum``."""
    text = (value or "").strip()
    if not text:
        raise DomainError(missing)
    if len(text) > maximum:
        raise DomainError(f"{what}{maximum}文字以内で入力してください。")
    return text


def is_ascii_digits(value: str, length: int | None = None) -> bool:
    """True if ``value`` is made only of the ASCII digits 0-9 (of ``length`` digits when given)."""
    return bool(value) and value.isascii() and value.isdigit() and (length is None or len(value) == length)


def is_id(value: object) -> bool:
    """True if ``value`` reads as an id (parse_id)."""
    return parse_id(value) is not None


# Characters no form or JSON field may hold: C0 controls other than tab and line ends (U+0000
# above all, which PostgreSQL's text cannot store), DEL, and lone surrogates (JSON's "\udb33"),
# which UTF-8 cannot encode. Nothing a person types contains them.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
BAD_CHARACTERS_MESSAGE = ("入力に使用できない文字（制御文字など）が含まれています。"
                          "入力した内容を確認して、もう一度送信してください。")


def has_bad_characters(value: object) -> bool:
    """True if a string in ``value`` (a string, or JSON: lists and objects, keys too) holds one of them."""
    if isinstance(value, str):
        return _FORBIDDEN.search(value) is not None
    if isinstance(value, dict):
        return any(has_bad_characters(k) or has_bad_characters(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_bad_characters(v) for v in value)
    return False


def id_converter():
    """Werkzeug's ``int`` converter for routes, limited to ASCII digits and the database's integer.

    An id above MAX_ID reaches the view as 0, which no row has (ids start at 1): the view then
    answers exactly as for any id that does not exist (``/cases/2147483648`` is "案件が見つかりません"
    like ``/cases/99999999``) instead of handing the database an integer it cannot compare.
    """
    from werkzeug.routing import IntegerConverter

    class IdConverter(IntegerConverter):
        regex = r"[0-9]+"

        def to_python(self, value: str) -> int:
            number = int(value) if len(value) <= 12 else MAX_ID + 1
            return number if number <= MAX_ID else 0

    return IdConverter
