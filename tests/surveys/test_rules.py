"""The obligation rules of the seeds, one by one; the scope 住登外者等; checking an edited rule table."""

from __future__ import annotations

import pytest

from caseflow.surveys.questionnaire import RespondentKind, load_questionnaire, problems, reached
from caseflow.surveys.rules import condition_holds, decide, default_rule_table, rule_table_problems

Q = load_questionnaire()
TABLE = default_rule_table()
REASONS = {rule["code"]: rule["reason"] for rule in TABLE["rules"]}

# (rule code, the fewest answers that trigger it, what its reason must say)
TRIGGERS = [
    ("Q4-2", {"4": "②"}, "事業主等"),
    ("Q7-3-2", {"7-2": "①", "7-3": "②"}, "どの情報で照会するか決めていない"),
    ("Q7-4-no-address", {"7-2": "①", "7-3": "①", "7-4": "②③"}, "住所を含まないカナ氏名及び生年月日のみ"),
    ("Q8-1-2", {"8-1": "②"}, "担当者に事実上任されている"),
    ("Q8-2-2", {"8-1": "①", "8-2": "②"}, "本人として特定できなかった者"),
    ("Q9-4", {"9": "④"}, "別の職員が確認したりしていない"),
    ("Q10-3-4", {"10": "③"}, "改善されていない"),
    ("Q10-3-4", {"10": "④"}, "改善されていない"),
]
# Answers near each rule that do not trigger it.
NEAR_MISSES = [
    {"4": "①"}, {"4": "③"},
    {"7-2": "①", "7-3": "①"},  # Q7-4 blank: none_of on a blank is false
    {"7-2": "①", "7-3": "①", "7-4": "②③⑤"}, {"7-2": "①", "7-3": "①", "7-4": "⑤"},
    {"7-2": "②"}, {"7-3": "②"},  # Q7-3 ② without Q7-2 ①
    {"8-1": "①", "8-2": "①"}, {"8-1": "③"}, {"8-2": "②"},  # Q8-2 ② without Q8-1 ①
    {"9": "①"}, {"9": "②"}, {"9": "③"},
    {"10": "①"}, {"10": "②"},
]


def test_the_seed_table_is_valid_and_has_the_rules_of_the_issue():
    assert rule_table_problems(TABLE, Q) == []
    assert list(REASONS) == ["Q4-2", "Q7-3-2", "Q7-4-no-address", "Q8-1-2", "Q8-2-2", "Q9-4", "Q10-3-4"]
    assert all(reason.strip() for reason in REASONS.values())


@pytest.mark.parametrize(("code", "given", "says"), TRIGGERS)
def test_each_rule_obliges_with_its_reason(code, given, says):
    verdict = decide(TABLE, given)
    assert verdict.required is True
    assert verdict.required_label == "要"
    assert verdict.reasons == ((code, REASONS[code]),)
    assert says in REASONS[code]


@pytest.mark.parametrize("given", NEAR_MISSES)
def test_near_misses_oblige_nobody(given):
    verdict = decide(TABLE, given)
    assert (verdict.required, verdict.reasons, verdict.required_label) == (False, (), "不要")


def test_careful_answers_oblige_nobody():
    given = {"1-1": "②", "2": "①", "3": "①", "4": "①", "5": "②", "6": "①②", "7-1": "①", "7-2": "①",
             "7-3": "①", "7-4": "①②③④⑤", "8-1": "①", "8-1概要": "手順書による", "8-2": "①", "9": "①",
             "10": "①", "11": "①", "12": "②"}
    assert problems(Q, RespondentKind.MUNICIPALITY, given) == []
    assert decide(TABLE, given) == decide(TABLE, given, reached_items=reached(Q, RespondentKind.MUNICIPALITY, given))
    assert decide(TABLE, given).required is False


def test_every_rule_that_applies_is_given_in_table_order():
    verdict = decide(TABLE, {"4": "②", "7-2": "①", "7-3": "①", "7-4": "②③", "9": "④", "10": "④"})
    assert [code for code, _reason in verdict.reasons] == ["Q4-2", "Q7-4-no-address", "Q9-4", "Q10-3-4"]


def test_an_answer_the_branching_skips_obliges_nobody_when_reached_items_are_given():
    # Q3 ② skips Q4: a stray Q4 ② left in a draft must not oblige.
    given = {"1-1": "②", "3": "②", "4": "②"}
    assert decide(TABLE, given).required is True
    asked = reached(Q, RespondentKind.MUNICIPALITY, given)
    assert decide(TABLE, given, reached_items=asked).required is False


def test_a_member_whose_union_links_is_not_obliged_by_its_stray_answers():
    given = {"13": "②", "9": "④"}
    asked = reached(Q, RespondentKind.MEMBER, given)
    assert asked == ["13"]
    assert decide(TABLE, given, reached_items=asked).required is False


# --- Scope -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("given", [{"1-1": "①"}, {"1-2": "①"}, {"1-1": "①", "9": "④"}])
def test_q1_first_option_limits_the_inspection_to_out_of_area_residents(given):
    verdict = decide(TABLE, given)
    assert (verdict.scope, verdict.scope_label) == ("out_of_area", "住登外者等")


@pytest.mark.parametrize("given", [{}, {"1-1": "②"}, {"1-2": "②"}, {"9": "④"}])
def test_otherwise_the_scope_is_every_record(given):
    verdict = decide(TABLE, given)
    assert (verdict.scope, verdict.scope_label) == ("all", "全件")


def test_the_scope_and_the_obligation_are_independent():
    verdict = decide(TABLE, {"1-1": "①", "9": "④"})
    assert verdict.required and verdict.scope == "out_of_area"
    assert decide(TABLE, {"1-1": "①"}).required is False


