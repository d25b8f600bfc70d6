"""The fields of an agency extract: one list, with their Japanese labels and the headers accepted.

Business records (業務データ) and registry extracts (住基データ) share these fields; a field
says for which kind its column, and a value in every row, is required. The reader
(:mod:`caseflow.matching.extracts`), the grader's labels and the synthetic data's Japanese
headers all come from :data:`EXTRACT_FIELDS`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import polars as pl

from caseflow.core.limits import ADDRESS_MAX, PERSON_NAME_MAX, RECORD_ID_MAX

KINDS = ("records", "registry")


@dataclass(frozen=True)
class Field:
    """One field of an extract."""

    key: str  # the column name in the extract read, and the English header a file may use
    label: str  # Japanese name: the usual header, and the field's name in problems and results
    aliases: tuple[str, ...]  # every header accepted for it (compared by header_key)
    column_required: frozenset[str]  # kinds for which the column must be present
    value_required: frozenset[str]  # kinds for which every row must have a value
    dtype: type[pl.DataType] = pl.String  # its type in the extract read


_BOTH = frozenset(KINDS)
_RECORDS = frozenset({"records"})
_REGISTRY = frozenset({"registry"})
_NONE: frozenset[str] = frozenset()

EXTRACT_FIELDS: tuple[Field, ...] = (
    Field("record_id", "管理番号", ("管理番号", "record_id"), _RECORDS, _RECORDS),
    Field("my_number", "個人番号", ("個人番号", "マイナンバー", "my_number"), _BOTH, _BOTH),
    Field("name", "氏名", ("氏名", "name"), _BOTH, _BOTH),
    Field("name_kana", "カナ氏名", ("カナ氏名", "氏名（カナ）", "氏名(カナ)", "フリガナ", "name_kana"), _NONE, _NONE),
    Field("birth_date", "生年月日", ("生年月日", "birth_date"), _BOTH, _NONE, pl.Date),
    Field("sex", "性別", ("性別", "sex"), _NONE, _NONE),
    # A business record may lack the address (生活保護: some people have no fixed abode); it is
    # then graded `missing` for the address, never A. A resident in the registry always has one.
    Field("address", "住所", ("住所", "address"), _BOTH, _REGISTRY),
    Field("bank_account", "口座番号", ("口座番号", "公金受取口座", "bank_account"), _NONE, _NONE),
    Field("business_key", "手帳番号", ("手帳番号", "受給者番号", "business_key"), _NONE, _NONE),
    # 住登外者: a person not registered in this municipality (1/0, ○, true …; caseflow.matching.values).
    Field("out_of_area", "住登外", ("住登外", "住登外者", "住登外区分", "out_of_area"), _NONE, _NONE, pl.Boolean),
)
"""Every field, in the order of the extract's columns."""

EXTRACT_SCHEMA = pl.Schema({"row": pl.UInt32, **{field.key: field.dtype for field in EXTRACT_FIELDS}})
"""The columns of an extract read, in order: the spreadsheet row number, then every field."""

LABELS: dict[str, str] = {field.key: field.label for field in EXTRACT_FIELDS}
"""Field key → Japanese label (管理番号, 個人番号 …)."""

FIELD_ORDER: dict[str, int] = {field.key: position for position, field in enumerate(EXTRACT_FIELDS)}
"""Field key → its position: problems found in one row are listed in this order."""

STORED_TEXT = ("record_id", "my_number", "name", "name_kana", "address")
"""The fields a case keeps as text (the columns of caseflow.cases.models.Case)."""

MAX_LENGTHS = {"record_id": RECORD_ID_MAX, "name": PERSON_NAME_MAX, "name_kana": PERSON_NAME_MAX, "address": ADDRESS_MAX}
"""The most characters a case keeps of each value (the columns of caseflow.cases.models.Case)."""


def header_key(text: str) -> str:
    """A header as compared with the aliases: NFKC, without spaces, case-folded."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


_BY_HEADER = {header_key(alias): field for field in EXTRACT_FIELDS for alias in field.aliases}


def field_for_header(header: str) -> Field | None:
    """The field a column header names (any alias, written in any width or case), or None."""
    return _BY_HEADER.get(header_key(header))
