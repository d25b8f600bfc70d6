"""The questionnaire as data, and its branching (pure: no Flask, no ORM).

The questions, options, notes, audiences and the branching are data (seed/survey_questions_2023.json,
read by :func:`load_questionnaire`); this module only walks them. The branching is written once,
in :func:`reached`: the form, the workbook and the checks all ask it.

- Answers are a plain ``dict[str, str]`` keyed by 項番 (``ITEM_KEYS``): a single choice is its
  mark (``"②"``), a multiple choice its marks run together in option order (``"①②"``), a free
  text or month its text (a month as ``"2023-12"``); a blank answer is absent or ``""``.
- :func:`problems` takes answers as typed (``"②①"``, ``"1,2"``, ``"令和5年12月"``) and normalises
  them itself; :func:`normalize_answers` gives the canonical form to store.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from caseflow import ROOT
from caseflow.core.japanese import ERAS

# Every 項番 of the answer sheet, in the sheet's order (the list files' headers, the 一覧用 columns).
ITEM_KEYS = ("1-1", "1-2", "2", "2予定年月", "3", "4", "5", "6", "7-1", "7-2", "7-3", "7-4",
             "8-1", "8-1概要", "8-2", "9", "10", "10概要", "11", "12", "13")

CAUTION = "迷う場合は、より慎重な選択肢を選択"

QUESTIONNAIRE_DIR = ROOT / "seed"
CHOICE_KINDS = ("single", "multiple")
ITEM_KINDS = CHOICE_KINDS + ("text", "month")
MARKS = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


class RespondentKind(enum.StrEnum):
    """Who answers, which decides the questions asked (Q1-1 / Q1-2 / Q13)."""

    PREFECTURE = "prefecture"
    MUNICIPALITY = "municipality"  # not in a union
    UNION = "union"  # 広域連合等
    MEMBER = "member"  # a municipality that runs the program through a union (組織名 … (広域))


@dataclass(frozen=True)
class Condition:
    """「…で①を選んだ場合」: the answer to ``item`` holds one of ``any_of`` (a blank never does)."""

    item: str
    any_of: tuple[str, ...]

    def holds(self, answers: Mapping[str, str]) -> bool:
        answer = answers.get(self.item) or ""
        return any(mark in answer for mark in self.any_of)


@dataclass(frozen=True)
class Option:
    mark: str  # ①
    text: str
    note: str | None = None  # the seed's line under the option (Q8-1 ①, Q13 「→該当する場合…」)
    skip_to: str | None = None  # 「（Q6へ）」: the 項番 answered next; those between are not asked
    union_text: str | None = None  # the text as a union reads it (「構成市町村への照会」), when it differs


@dataclass(frozen=True)
class Item:
    key: str  # 項番: "7-3", "2予定年月"
    label: str  # "Q7-3", "Q2 予定年月"
    text: str  # the question as the seed writes it
    kind: str  # "single" | "multiple" | "text" | "month"
    options: tuple[Option, ...] = ()
    note: str | None = None  # the seed's notes (※ …, (注) …)
    parent: str | None = None  # a detail's question ("2予定年月" → "2")
    attachment: bool = False  # the seed asks for a supplementary file (Q8-1 ①, Q10 ②③④)
    heading: str | None = None  # a line the seed puts above the question (<<以下、介護保険関係追加問>>)
    audience: tuple[str, ...] = ()  # the RespondentKind values asked; () for every respondent
    audience_note: str | None = None  # 「都道府県のみ回答します」
    group: str | None = None  # a program's additional questions ("介護保険": Q11–Q12)
    only_if: Condition | None = None  # asked only when this holds (Q7-3 after Q7-2 ①)
    sheet_text: str | None = None  # the 質問 column of the seed's 回答シート
    union_text: str | None = None  # the text as a union reads it, when it differs

    @property
    def marks(self) -> tuple[str, ...]:
        return tuple(option.mark for option in self.options)

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def detail_name(self) -> str:
        """「予定年月」 of 「Q2 予定年月」: what a detail item asks for."""
        return self.label.partition(" ")[2] or self.label

    def option(self, mark: str) -> Option | None:
        return next((option for option in self.options if option.mark == mark), None)


@dataclass(frozen=True)
class Cover:
    """The survey's cover letter: who asks, for which program, by when, and how to submit."""

    ministry: str  # 厚生労働省老健局
    program: str  # 介護保険関係事務
    program_label: str  # 制度等 on the respondent sheet: 福祉・介護(介護保険)
    deadline: dt.datetime  # 2023-07-21 17:00 Japan time
    deadline_label: str  # 令和5年7月21日（金）17時
    submit_to: str
    mail_subject: str
    file_name: str  # 【都道府県】2307 マイナンバー調査回答 (【都道府県】 replaced by the prefecture)
    caution: str  # 迷う場合は、より慎重な選択肢を選択
    caution_text: str
    union_name_rule: str
    organization_name_rule: str
    responsible_rule: str


