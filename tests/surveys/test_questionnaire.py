"""The branching of seed 001, one rule at a time, with the exact message of each problem."""

from __future__ import annotations

import copy
import json

import pytest

from caseflow.surveys.questionnaire import (
    ITEM_KEYS,
    QUESTIONNAIRE_DIR,
    AnswerError,
    Problem,
    RespondentKind,
    load_questionnaire,
    normalize_answers,
    normalize_choice,
    normalize_month,
    parse_questionnaire,
    problems,
    reached,
    text_for,
    unanswered,
)

K = RespondentKind
Q = load_questionnaire()

# A complete, consistent set of answers that takes the longest path: Q3 ①, Q5 ②, Q7-2 ①, Q7-3 ①, Q8-1 ①.
LONG = {"2": "①", "3": "①", "4": "①", "5": "②", "6": "①②", "7-1": "①", "7-2": "①", "7-3": "①",
        "7-4": "②③⑤", "8-1": "①", "8-1概要": "複数担当者で本人確認4情報により特定", "8-2": "①", "9": "①",
        "10": "①", "11": "①", "12": "②"}
FIRST_ITEM = {K.MUNICIPALITY: {"1-1": "②"}, K.MEMBER: {"1-1": "②", "13": "①"},
              K.PREFECTURE: {"1-2": "②"}, K.UNION: {"13": "②"}}


def answers(kind: RespondentKind = K.MUNICIPALITY, **changes: str) -> dict[str, str]:
    """LONG for this respondent, with changes (``item_7_3="②"``; ``None`` blanks an item)."""
    given = {**FIRST_ITEM[kind], **LONG}
    for name, value in changes.items():
        key = name.removeprefix("item_").replace("_", "-").replace("-yotei", "予定年月").replace("-gaiyo", "概要")
        assert key in ITEM_KEYS, key
        given.pop(key, None)
        if value is not None:
            given[key] = value
    return given


def messages(kind, given, **options) -> list[str]:
    return [problem.message for problem in problems(Q, kind, given, **options)]


# --- Complete answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(K))
def test_the_longest_path_is_accepted_for_every_respondent(kind):
    assert problems(Q, kind, answers(kind)) == []
    assert unanswered(Q, kind, answers(kind)) is False


def test_with_nothing_answered_every_asked_question_is_reported():
    asked = ["1-1", "2", "3", "4", "5", "6", "7-1", "7-2", "8-1", "9", "10", "11", "12"]
    assert reached(Q, K.MUNICIPALITY, {}) == asked
    assert messages(K.MUNICIPALITY, {}) == [f"Q{key}：回答がありません" for key in asked]
    assert unanswered(Q, K.MUNICIPALITY, {}) is True


def test_the_longest_path_reaches_every_question_of_a_municipality():
    assert reached(Q, K.MUNICIPALITY, answers()) == [
        "1-1", "2", "3", "4", "5", "6", "7-1", "7-2", "7-3", "7-4", "8-1", "8-1概要", "8-2", "9", "10", "11", "12"]


# --- Who answers Q1-1, Q1-2 and Q13 ----------------------------------------------------------------


@pytest.mark.parametrize("kind", [K.PREFECTURE, K.UNION])
def test_q1_1_is_for_municipalities_only(kind):
    assert messages(kind, {**answers(kind), "1-1": "②"}) == ["Q1-1：市町村のみ回答します"]


@pytest.mark.parametrize("kind", [K.MUNICIPALITY, K.MEMBER, K.UNION])
def test_q1_2_is_for_prefectures_only(kind):
    assert messages(kind, {**answers(kind), "1-2": "②"}) == ["Q1-2：都道府県のみ回答します"]


@pytest.mark.parametrize("kind", [K.MUNICIPALITY, K.PREFECTURE])
def test_q13_is_for_unions_and_their_members_only(kind):
    assert messages(kind, {**answers(kind), "13": "①"}) == ["Q13：広域連合等及びその構成市町村のみ回答します"]
    assert "13" not in reached(Q, kind, {})


