"""What an organisation, its letterhead and a program's profile must be, whoever writes them.

The reference loader (``caseflow.seeding``, from seed/*.csv) and the administration pages
(``caseflow.administration``) ask the same functions, so a code, a category or a set of facts
the one refuses the other refuses too. Each function returns the problems in Japanese (an
empty list: fine); no Flask and no ORM session here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from caseflow.matching.normalize import PREFECTURES
from caseflow.organizations.models import FACTS, LETTERHEAD_FIELDS, OrganizationCategory, OrganizationKind

CODE_MAX = 20  # organizations.code
NAME_MAX = 200  # organizations.name
LETTERHEAD_VALUE_MAX = 100  # each line of a letterhead (an address, a department, office hours …)
LETTERHEAD_PREFIX_MAX = 10  # 青市民 in 青市民第1234号
# Letters, digits, hyphen and underscore: a code is typed on the command line (--agency 022012).
_CODE = re.compile(r"[A-Za-z0-9_-]+")

# The kind of organisation (what it does in CaseFlow) follows from its category (what body it is).
_KIND_OF = {OrganizationCategory.MINISTRY: OrganizationKind.MINISTRY,
            OrganizationCategory.DIGITAL_AGENCY: OrganizationKind.DIGITAL_AGENCY}
# Bodies with a 全国地方公共団体コード (6 digits: prefecture, body, check digit).
LOCAL_GOVERNMENTS = (OrganizationCategory.PREFECTURE, OrganizationCategory.MUNICIPALITY)
# The facts a registry query needs at the least (3情報: name, birth date, address; sex makes 4).
REQUIRED_FACTS = ("name", "birth_date", "address")
FACT_LABELS = {"name": "氏名", "kana": "氏名（カナ）", "birth_date": "生年月日", "sex": "性別", "address": "住所"}
# Organisations that send letters to residents, and so need a letterhead.
LETTER_SENDERS = (OrganizationKind.LINKING_AGENCY, OrganizationKind.DIGITAL_AGENCY)


def kind_of(category: OrganizationCategory) -> OrganizationKind:
    """The kind an organisation of ``category`` is: a ministry, the Digital Agency, or a linking agency."""
    return _KIND_OF.get(category, OrganizationKind.LINKING_AGENCY)


def local_government_check_digit(first_five: str) -> int:
    """Check digit of a 全国地方公共団体コード (総務省: weights 6,5,4,3,2; 11 minus the remainder, last digit)."""
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def organization_problems(*, code: str, name: str, kind: OrganizationKind,
                          category: OrganizationCategory | None, prefecture: str | None) -> list[str]:
    """Why these values cannot describe an organisation (empty: they can)."""
    problems = []
    if not code:
        problems.append("組織コードを入力してください。")
    elif len(code) > CODE_MAX or not _CODE.fullmatch(code):
        problems.append(f"組織コードは半角英数字・ハイフン・アンダースコアの{CODE_MAX}文字以内で入力してください。")
    if not name:
        problems.append("組織名を入力してください。")
    elif len(name) > NAME_MAX:
        problems.append(f"組織名は{NAME_MAX}文字以内で入力してください。")
    if prefecture and prefecture not in PREFECTURES:
        problems.append("都道府県は一覧から選んでください。")
    if category is not None and kind is not kind_of(category):
        problems.append(f"組織区分「{category.label}」の組織は{kind_of(category).label}です（{kind.label}ではありません）。")
    if category in LOCAL_GOVERNMENTS and code:
        problems.extend(_local_government_code_problems(code, category, prefecture))
    return problems


def _local_government_code_problems(code: str, category: OrganizationCategory, prefecture: str | None) -> list[str]:
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return [f"{category.label}の組織コードは、全国地方公共団体コード（検査数字を含む半角数字6桁）で入力してください。"]
    problems = []
    if local_government_check_digit(code[:5]) != int(code[5]):
        problems.append("全国地方公共団体コードの検査数字（6桁目）が一致しません。")
    is_prefecture = code[2:5] == "000"
    if category is OrganizationCategory.PREFECTURE and not is_prefecture:
        problems.append("都道府県の全国地方公共団体コードは、3～5桁目が 000 です。")
    if category is OrganizationCategory.MUNICIPALITY and is_prefecture:
        problems.append("3～5桁目が 000 のコードは都道府県のものです。市区町村のコードを入力してください。")
    if not prefecture:
        problems.append(f"{category.label}は都道府県を選んでください。")
    elif prefecture in PREFECTURES and int(code[:2]) != PREFECTURES.index(prefecture) + 1:
        problems.append(f"組織コードの先頭2桁（{code[:2]}）が{prefecture}の番号（{PREFECTURES.index(prefecture) + 1:02d}）と一致しません。")
    return problems


def letterhead_missing(letterhead: Mapping[str, str] | None) -> list[str]:
    """The lines of LETTERHEAD_FIELDS a letterhead lacks, by their labels (all of them when there is none)."""
    head = letterhead or {}
    return [label for key, label in LETTERHEAD_FIELDS.items() if not (head.get(key) or "").strip()]


def letterhead_problems(values: Mapping[str, str]) -> list[str]:
    """Why ``values`` (LETTERHEAD_FIELDS' keys, stripped) cannot be a letterhead; every line is printed."""
    problems = []
    missing = letterhead_missing(values)
    if missing:
        problems.append(f"差出人の情報は全項目が必要です。未入力：{'、'.join(missing)}。")
    for key, label in LETTERHEAD_FIELDS.items():
        limit = LETTERHEAD_PREFIX_MAX if key == "prefix" else LETTERHEAD_VALUE_MAX
        if len(values.get(key) or "") > limit:
            problems.append(f"{label}は{limit}文字以内で入力してください。")
    return problems


def program_profile_problems(facts: Iterable[str], linking: Iterable[str]) -> list[str]:
    """Why a program cannot hold ``facts`` (FACTS' names) or be linked by ``linking`` (category values)."""
    facts, linking = list(facts), list(linking)
    problems = []
    unknown = [fact for fact in facts if fact not in FACTS]
    if unknown:
        problems.append(f"保有する情報に不明な項目があります（{'、'.join(unknown)}）。")
    lacking = [FACT_LABELS[fact] for fact in REQUIRED_FACTS if fact not in facts]
    if lacking:
        problems.append(f"住基照会には少なくとも氏名・生年月日・住所が必要です。保有する情報に{'・'.join(lacking)}を含めてください。")
    categories = {c.value for c in OrganizationCategory}
    bad = [value for value in linking if value not in categories]
    if bad:
        problems.append(f"紐付けを行う組織区分に不明な値があります（{'、'.join(bad)}）。")
    if OrganizationCategory.MINISTRY.value in linking:
        problems.append("府省庁は紐付けを行いません。紐付けを行う組織区分から外してください。")
    return problems
