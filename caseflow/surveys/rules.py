"""The obligation rule table: answers → 「個別データの点検が必要」, with each rule's reason (pure).

A rule table is data (seed/obligation_rules.json; versions edited by the Digital Agency are
stored in the database as the same JSON): ``{"rules": [{"code": "Q4-2", "reason": "…",
"when": CONDITION}, …], "scope": {"when": CONDITION, "label": "住登外者等"}}`` where a CONDITION is
``{"item": "7-2", "any_of": ["①"]}`` (the answer holds one of the marks),
``{"item": "7-4", "none_of": ["⑤"]}`` (answered, and holds none of them),
``{"all": [CONDITION, …]}`` or ``{"any": [CONDITION, …]}``.

Answers are canonical (caseflow.surveys.questionnaire.normalize_answers): marks run together,
「①②」. A blank or skipped item matches no condition, ``none_of`` included: a union member that
never reached Q7-4 is not 「Q7-4 without 住所」.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from caseflow import ROOT
from caseflow.surveys.questionnaire import Questionnaire

RULES_PATH = ROOT / "seed" / "obligation_rules.json"
# Keys a table, a rule and the scope may carry besides those checked (free documentation).
TABLE_KEYS = {"rules", "scope", "version", "questionnaire", "source", "note"}
RULE_KEYS = {"code", "reason", "when", "note"}
SCOPE_KEYS = {"when", "label", "note"}
SCOPE_ALL = "all"
SCOPE_OUT_OF_AREA = "out_of_area"


@dataclass(frozen=True)
class Verdict:
    required: bool  # 点検 要 / 不要
    scope: str  # "all" (全件) or "out_of_area" (住登外者等: Q1 ①)
    reasons: tuple[tuple[str, str], ...]  # (rule code, reason text) of every rule that applies

    @property
    def scope_label(self) -> str:
        return "住登外者等" if self.scope == "out_of_area" else "全件"

    @property
    def required_label(self) -> str:
        """点検 要 / 不要, as the obligations list writes it."""
        return "要" if self.required else "不要"


@functools.lru_cache(maxsize=1)
def _seed_table() -> dict:
    return json.loads(RULES_PATH.read_text(encoding="utf-8"))


def default_rule_table() -> dict:
    """The seed's rules (seed/obligation_rules.json), a fresh copy the caller may edit."""
    return copy.deepcopy(_seed_table())


def condition_holds(condition: Mapping, answers: Mapping[str, str]) -> bool:
    """Whether ``condition`` holds for these (canonical) answers; a blank item matches nothing."""
    if "all" in condition:
        return all(condition_holds(part, answers) for part in condition["all"])
    if "any" in condition:
        return any(condition_holds(part, answers) for part in condition["any"])
    answer = (answers.get(condition["item"]) or "").strip()
    if not answer:
        return False
    if "any_of" in condition:
        return any(mark in answer for mark in condition["any_of"])
    return not any(mark in answer for mark in condition["none_of"])


def _condition_problems(condition: object, questionnaire: Questionnaire, where: str) -> list[str]:
    shape = f"{where}：条件の形が正しくありません（item と any_of または none_of、all、any のいずれか）"
    if not isinstance(condition, Mapping):
        return [shape]
    keys = set(condition)
    if keys in ({"all"}, {"any"}):
        parts = next(iter(condition.values()))
        if not isinstance(parts, list) or not parts:
            return [f"{where}：{next(iter(keys))} に条件が一つもありません"]
        return [problem for part in parts for problem in _condition_problems(part, questionnaire, where)]
    if keys not in ({"item", "any_of"}, {"item", "none_of"}):
        return [shape]
    key = condition["item"]
    marks = condition.get("any_of", condition.get("none_of"))
    if not isinstance(key, str) or not questionnaire.has(key):
        return [f"{where}：項番「{key}」は調査項目にありません"]
    item = questionnaire.item(key)
    if not item.is_choice:
        return [f"{where}：{item.label}は選択式の項目ではありません"]
    if not isinstance(marks, list) or not marks:
        return [f"{where}：{item.label}の選択肢が指定されていません"]
    return [f"{where}：{item.label}に「{mark}」の選択肢はありません（{''.join(item.marks)}）"
            for mark in marks if mark not in item.marks]


def rule_table_problems(table: dict, questionnaire: Questionnaire) -> list[str]:
    """What is wrong with a rule table (an unknown 項番 or option, a rule without code or reason,
    a code used twice, a malformed condition), in Japanese; empty when it may be saved."""
    if not isinstance(table, Mapping) or not isinstance(table.get("rules"), list):
        return ["規則表の形が正しくありません（rules に規則の一覧が必要です）"]
    found = [f"規則表：不明な項目「{key}」があります" for key in sorted(set(table) - TABLE_KEYS)]
    if not table["rules"]:
        found.append("規則表：規則が一つもありません")
    seen: set[str] = set()
    for number, rule in enumerate(table["rules"], start=1):
        if not isinstance(rule, Mapping):
            found.append(f"規則 {number}件目：形が正しくありません")
            continue
        code = rule.get("code")
        if not isinstance(code, str) or not code.strip():
            where = f"規則 {number}件目"
            found.append(f"{where}：コードがありません")
        else:
            where = f"規則 {code}"
            if code in seen:
                found.append(f"{where}：コードが重複しています")
            seen.add(code)
        found += [f"{where}：不明な項目「{key}」があります" for key in sorted(set(rule) - RULE_KEYS)]
        if not isinstance(rule.get("reason"), str) or not rule["reason"].strip():
            found.append(f"{where}：理由がありません")
        if "when" not in rule:
            found.append(f"{where}：条件がありません")
        else:
            found += _condition_problems(rule["when"], questionnaire, where)
    scope = table.get("scope")
    if scope is not None:
        if not isinstance(scope, Mapping) or "when" not in scope:
            found.append("適用範囲：条件がありません")
        else:
            found += [f"適用範囲：不明な項目「{key}」があります" for key in sorted(set(scope) - SCOPE_KEYS)]
            found += _condition_problems(scope["when"], questionnaire, "適用範囲")
    return found


def decide(table: dict, answers: dict[str, str], *, reached_items: Iterable[str] | None = None) -> Verdict:
    """The obligation these answers give under ``table``.

    ``reached_items`` (caseflow.surveys.questionnaire.reached) limits the answers looked at to the
    items the branching asks, so that a stray answer to a skipped question cannot oblige anyone.
    """
    if reached_items is not None:
        asked = set(reached_items)
        answers = {key: value for key, value in answers.items() if key in asked}
    reasons = tuple((rule["code"], rule["reason"]) for rule in table.get("rules", ())
                    if condition_holds(rule["when"], answers))
    scope = table.get("scope")
    out_of_area = bool(scope) and condition_holds(scope["when"], answers)
    return Verdict(required=bool(reasons), scope=SCOPE_OUT_OF_AREA if out_of_area else SCOPE_ALL, reasons=reasons)