def test_a_union_answers_neither_q1_1_nor_q1_2():
    assert [key for key in reached(Q, K.UNION, {}) if key.startswith("1-")] == []


def test_q1_1_first_option_limits_nothing_in_the_questionnaire():
    # 「Q2以降は上記以外の者（住登外者等）に対する調査」: every question is still asked (rules.decide sets the scope).
    assert reached(Q, K.MUNICIPALITY, answers(item_1_1="①")) == reached(Q, K.MUNICIPALITY, answers())
    assert problems(Q, K.MUNICIPALITY, answers(item_1_1="①")) == []


# --- Q13 first: who answers Q1–Q12 -----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "q13", "answers_q1_to_q12"), [
    (K.MEMBER, "①", True), (K.MEMBER, "③", True), (K.MEMBER, "①②", True), (K.MEMBER, "②③", True),
    (K.MEMBER, "②", False),
    (K.UNION, "②", True), (K.UNION, "③", True), (K.UNION, "①②", True), (K.UNION, "①③", True),
    (K.UNION, "①", False),
])
def test_q13_decides_who_answers_q1_to_q12(kind, q13, answers_q1_to_q12):
    given = {**answers(kind), "13": q13}
    if answers_q1_to_q12:
        assert problems(Q, kind, given) == []
        assert "3" in reached(Q, kind, given)
    else:
        assert reached(Q, kind, given) == ["13"]
        assert problems(Q, kind, {"13": q13}) == []


def test_a_member_whose_union_links_answers_only_q13():
    given = {**answers(K.MEMBER), "13": "②"}
    name = "Q13で②のみを選んだ構成市町村は"
    assert messages(K.MEMBER, {"13": "②", "3": "①", "8-1概要": "…"}) == [
        f"Q3：{name}回答しません", f"Q8-1 概要：{name}記入しません"]
    assert messages(K.MEMBER, given)[0] == f"Q1-1：{name}回答しません"
    assert len(messages(K.MEMBER, given)) == len([key for key in given if key != "13"])


def test_a_union_whose_members_link_answers_only_q13():
    assert messages(K.UNION, {"13": "①", "3": "①"}) == ["Q3：Q13で①のみを選んだ広域連合等は回答しません"]


@pytest.mark.parametrize("kind", [K.MEMBER, K.UNION])
def test_a_blank_q13_is_reported_not_hiding_the_questions(kind):
    given = answers(kind, item_13=None)
    assert messages(kind, given) == ["Q13：回答がありません"]
    assert "3" in reached(Q, kind, given)
    assert unanswered(Q, kind, given) is True


def test_an_unreadable_q13_hides_nothing_and_is_reported():
    assert messages(K.MEMBER, answers(K.MEMBER, item_13="⑤")) == ["Q13：「⑤」は選択肢にありません（①②③）"]


def test_a_union_reads_the_registry_query_as_a_query_to_its_members():
    # 「組織内の住基システム」 is in Q6 ②, Q7-1, Q8-1 and Q9; a union reads 「構成市町村への照会」.
    for key in ("7-1", "8-1", "9"):
        item = Q.item(key)
        assert "組織内の住基システム" in text_for(item, K.MUNICIPALITY) == item.text
        assert "組織内の住基システム" not in text_for(item, K.UNION)
        assert text_for(item, K.UNION) == item.text.replace("組織内の住基システム", "構成市町村への照会")
    option = Q.item("6").option("②")
    assert text_for(option, K.UNION) == "構成市町村への照会等により確認している。"
    assert text_for(option, K.MEMBER) == "組織内の住基システム等により確認している。"
    assert text_for(Q.item("3"), K.UNION) == Q.item("3").text
    changed = [item.key for item in Q.items if text_for(item, K.UNION) != item.text]
    assert changed == ["7-1", "8-1", "9"]


# --- The skips -------------------------------------------------------------------------------------