def test_a_table_without_scope_gives_every_record():
    table = {"rules": TABLE["rules"]}
    assert rule_table_problems(table, Q) == []
    assert decide(table, {"1-1": "①"}).scope == "all"


# --- Conditions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("condition", "given", "holds"), [
    ({"item": "6", "any_of": ["②"]}, {"6": "①②"}, True),
    ({"item": "6", "any_of": ["②"]}, {"6": "①"}, False),
    ({"item": "6", "any_of": ["②"]}, {}, False),
    ({"item": "7-4", "none_of": ["⑤"]}, {"7-4": "②③"}, True),
    ({"item": "7-4", "none_of": ["⑤"]}, {"7-4": "③⑤"}, False),
    ({"item": "7-4", "none_of": ["⑤"]}, {"7-4": ""}, False),
    ({"item": "7-4", "none_of": ["⑤"]}, {}, False),
    ({"all": [{"item": "3", "any_of": ["①"]}, {"item": "4", "any_of": ["②"]}]}, {"3": "①", "4": "②"}, True),
    ({"all": [{"item": "3", "any_of": ["①"]}, {"item": "4", "any_of": ["②"]}]}, {"3": "①"}, False),
    ({"any": [{"item": "3", "any_of": ["①"]}, {"item": "4", "any_of": ["②"]}]}, {"4": "②"}, True),
    ({"any": [{"item": "3", "any_of": ["①"]}, {"item": "4", "any_of": ["②"]}]}, {"3": "②"}, False),
])
def test_conditions(condition, given, holds):
    assert condition_holds(condition, given) is holds


def test_the_default_table_is_a_fresh_copy_each_time():
    table = default_rule_table()
    table["rules"].clear()
    assert len(default_rule_table()["rules"]) == len(REASONS)


# --- Checking an edited table ----------------------------------------------------------------------


def rule(**fields) -> dict:
    return {"code": "X-1", "reason": "理由", "when": {"item": "4", "any_of": ["②"]}} | fields


@pytest.mark.parametrize(("table", "expected"), [
    ([], ["規則表の形が正しくありません（rules に規則の一覧が必要です）"]),
    ({"rule": []}, ["規則表の形が正しくありません（rules に規則の一覧が必要です）"]),
    ({"rules": []}, ["規則表：規則が一つもありません"]),
    ({"rules": [rule()], "owner": "x"}, ["規則表：不明な項目「owner」があります"]),
    ({"rules": ["Q4-2"]}, ["規則 1件目：形が正しくありません"]),
    ({"rules": [rule(code="")]}, ["規則 1件目：コードがありません"]),
    ({"rules": [rule(reason=" ")]}, ["規則 X-1：理由がありません"]),
    ({"rules": [{"code": "X-1", "reason": "理由"}]}, ["規則 X-1：条件がありません"]),
    ({"rules": [rule(), rule()]}, ["規則 X-1：コードが重複しています"]),
    ({"rules": [rule(weight=2)]}, ["規則 X-1：不明な項目「weight」があります"]),
    ({"rules": [rule(when={"item": "99", "any_of": ["①"]})]}, ["規則 X-1：項番「99」は調査項目にありません"]),
    ({"rules": [rule(when={"item": "4", "any_of": ["⑨"]})]}, ["規則 X-1：Q4に「⑨」の選択肢はありません（①②③）"]),
    ({"rules": [rule(when={"item": "4", "any_of": "②"})]}, ["規則 X-1：Q4の選択肢が指定されていません"]),
    ({"rules": [rule(when={"item": "4", "any_of": []})]}, ["規則 X-1：Q4の選択肢が指定されていません"]),
    ({"rules": [rule(when={"item": "8-1概要", "any_of": ["①"]})]}, ["規則 X-1：Q8-1 概要は選択式の項目ではありません"]),
    ({"rules": [rule(when={"item": "4"})]},
     ["規則 X-1：条件の形が正しくありません（item と any_of または none_of、all、any のいずれか）"]),
    ({"rules": [rule(when={"item": "4", "any_of": ["②"], "none_of": ["①"]})]},
     ["規則 X-1：条件の形が正しくありません（item と any_of または none_of、all、any のいずれか）"]),
    ({"rules": [rule(when="Q4=②")]},
     ["規則 X-1：条件の形が正しくありません（item と any_of または none_of、all、any のいずれか）"]),
    ({"rules": [rule(when={"all": []})]}, ["規則 X-1：all に条件が一つもありません"]),
    ({"rules": [rule(when={"any": [{"item": "9", "any_of": ["④"]}, {"item": "7-4", "none_of": ["⑥"]}]})]},
     ["規則 X-1：Q7-4に「⑥」の選択肢はありません（①②③④⑤）"]),
    ({"rules": [rule()], "scope": {"label": "住登外者等"}}, ["適用範囲：条件がありません"]),
    ({"rules": [rule()], "scope": {"when": {"item": "1-3", "any_of": ["①"]}}},
     ["適用範囲：項番「1-3」は調査項目にありません"]),
])
def test_a_bad_rule_table_is_refused_with_what_is_wrong(table, expected):
    assert rule_table_problems(table, Q) == expected


def test_a_rule_on_the_kaigo_additions_needs_them_in_the_questionnaire():
    table = {"rules": [rule(when={"item": "11", "any_of": ["③"]})]}
    assert rule_table_problems(table, Q) == []
    assert rule_table_problems(table, load_questionnaire(additions=())) == ["規則 X-1：項番「11」は調査項目にありません"]
