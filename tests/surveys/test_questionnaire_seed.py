"""seed/survey_questions_2023.json against the seed it was written from (seed 001, 調査項目 and 回答シート).

The seed is read here with its own small parser, so that a question, option or note dropped or
mistyped in the JSON is found; whitespace (PDF extraction spacing) and the width of parentheses
are the only differences allowed.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from caseflow.surveys.questionnaire import CAUTION, ITEM_KEYS, load_questionnaire

SEED_NAME = "001_66176e6e73ebba2c.txt"
SEED = Path(__file__).with_name(f"seed_{SEED_NAME}")  # a verbatim copy, so that CI needs no shared folder
SHARED_SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / SEED_NAME
TEXT = SEED.read_text(encoding="utf-8")


def same(text: str) -> str:
    """Text compared without whitespace and with one width of parentheses and colons."""
    return re.sub(r"\s+", "", text).translate(str.maketrans("()：", "（）:"))


def seed_questions() -> dict[str, dict]:
    """The 調査項目 part of the seed: {項番: {"text", "options": {mark: text}, "option_notes", "lines"}}."""
    part = TEXT[TEXT.index("マイナンバー情報連携関係実態調査 調査項目\n"):
                TEXT.index("マイナンバー情報連携関係実態調査 調査項目回答シート")]
    questions: dict[str, dict] = {}
    current = None
    headings: list[str] = []  # the lines above Q11 and Q13 belong to the question after them
    for line in part.splitlines()[1:]:
        line = line.strip()
        if not line:
            continue
        if line.startswith(("<<", "【Q13")):
            headings.append(line)
        elif found := re.match(r"Q(\d+(?:-\d)?)\s*(.+)", line):
            current = questions[found[1]] = {"text": found[2], "options": {}, "option_notes": {}, "lines": headings}
            headings = []
        elif found := re.match(r"- ([①-⑨])\s*(.+)", line):
            current["options"][found[1]] = found[2]
            last_mark = found[1]
        elif line.startswith(("（→", "（別途", "を記載")):  # the lines under an option
            current["option_notes"][last_mark] = current["option_notes"].get(last_mark, "") + line
        else:  # ※ notes, （注）, the examples
            current["lines"].append(line)
    return questions


def sheet_rows() -> dict[str, str]:
    """The 回答シート's 項番 → 質問 (the two detail rows have no 項番 of their own in the seed)."""
    part = TEXT[TEXT.index("調査項目への回答"):TEXT.index("各都道府県・政令指定都市")]
    rows = {}
    for line in part.splitlines():
        cells = line.split("\t")
        if re.fullmatch(r"\d+(-\d)?", cells[0]):
            rows[cells[0]] = re.sub(r"</?p>", "", cells[1])
        elif line.startswith("③を選択の場合"):
            rows["2予定年月"] = cells[0]
        elif len(cells) > 1 and cells[0] == "" and cells[1].startswith("①を選択の場合"):
            rows["8-1概要"] = cells[1]
    return rows


QUESTIONS = seed_questions()
SHEET = sheet_rows()
Q = load_questionnaire()


def test_the_copy_of_the_seed_is_the_seed():
    if not SHARED_SEED.exists():
        pytest.skip("the shared seed folder is not beside the repository")
    assert SHARED_SEED.read_text(encoding="utf-8") == TEXT


def test_the_seed_parser_finds_every_question():
    assert list(QUESTIONS) == ["1-1", "1-2", "2", "3", "4", "5", "6", "7-1", "7-2", "7-3", "7-4",
                               "8-1", "8-2", "9", "10", "11", "12", "13"]
    assert sum(len(q["options"]) for q in QUESTIONS.values()) == 50


@pytest.mark.parametrize("key", list(QUESTIONS))
def test_every_question_has_the_seed_text(key):
    assert same(Q.item(key).text) == same(QUESTIONS[key]["text"])


@pytest.mark.parametrize("key", list(QUESTIONS))
def test_every_option_has_the_seed_mark_and_text(key):
    item = Q.item(key)
    assert {option.mark: same(option.text) for option in item.options} == \
        {mark: same(text) for mark, text in QUESTIONS[key]["options"].items()}
    assert {option.mark: same(option.note) for option in item.options if option.note} == \
        {mark: same(note) for mark, note in QUESTIONS[key]["option_notes"].items()}


@pytest.mark.parametrize("key", list(QUESTIONS))
def test_every_note_and_heading_of_the_seed_is_kept(key):
    item = Q.item(key)
    kept = same((item.note or "") + (item.heading or ""))
    for line in QUESTIONS[key]["lines"]:
        assert same(line) in kept


def test_every_item_of_the_answer_sheet_is_in_the_questionnaire_in_order():
    assert list(SHEET) == [key for key in ITEM_KEYS if key != "10概要"]  # the seed's sheet has no 10概要 row
    assert Q.keys == ITEM_KEYS


@pytest.mark.parametrize("key", list(SHEET))
def test_every_sheet_text_is_the_seed_sheet_text(key):
    assert same(Q.item(key).sheet_text) == same(SHEET[key])


def test_kinds_follow_the_seed():
    kinds = {item.key: item.kind for item in Q.items}
    # 「該当があるものすべて」「該当箇所全て選択」: Q6, Q7-4, Q13; one detail is a month, two are texts.
    assert {key for key, kind in kinds.items() if kind == "multiple"} == {"6", "7-4", "13"}
    assert {key for key, kind in kinds.items() if kind == "month"} == {"2予定年月"}
    assert {key for key, kind in kinds.items() if kind == "text"} == {"8-1概要", "10概要"}
    assert {item.key for item in Q.items if item.attachment} == {"8-1概要", "10概要"}
    assert {item.key: item.parent for item in Q.items if item.parent} == \
        {"2予定年月": "2", "8-1概要": "8-1", "10概要": "10"}


def test_the_additional_questions_are_the_seeds_kaigo_group():
    assert "<<以下、介護保険関係追加問>>" in TEXT
    assert {item.key for item in Q.items if item.group} == {"11", "12"}
    assert {item.group for item in Q.items if item.group} == {"介護保険"}
    assert Q.additions == ("介護保険",)


def test_cover_facts_are_the_seeds():
    cover = Q.cover
    assert Q.title == "マイナンバー情報連携関係実態調査"
    assert cover.deadline == dt.datetime(2023, 7, 21, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert (cover.ministry, cover.program) == ("厚生労働省老健局", "介護保険関係事務")
    assert cover.file_name == cover.mail_subject == "【都道府県】2307 マイナンバー調査回答"
    assert cover.caution == CAUTION
    for text in (Q.title, cover.ministry, cover.program, cover.program_label, cover.deadline_label,
                 cover.submit_to, cover.file_name, cover.caution_text, cover.union_name_rule,
                 cover.organization_name_rule, cover.responsible_rule):
        assert same(text) in same(TEXT), text
    assert same(CAUTION.replace("迷う場合は、", "")) in same(TEXT)