def test_q3_second_option_goes_to_q6():
    given = answers(item_3="②")
    assert messages(K.MUNICIPALITY, given) == ["Q4：Q3で②を選んだ場合は回答しません",
                                              "Q5：Q3で②を選んだ場合は回答しません"]
    without = answers(item_3="②", item_4=None, item_5=None)
    assert problems(Q, K.MUNICIPALITY, without) == []
    assert reached(Q, K.MUNICIPALITY, without)[2:4] == ["3", "6"]


def test_q5_first_option_goes_to_q10():
    given = answers(item_5="①")
    skipped = ["6", "7-1", "7-2", "7-3", "7-4", "8-1", "8-1概要", "8-2", "9"]
    assert messages(K.MUNICIPALITY, given) == [
        f"{Q.item(key).label}：Q5で①を選んだ場合は{'記入' if key == '8-1概要' else '回答'}しません" for key in skipped]
    without = {key: value for key, value in given.items() if key not in skipped}
    assert problems(Q, K.MUNICIPALITY, without) == []
    assert reached(Q, K.MUNICIPALITY, without)[-5:] == ["4", "5", "10", "11", "12"]


def test_q7_2_second_option_goes_to_q9():
    given = answers(item_7_2="②")
    assert messages(K.MUNICIPALITY, given) == [
        "Q7-3：Q7-2で②を選んだ場合は回答しません", "Q7-4：Q7-2で②を選んだ場合は回答しません",
        "Q8-1：Q7-2で②を選んだ場合は回答しません", "Q8-1 概要：Q7-2で②を選んだ場合は記入しません",
        "Q8-2：Q7-2で②を選んだ場合は回答しません"]
    without = answers(item_7_2="②", item_7_3=None, item_7_4=None, item_8_1=None, item_8_1_gaiyo=None, item_8_2=None)
    assert problems(Q, K.MUNICIPALITY, without) == []


def test_q7_3_is_asked_only_after_q7_2_first_option():
    assert messages(K.MUNICIPALITY, answers(item_7_3=None, item_7_4=None)) == ["Q7-3：回答がありません"]
    # Q7-2 blank: Q7-3 is not asked (a blank never satisfies 「Q7-2において①と回答した場合」).
    given = answers(item_7_2=None, item_7_4=None)
    assert messages(K.MUNICIPALITY, given) == ["Q7-2：回答がありません", "Q7-3：Q7-2で①を選んだ場合のみ回答します"]


def test_q7_4_is_asked_only_after_q7_3_first_option():
    assert messages(K.MUNICIPALITY, answers(item_7_3="②")) == ["Q7-4：Q7-3で①を選んだ場合のみ回答します"]
    assert problems(Q, K.MUNICIPALITY, answers(item_7_3="②", item_7_4=None)) == []
    assert messages(K.MUNICIPALITY, answers(item_7_4=None)) == ["Q7-4：回答がありません"]


@pytest.mark.parametrize("mark", ["②", "③"])
def test_q8_1_second_and_third_options_go_to_q9(mark):
    given = answers(item_8_1=mark)
    assert messages(K.MUNICIPALITY, given) == [f"Q8-1 概要：Q8-1で{mark}を選んだ場合は記入しません",
                                              f"Q8-2：Q8-1で{mark}を選んだ場合は回答しません"]
    assert problems(Q, K.MUNICIPALITY, answers(item_8_1=mark, item_8_1_gaiyo=None, item_8_2=None)) == []


def test_q8_2_and_its_summary_are_asked_after_q8_1_first_option():
    assert messages(K.MUNICIPALITY, answers(item_8_1_gaiyo=None, item_8_2=None)) == [
        "Q8-1 概要：Q8-1で①を選んだ場合は概要を記入してください", "Q8-2：回答がありません"]


# --- The details -----------------------------------------------------------------------------------


def test_q2_third_option_asks_for_the_planned_month():
    assert messages(K.MUNICIPALITY, answers(item_2="③")) == [
        "Q2 予定年月：Q2で③を選んだ場合は予定年月を記入してください"]
    assert problems(Q, K.MUNICIPALITY, answers(item_2="③", item_2_yotei="令和5年12月")) == []
    assert messages(K.MUNICIPALITY, answers(item_2_yotei="2023-12")) == [
        "Q2 予定年月：Q2で③を選んだ場合のみ記入します"]