@dataclass(frozen=True)
class Gate:
    """Q13, answered first by unions and their members: which of them answer the other items."""

    item: str
    reaches: tuple[tuple[str, tuple[str, ...]], ...]  # (RespondentKind value, marks that let it answer)

    def marks_for(self, kind: str) -> tuple[str, ...] | None:
        return dict(self.reaches).get(kind)


@dataclass(frozen=True)
class Problem:
    key: str  # 項番
    message: str  # 「Q7-3：Q7-2で②を選んだ場合は回答しません」 (label first, then the problem)


class AnswerError(ValueError):
    """An answer that cannot be read (a mark not in the options, a month that is not one)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class Questionnaire:
    key: str
    title: str
    items: tuple[Item, ...]
    additions: tuple[str, ...]  # program-specific question groups included ("介護保険": Q11–Q12)
    cover: Cover | None = None
    gate: Gate | None = None
    respondent_names: tuple[tuple[str, str], ...] = ()  # (RespondentKind value, 構成市町村 …)
    _index: dict[str, Item] = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {item.key: item for item in self.items})

    def item(self, key: str) -> Item:
        """The item of 項番 ``key``; KeyError when the questionnaire has none."""
        try:
            return self._index[key]
        except KeyError:
            raise KeyError(f"項番「{key}」は調査項目にありません") from None

    def has(self, key: str) -> bool:
        return key in self._index

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    def respondent_name(self, kind: str) -> str:
        return dict(self.respondent_names).get(kind, str(kind))


# --- Loading ---------------------------------------------------------------------------------------


def load_questionnaire(key: str = "2023", *, additions: Iterable[str] | None = None) -> Questionnaire:
    """The questionnaire ``seed/survey_questions_<key>.json`` (cached).

    ``additions`` names the program-specific groups to include (None: those the file lists; the
    seed's survey has 「介護保険」, Q11–Q12); items of a group not named are left out.
    """
    return _load(key, None if additions is None else tuple(additions))


@functools.lru_cache(maxsize=16)
def _load(key: str, additions: tuple[str, ...] | None) -> Questionnaire:
    if not re.fullmatch(r"[0-9A-Za-z_-]+", key):
        raise KeyError(f"調査票「{key}」はありません")
    path = QUESTIONNAIRE_DIR / f"survey_questions_{key}.json"
    if not path.is_file():
        raise KeyError(f"調査票「{key}」はありません")
    return parse_questionnaire(json.loads(path.read_text(encoding="utf-8")), additions=additions)


def parse_questionnaire(data: dict, *, additions: Iterable[str] | None = None) -> Questionnaire:
    """A questionnaire from its JSON form; ValueError when the branching points nowhere."""
    included = tuple(data.get("additions", ()) if additions is None else additions)
    readings = [tuple(pair) for pair in data.get("readings", {}).get(RespondentKind.UNION.value, ())]

    def union_reading(text: str) -> str | None:
        read = text
        for written, read_as in readings:
            read = read.replace(written, read_as)
        return read if read != text else None

    items = []
    for raw in data["items"]:
        if raw.get("group") and raw["group"] not in included:
            continue
        only_if = raw.get("only_if")
        options = tuple(Option(mark=o["mark"], text=o["text"], note=o.get("note"), skip_to=o.get("skip_to"),
                               union_text=union_reading(o["text"])) for o in raw.get("options", ()))
        items.append(Item(
            key=raw["key"], label=raw["label"], text=raw["text"], kind=raw["kind"], options=options,
            note=raw.get("note"), parent=raw.get("parent"), attachment=bool(raw.get("attachment")),
            heading=raw.get("heading"), audience=tuple(raw.get("audience", ())),
            audience_note=raw.get("audience_note"), group=raw.get("group"),
            only_if=Condition(only_if["item"], tuple(only_if["any_of"])) if only_if else None,
            sheet_text=raw.get("sheet_text"), union_text=union_reading(raw["text"])))
    cover = None
    if "cover" in data:
        c = data["cover"]
        cover = Cover(**{name: c[name] for name in Cover.__dataclass_fields__ if name != "deadline"},
                      deadline=dt.datetime.fromisoformat(c["deadline"]))
    gate = None
    if "gate" in data:
        gate = Gate(item=data["gate"]["item"],
                    reaches=tuple((kind, tuple(marks)) for kind, marks in data["gate"]["reaches"].items()))
    questionnaire = Questionnaire(key=data["key"], title=data["title"], items=tuple(items), additions=included,
                                  cover=cover, gate=gate,
                                  respondent_names=tuple(data.get("respondent_names", {}).items()))
    _check_structure(questionnaire)
    return questionnaire


def _check_structure(q: Questionnaire) -> None:
    # A branch pointing at a missing item would silently hide every later question: refuse the file.
    position = {item.key: n for n, item in enumerate(q.items)}
    kinds = {kind.value for kind in RespondentKind}
    wrong: list[str] = []
    if len(position) != len(q.items):
        wrong.append("項番が重複しています")
    for n, item in enumerate(q.items):
        if item.kind not in ITEM_KINDS:
            wrong.append(f"{item.label}：種類「{item.kind}」は使えません")
        if item.is_choice != bool(item.options):
            wrong.append(f"{item.label}：選択式の項目にだけ選択肢があります")
        if set(item.audience) - kinds:
            wrong.append(f"{item.label}：回答者の区分が正しくありません")
        for option in item.options:
            if option.skip_to is not None and position.get(option.skip_to, -1) <= n:
                wrong.append(f"{item.label}：{option.mark}の移動先「{option.skip_to}」が後ろの項目にありません")
        if item.parent is not None and position.get(item.parent, n) >= n:
            wrong.append(f"{item.label}：親の項目「{item.parent}」が前にありません")
        if item.only_if is not None:
            source = q._index.get(item.only_if.item)
            if source is None or position[source.key] >= n or not set(item.only_if.any_of) <= set(source.marks):
                wrong.append(f"{item.label}：回答する条件が前の項目の選択肢を指していません")
    if q.gate is not None:
        gate = q._index.get(q.gate.item)
        if gate is None or any(not set(marks) <= set(gate.marks) for _kind, marks in q.gate.reaches):
            wrong.append("Q13の振り分けが選択肢を指していません")
    if wrong:
        raise ValueError("調査票の定義が正しくありません：" + "／".join(wrong))


# --- Reading answers -------------------------------------------------------------------------------

# Between marks: commas, 、, ・, slashes, spaces (full- or half-width).
_SEPARATORS = " \u3000\t\n,、，・･/／;；.．|"
# A token is a circled mark, a run of digits (half- or full-width), or a run of anything else ("○").
_TOKEN = re.compile(f"[{MARKS}]|[0-9０-９]+|[^{re.escape(_SEPARATORS)}{MARKS}0-9０-９]+")


def _blank(value: object) -> bool:
    return value is None or not str(value).strip()


def normalize_choice(item: Item, raw: str, *, strict: bool = False) -> str:
    """The canonical answer of a choice item: its marks in option order, once each (「②①」 → 「①②」).

    Accepts marks (①②), digits (1,2 / １・２) and separators between them. A blank gives "".
    A token that is not one of the item's marks (「⑤」, 「○」), or several marks for a single choice,
    raises :class:`AnswerError` when ``strict``; otherwise the text comes back as typed (stripped),
    so that :func:`problems` reports it with its 項番 and nothing is lost on the way.
    """
    text = "" if raw is None else str(raw).strip()
    if not text:
        return ""
    marks: set[str] = set()
    tokens = []
    for token in _TOKEN.findall(text):
        digits = unicodedata.normalize("NFKC", token) if token not in MARKS else ""
        if not (digits.isascii() and digits.isdigit()):
            tokens.append(token)
        elif len(item.options) < 10:  # 「12」 can only mean ①②: no item has a ⑫ to confuse it with
            tokens += [MARKS[int(digit) - 1] if digit != "0" else digit for digit in digits]
        else:
            tokens.append(MARKS[int(digits) - 1] if 1 <= int(digits) <= len(MARKS) else token)
    for mark in tokens:
        if mark not in item.marks:
            if not strict:
                return text
            raise AnswerError(Problem(item.key, f"{item.label}：「{mark}」は選択肢にありません（{''.join(item.marks)}）"))
        marks.add(mark)
    if item.kind == "single" and len(marks) > 1:
        if not strict:
            return text
        raise AnswerError(Problem(item.key, f"{item.label}：選択肢は一つだけ選んでください（{''.join(item.marks)}のうち一つ）"))
    return "".join(mark for mark in item.marks if mark in marks)


_ERA_START = {name: start.year for start, name, _abbr in ERAS} | {abbr: start.year for start, _n, abbr in ERAS}
_MONTH = re.compile(r"(?P<year>\d{4})(?:年|[-/.])(?P<month>\d{1,2})月?")
_ERA_MONTH = re.compile(r"(?P<era>[^\d元]+)(?P<year>\d{1,2}|元)(?:年|[-/.])(?P<month>\d{1,2})月?")


def normalize_month(raw: str, *, strict: bool = False) -> str:
    """A month as 「2023-12」, from 2023年12月, 2023-12, 2023/12, 令和5年12月 or R5.12.

    A blank gives "". Text that is not a month raises ValueError when ``strict``; otherwise it comes
    back as typed (stripped), for :func:`problems` to report.
    """
    text = "" if raw is None else str(raw).strip()
    if not text:
        return ""
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    year = month = None
    if found := _MONTH.fullmatch(compact):
        year, month = int(found["year"]), int(found["month"])
    elif (found := _ERA_MONTH.fullmatch(compact)) and found["era"].upper() in _ERA_START:
        in_era = 1 if found["year"] == "元" else int(found["year"])
        if in_era >= 1:
            year, month = _ERA_START[found["era"].upper()] + in_era - 1, int(found["month"])
    if year is None or not 1 <= month <= 12:
        if strict:
            raise ValueError(f"「{text}」は年月として読めません（例：2023年12月）")
        return text
    return f"{year:04d}-{month:02d}"


def normalize_answer(item: Item, raw: str) -> str:
    """The canonical answer to ``item`` (see the module docstring); AnswerError when unreadable."""
    if _blank(raw):
        return ""
    if item.is_choice:
        return normalize_choice(item, raw, strict=True)
    if item.kind == "month":
        try:
            return normalize_month(raw, strict=True)
        except ValueError as error:
            raise AnswerError(Problem(item.key, f"{item.label}：{error}")) from None
    return str(raw).strip()


def normalize_answers(questionnaire: Questionnaire, answers: Mapping[str, str]) -> tuple[dict[str, str], list[Problem]]:
    """The answers in canonical form (blanks left out) and the problems of those that cannot be read,
    including a 項番 the questionnaire does not have."""
    canonical: dict[str, str] = {}
    found: list[Problem] = []
    for key, raw in answers.items():
        if _blank(raw):
            continue
        if not questionnaire.has(key):
            found.append(Problem(key, f"{key}：調査項目にありません"))
            continue
        try:
            canonical[key] = normalize_answer(questionnaire.item(key), raw)
        except AnswerError as error:
            found.append(error.problem)
    return canonical, found


def text_for(item: Item | Option, kind: RespondentKind | str) -> str:
    """The question's (or option's) text as this respondent reads it: for a union,
    「組織内の住基システム」 reads 「構成市町村への照会」 (seed 001)."""
    if kind == RespondentKind.UNION and item.union_text:
        return item.union_text
    return item.text


# --- The branching ---------------------------------------------------------------------------------


def _verb(item: Item) -> str:
    return "回答" if item.is_choice else "記入"


def _either(marks: Iterable[str]) -> str:
    marks = "".join(marks)
    return marks if len(marks) == 1 else f"{marks}のいずれか"


def skip_reasons(questionnaire: Questionnaire, kind: RespondentKind | str,
                 answers: Mapping[str, str]) -> dict[str, str | None]:
    """For every item: None when the branching reaches it, else why not (「Q3で②を選んだ場合は回答しません」).

    ``answers`` must be canonical (:func:`normalize_answers`). A blank answer skips nothing (the items
    after it stay asked, so that a blank is reported, not hidden), but an only_if on a blank fails.
    """
    kind = RespondentKind(kind)
    q = questionnaire
    position = {item.key: n for n, item in enumerate(q.items)}
    gate_reason = None
    if q.gate is not None and (marks := q.gate.marks_for(kind)) is not None:
        gate_answer = answers.get(q.gate.item) or ""
        if gate_answer and not any(mark in gate_answer for mark in marks):
            only = "のみ" if len(gate_answer) == 1 else ""
            gate_reason = (f"{q.item(q.gate.item).label}で{gate_answer}{only}を選んだ"
                           f"{q.respondent_name(kind)}は{{verb}}しません")
    why_not: dict[str, str | None] = {}  # with {verb} unfilled: a detail says 記入 where its question says 回答
    asked: dict[str, str] = {}
    skip: tuple[str, str] | None = None  # (項番 answered next, why those before it are not)
    for item in q.items:
        reason: str | None = None
        if item.audience and kind not in item.audience:
            reason = item.audience_note or f"{q.respondent_name(kind)}は{{verb}}しません"
        elif gate_reason and item.key != q.gate.item:
            reason = gate_reason
        elif item.parent and why_not.get(item.parent):
            reason = why_not[item.parent]
        elif skip and position[item.key] < position[skip[0]]:
            reason = skip[1]
        elif item.only_if and not item.only_if.holds(asked):
            source = q.item(item.only_if.item)
            reason = f"{source.label}で{_either(item.only_if.any_of)}を選んだ場合のみ{{verb}}します"
        if skip and item.key == skip[0]:
            skip = None
        why_not[item.key] = reason
        if reason is None:
            asked[item.key] = answers.get(item.key) or ""
            option = item.option(asked[item.key]) if item.kind == "single" else None
            if option is not None and option.skip_to:
                skip = (option.skip_to, f"{item.label}で{option.mark}を選んだ場合は{{verb}}しません")
    return {item.key: why_not[item.key] and why_not[item.key].replace("{verb}", _verb(item)) for item in q.items}


def reached(questionnaire: Questionnaire, kind: RespondentKind, answers: dict[str, str]) -> list[str]:
    """The 項番 the branching reaches for this respondent and these answers, in order."""
    canonical, _unreadable = normalize_answers(questionnaire, answers)
    return [key for key, reason in skip_reasons(questionnaire, kind, canonical).items() if reason is None]


def _missing(questionnaire: Questionnaire, item: Item, canonical: Mapping[str, str]) -> str:
    if item.parent and item.only_if:
        chosen = canonical.get(item.only_if.item, "")
        marks = "".join(mark for mark in item.only_if.any_of if mark in chosen) or _either(item.only_if.any_of)
        source = questionnaire.item(item.only_if.item)
        return f"{source.label}で{marks}を選んだ場合は{item.detail_name}を記入してください"
    return "回答がありません"


def problems(questionnaire: Questionnaire, kind: RespondentKind, answers: dict[str, str], *,
             complete: bool = True) -> list[Problem]:
    """What is wrong: an option that does not exist, a question answered that the branching skips,
    and (``complete``) a reached question left blank. Empty when the answers may be submitted.

    At most one problem per item, in the questionnaire's order (an answer the branching skips is
    reported as such even when it is also unreadable: it should not be there at all).
    """
    canonical, unreadable = normalize_answers(questionnaire, answers)
    by_key = {problem.key: problem for problem in unreadable}
    reasons = skip_reasons(questionnaire, kind, canonical)
    found: list[Problem] = []
    for item in questionnaire.items:
        given = not _blank(answers.get(item.key))
        reason = reasons[item.key]
        if given and reason:
            found.append(Problem(item.key, f"{item.label}：{reason}"))
        elif item.key in by_key:
            found.append(by_key[item.key])
        elif complete and not given and reason is None:
            found.append(Problem(item.key, f"{item.label}：{_missing(questionnaire, item, canonical)}"))
    found += [problem for problem in unreadable if not questionnaire.has(problem.key)]
    return found


# The respondent sheet (回答者情報), in the seed's order: (field, label). 制度等 and 属性 are
# written by the ministry; the rest by the respondent (組織名 is computed from the reference list:
# caseflow.surveys.local_governments.organization_name).
SHEET_FIELDS = (("program_label", "制度等"), ("category_label", "組織区分"), ("attribute", "属性"),
                ("organization_name", "組織名"), ("department", "担当部署名"),
                ("responsible_title", "回答責任者役職"), ("responsible_name", "回答責任者氏名"),
                ("contact_name", "連絡先氏名"), ("phone", "電話番号"), ("email", "メールアドレス"))


def sheet_incomplete(sheet: dict[str, str]) -> bool:
    """「情報未入力あり」: a field of the respondent sheet is blank."""
    return any(not (sheet.get(field) or "").strip() for field, _ in SHEET_FIELDS)


def unanswered(questionnaire: Questionnaire, kind: RespondentKind, answers: dict[str, str]) -> bool:
    """「未回答あり」: a question the branching reaches is blank."""
    return any(_blank(answers.get(key)) for key in reached(questionnaire, kind, answers))