def test_a_planned_month_that_is_not_one_is_refused():
    assert messages(K.MUNICIPALITY, answers(item_2="③", item_2_yotei="来年度中")) == [
        "Q2 予定年月：「来年度中」は年月として読めません（例：2023年12月）"]
    assert messages(K.MUNICIPALITY, answers(item_2="③", item_2_yotei="2023年13月"))[0].startswith(
        "Q2 予定年月：「2023年13月」は年月として読めません")


@pytest.mark.parametrize("mark", ["②", "③", "④"])
def test_q10_cases_ask_for_a_summary(mark):
    assert messages(K.MUNICIPALITY, answers(item_10=mark)) == [
        f"Q10 概要：Q10で{mark}を選んだ場合は概要を記入してください"]
    assert problems(Q, K.MUNICIPALITY, answers(item_10=mark, item_10_gaiyo="入力誤り。二人で確認する手順とした")) == []


def test_q10_without_cases_takes_no_summary():
    assert messages(K.MUNICIPALITY, answers(item_10_gaiyo="なし")) == [
        "Q10 概要：Q10で②③④のいずれかを選んだ場合のみ記入します"]


def test_the_summaries_take_an_attachment():
    assert Q.item("8-1概要").attachment and Q.item("10概要").attachment
    assert not Q.item("2予定年月").attachment


# --- Reading answers -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["①②", "②①", "①,②", "1,2", "１・２", "② ①", "12", "①、②、①"])
def test_multiple_choices_in_any_order_and_form_become_the_marks_in_option_order(raw):
    assert normalize_choice(Q.item("6"), raw) == "①②"
    assert normalize_choice(Q.item("6"), raw, strict=True) == "①②"


@pytest.mark.parametrize(("key", "raw", "message"), [
    ("3", "⑤", "Q3：「⑤」は選択肢にありません（①②）"),
    ("3", "5", "Q3：「⑤」は選択肢にありません（①②）"),
    ("6", "○", "Q6：「○」は選択肢にありません（①②）"),
    ("6", "①○", "Q6：「○」は選択肢にありません（①②）"),
    ("7-4", "②⑥", "Q7-4：「⑥」は選択肢にありません（①②③④⑤）"),
    ("3", "①②", "Q3：選択肢は一つだけ選んでください（①②のうち一つ）"),
])
def test_a_mark_not_in_the_options_is_refused(key, raw, message):
    with pytest.raises(AnswerError) as refused:
        normalize_choice(Q.item(key), raw, strict=True)
    assert refused.value.problem == Problem(key, message)
    # Not strict, the text comes back as typed for problems() to report with its 項番.
    assert normalize_choice(Q.item(key), raw) == raw
    assert messages(K.MUNICIPALITY, {**answers(), key: raw}) == [message]


def test_a_blank_choice_is_blank():
    assert normalize_choice(Q.item("3"), "  ") == ""
    assert normalize_choice(Q.item("3"), None) == ""


@pytest.mark.parametrize("raw", ["2023年12月", "2023-12", "2023/12", "令和5年12月", "R5.12", "２０２３年１２月",
                                 " 令和5年 12月 "])
def test_months_become_year_dash_month(raw):
    assert normalize_month(raw) == "2023-12"


def test_months_in_the_first_year_of_an_era():
    assert normalize_month("令和元年5月") == "2019-05"
    assert normalize_month("平成31年4月") == "2019-04"


@pytest.mark.parametrize("raw", ["2023年13月", "12月", "令和0年1月", "大化5年1月", "2023"])
def test_what_is_not_a_month_is_refused(raw):
    with pytest.raises(ValueError, match="年月として読めません"):
        normalize_month(raw, strict=True)
    assert normalize_month(raw) == raw


def test_answers_are_stored_canonical():
    canonical, found = normalize_answers(Q, {"6": "2,1", "2予定年月": "令和6年3月", "8-1概要": " 手順書あり ",
                                             "3": "", "4": "⑨"})
    assert canonical == {"6": "①②", "2予定年月": "2024-03", "8-1概要": "手順書あり"}
    assert found == [Problem("4", "Q4：「⑨」は選択肢にありません（①②③）")]


def test_an_item_the_questionnaire_does_not_have_is_refused():
    assert messages(K.MUNICIPALITY, {**answers(), "14": "①", "15": ""}) == ["14：調査項目にありません"]


# --- Drafts ----------------------------------------------------------------------------------------


def test_a_draft_reports_no_blank_but_every_wrong_answer():
    assert problems(Q, K.MUNICIPALITY, {}, complete=False) == []
    assert problems(Q, K.MUNICIPALITY, {"3": "②"}, complete=False) == []
    assert messages(K.MUNICIPALITY, {"3": "②", "4": "①", "6": "③", "2予定年月": "いつか"}, complete=False) == [
        "Q2 予定年月：Q2で③を選んだ場合のみ記入します", "Q4：Q3で②を選んだ場合は回答しません",
        "Q6：「③」は選択肢にありません（①②）"]
    assert messages(K.MUNICIPALITY, {"2": "③", "2予定年月": "いつか"}, complete=False) == [
        "Q2 予定年月：「いつか」は年月として読めません（例：2023年12月）"]


def test_unanswered_looks_only_at_asked_questions():
    assert unanswered(Q, K.MUNICIPALITY, answers(item_3="②", item_4=None, item_5=None)) is False
    assert unanswered(Q, K.MUNICIPALITY, answers(item_12=None)) is True
    assert unanswered(Q, K.MEMBER, {"13": "②"}) is False


# --- The questionnaire as data ---------------------------------------------------------------------


def test_the_kaigo_additions_can_be_left_out():
    without = load_questionnaire(additions=())
    assert [item.key for item in without.items if item.key in ("11", "12")] == []
    assert [p.message for p in problems(without, K.MUNICIPALITY, answers())] == [
        "11：調査項目にありません", "12：調査項目にありません"]
    assert load_questionnaire().item("11").group == "介護保険"


def test_an_unknown_item_or_questionnaire_is_a_key_error():
    with pytest.raises(KeyError):
        Q.item("14")
    with pytest.raises(KeyError):
        load_questionnaire("1999")
    with pytest.raises(KeyError):
        load_questionnaire("../demo_users")


def raw_questionnaire() -> dict:
    return json.loads((QUESTIONNAIRE_DIR / "survey_questions_2023.json").read_text(encoding="utf-8"))


def test_the_branching_is_data():
    # Moving Q3 ②'s target in the data moves the skip: nothing of it is written in Python.
    data = raw_questionnaire()
    item_3 = next(item for item in data["items"] if item["key"] == "3")
    item_3["options"][1]["skip_to"] = "7-1"
    moved = parse_questionnaire(data)
    assert [p.message for p in problems(moved, K.MUNICIPALITY, answers(item_3="②", item_4=None, item_5=None))] == [
        "Q6：Q3で②を選んだ場合は回答しません"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda items: items["3"]["options"][1].update(skip_to="2"), "Q3：②の移動先「2」が後ろの項目にありません"),
    (lambda items: items["3"]["options"][1].update(skip_to="99"), "Q3：②の移動先「99」が後ろの項目にありません"),
    (lambda items: items["7-3"].update(only_if={"item": "7-2", "any_of": ["⑨"]}),
     "Q7-3：回答する条件が前の項目の選択肢を指していません"),
    (lambda items: items["1-1"].update(audience=["town"]), "Q1-1：回答者の区分が正しくありません"),
    (lambda items: items["3"].update(kind="yes-no"), "Q3：種類「yes-no」は使えません"),
])
def test_a_questionnaire_whose_branching_points_nowhere_is_refused(change, message):
    data = raw_questionnaire()
    change({item["key"]: item for item in data["items"]})
    with pytest.raises(ValueError, match=message):
        parse_questionnaire(data)


def test_loading_does_not_change_the_file_data():
    data = raw_questionnaire()
    before = copy.deepcopy(data)
    parse_questionnaire(data)
    assert data == before
