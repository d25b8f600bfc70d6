"""Worked examples: one record against one registry row → verdicts, grade and reason.

Each row of EXAMPLES is a case a caseworker would recognise. The registry
person is always 山田 太郎 unless the example says otherwise.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from caseflow.core.mynumber import check_digit
from caseflow.matching.grading import grade, result_table
from caseflow.matching.verdicts import FIELDS

NUMBER = "123456789018"
OTHER = "98765432101" + str(check_digit("98765432101"))
LEADING_ZERO = "02345678901" + str(check_digit("02345678901"))

REGISTRY_PERSON = dict(my_number=NUMBER, name="山田　太郎", name_kana="ヤマダ　タロウ", birth_date=dt.date(1970, 3, 2),
                       sex="male", address="青森県青森市新町二丁目1番2号")

SCHEMA = {"row": pl.UInt32, "record_id": pl.String, "my_number": pl.String, "name": pl.String,
          "name_kana": pl.String, "birth_date": pl.Date, "sex": pl.String, "address": pl.String,
          "bank_account": pl.String, "business_key": pl.String, "out_of_area": pl.Boolean}


def frame(rows: list[dict]) -> pl.DataFrame:
    filled = [{k: r.get(k) for k in SCHEMA} for r in rows]
    return pl.DataFrame(filled, schema=SCHEMA)


def record(**changes) -> dict:
    base = dict(REGISTRY_PERSON, record_id="R1", row=2)
    base.update(changes)
    return base


# (id, record changes, registry changes, grade, verdicts that must hold, words in the reason)
EXAMPLES = [
    ("exact", {}, {}, "A", {"name": "match", "address": "match"}, "すべて一致"),
    ("address notation", {"address": "青森市新町2-1-2"}, {}, "A", {"address": "notation"}, "住所は表記の違いのみ"),
    ("hyphen look-alikes and width", {"address": "青森市新町２－１－２"}, {}, "A", {"address": "notation"}, ""),
    ("の as separator", {"address": "青森市新町2の1の2"}, {}, "A", {"address": "notation"}, ""),
    ("building suffix", {"address": "青森市新町2丁目1番2号　コーポ青葉101号室"}, {}, "A", {"address": "notation"}, ""),
    ("variant kanji", {"name": "山田　太郎"}, {"name": "山田　太郎"}, "A", {"name": "match"}, ""),
    ("髙 and 高", {"name": "髙橋　一郎", "name_kana": "タカハシ　イチロウ"},
     {"name": "高橋　一郎", "name_kana": "タカハシ　イチロウ"}, "A", {"name": "notation"}, "氏名は表記の違いのみ"),
    ("hiragana kana", {"name_kana": "やまだ　たろう"}, {}, "A", {"name_kana": "notation"}, ""),
    ("half-width kana", {"name_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"}, {}, "A", {"name_kana": "notation"}, ""),
    ("long vowel mark", {"name_kana": "ヤマダ　タロー"}, {}, "A", {"name_kana": "notation"}, ""),
    ("kana not collected", {"name_kana": None}, {}, "A", {"name_kana": "missing"}, "カナ氏名の情報なし"),
    ("sex not collected", {"sex": None}, {}, "A", {"sex": "missing"}, "性別の情報なし"),
    ("kana typo", {"name_kana": "ヤマダ　タロコ"}, {}, "B", {"name_kana": "minor"}, "カナ氏名に1文字程度の相違"),
    ("address typo", {"address": "青森市新町2-1-3"}, {}, "B", {"address": "minor"}, "住所に1文字程度の相違"),
    ("day and month transposed", {"birth_date": dt.date(1970, 2, 3)}, {}, "B", {"birth_date": "minor"}, "生年月日"),
    ("surname change", {"name": "佐藤　太郎", "name_kana": "サトウ　タロウ"}, {}, "B", {"name": "mismatch"}, "改姓"),
    ("surname change and move", {"name": "佐藤　太郎", "name_kana": "サトウ　タロウ", "address": "弘前市代官町5-1"}, {},
     "B", {"address": "mismatch"}, "改姓と転居"),
    ("unreported move", {"address": "弘前市大字代官町5番地1"}, {}, "B", {"address": "mismatch"}, "転居"),
    ("11 digits", {"my_number": LEADING_ZERO[1:]}, {"my_number": LEADING_ZERO}, "B", {"name": "match"}, "11桁"),
    ("family member", {"name": "山田　花子", "name_kana": "ヤマダ　ハナコ", "birth_date": dt.date(1972, 5, 1),
                       "sex": "female"}, {}, "C", {"name": "mismatch"}, "家族"),
    ("twin", {"name": "山田　次郎", "name_kana": "ヤマダ　ジロウ"}, {}, "C", {"birth_date": "match"}, "双子"),
    ("other person", {"name": "鈴木　一郎", "name_kana": "スズキ　イチロウ", "birth_date": dt.date(1985, 1, 1),
                      "address": "弘前市代官町5-1"}, {}, "C", {"birth_date": "mismatch"}, "氏名と生年月日がいずれも異なります"),
    ("another person of the other sex", {"name": "鈴木　花子", "name_kana": "スズキ　ハナコ",
                                        "birth_date": dt.date(1990, 1, 1), "sex": "female"}, {}, "C",
     {"sex": "mismatch"}, "氏名と生年月日がいずれも異なります"),
    ("birth date differs", {"birth_date": dt.date(1971, 3, 2)}, {}, "C", {"birth_date": "mismatch"}, "生年月日"),
    ("sex differs", {"sex": "female"}, {}, "C", {"sex": "mismatch"}, "性別"),
    ("bad check digit", {"my_number": "123456789019"}, {}, "C", {}, "検査用数字"),
    # A number the agency's registry does not hold: most likely a person registered elsewhere (住登外者).
    ("number not in registry", {"my_number": OTHER}, {}, "B", {"name": "missing"},
     "住登外者: 住基ネット照会で確認（この個人番号は住民基本台帳データにありません"),
    ("marked 住登外, not in registry", {"my_number": OTHER, "out_of_area": True}, {}, "B", {"address": "missing"},
     "住登外者: 住基ネット照会で確認（住登外の記録）"),
    ("marked 住登外, in the registry", {"out_of_area": True}, {}, "B", {"name": "match", "address": "match"},
     "住登外者: 住基ネット照会で確認（住登外の記録ですが"),
    ("marked 住登外, the registry's person differs", {"out_of_area": True, "sex": "female"}, {}, "C",
     {"sex": "mismatch"}, "性別が一致しません"),
    ("marked not 住登外", {"out_of_area": False}, {}, "A", {"name": "match"}, "すべて一致"),
    ("11 digits, not in registry", {"my_number": LEADING_ZERO[1:]}, {}, "B", {}, "住登外者"),
    # Records that lack facts (生活保護): graded from the rest, never A without a name, birth date or address.
    ("address missing", {"address": None}, {}, "B", {"address": "missing", "name": "match"}, "住所の情報がない"),
    ("birth date missing", {"birth_date": None}, {}, "B", {"birth_date": "missing"}, "生年月日の情報がない"),
    ("address and kana missing", {"address": None, "name_kana": None}, {}, "B",
     {"address": "missing", "name_kana": "missing"}, "住所の情報がない"),
    ("address and birth date missing", {"address": None, "birth_date": None}, {}, "B", {}, "生年月日・住所の情報がない"),
    ("address missing, kana typo", {"address": None, "name_kana": "ヤマダ　タロコ"}, {}, "B",
     {"address": "missing", "name_kana": "minor"}, "カナ氏名に1文字程度の相違"),
    ("address missing, another person", {"address": None, "name": "鈴木　一郎", "name_kana": "スズキ　イチロウ",
                                         "birth_date": dt.date(1985, 1, 1)}, {}, "C", {"address": "missing"},
     "氏名と生年月日がいずれも異なります"),
    ("address missing, family member", {"address": None, "name": "山田　花子", "name_kana": "ヤマダ　ハナコ",
                                        "birth_date": dt.date(1972, 5, 1)}, {}, "C", {"address": "missing"}, "別人"),
    ("address missing, surname change", {"address": None, "name": "佐藤　太郎", "name_kana": "サトウ　タロウ"}, {},
     "B", {"address": "missing"}, "改姓"),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_worked_example(example):
    _id, rec_changes, reg_changes, expected_grade, verdicts, words = example
    registry = frame([dict(REGISTRY_PERSON, row=2, **reg_changes)])
    result = grade(frame([record(**rec_changes)]), registry).row(0, named=True)
    assert result["grade"] == expected_grade, result["reason"]
    for field, verdict in verdicts.items():
        assert result[f"verdict_{field}"] == verdict, (field, result)
    assert words in result["reason"]
    assert result["reason"]  # every verdict is explained


def test_result_table_has_the_published_columns():
    registry = frame([dict(REGISTRY_PERSON, row=2)])
    table = result_table(grade(frame([record()]), registry))
    assert table.columns == ["record_id", "grade", "reason", *[f"verdict_{f}" for f in FIELDS]]


def test_shared_bank_account_between_different_people_is_c():
    second = dict(my_number=OTHER, name="鈴木　花子", name_kana="スズキ　ハナコ", birth_date=dt.date(1990, 1, 1),
                  sex="female", address="弘前市代官町5-1", row=3)
    registry = frame([dict(REGISTRY_PERSON, row=2), second])
    records = frame([record(bank_account="0001-001-1234567"),
                     dict(second, record_id="R2", bank_account="0001-001-1234567")])
    result = grade(records, registry)
    assert result["grade"].to_list() == ["C", "C"]
    assert all("同じ口座" in r for r in result["reason"])


def test_family_sharing_an_account_is_not_flagged():
    spouse = dict(my_number=OTHER, name="山田　花子", name_kana="ヤマダ　ハナコ", birth_date=dt.date(1972, 1, 1),
                  sex="female", address="青森市新町2-1-2", row=3)
    registry = frame([dict(REGISTRY_PERSON, row=2), spouse])
    records = frame([record(bank_account="0001-001-1234567"),
                     dict(spouse, record_id="R2", bank_account="0001-001-1234567")])
    assert grade(records, registry)["grade"].to_list() == ["A", "A"]


def test_one_number_on_two_people():
    registry = frame([dict(REGISTRY_PERSON, row=2)])
    records = frame([record(), record(record_id="R2", row=3, name="山田　花子", name_kana="ヤマダ　ハナコ",
                                      birth_date=dt.date(1999, 9, 9), sex="female")])
    result = grade(records, registry)
    # the record that matches the registry is the right one; the other is another person
    assert result["grade"].to_list() == ["A", "C"]
    assert all("別の人の記録にも" in reason for reason in result["reason"])


def test_business_key_used_for_two_numbers():
    second = dict(my_number=OTHER, name="鈴木　花子", name_kana="スズキ　ハナコ", birth_date=dt.date(1990, 1, 1),
                  sex="female", address="弘前市代官町5-1", row=3)
    registry = frame([dict(REGISTRY_PERSON, row=2), second])
    records = frame([record(business_key="H-0001"), dict(second, record_id="R2", business_key="H-0001")])
    result = grade(records, registry)
    assert result["grade"].to_list() == ["B", "B"]
    assert all("手帳番号" in r for r in result["reason"])


def test_records_keep_their_order_and_count():
    registry = frame([dict(REGISTRY_PERSON, row=2)])
    records = frame([record(record_id=f"R{i}", row=i + 2) for i in range(50)])
    result = grade(records, registry)
    assert result["record_id"].to_list() == [f"R{i}" for i in range(50)]


def test_many_records_with_address_notation_in_both_halves():
    """Normalisation runs in pieces; every record's notation must still be recognised."""
    registry = frame([dict(REGISTRY_PERSON, row=2)])
    records = frame([record(record_id=f"R{i}", row=i + 2, address="青森市新町2-1-2") for i in range(40)])
    result = grade(records, registry)
    assert result["verdict_address"].to_list() == ["notation"] * 40
    assert result["grade"].to_list() == ["A"] * 40


def test_a_missing_decisive_fact_is_never_a():
    """Whatever else matches, a record without its birth date or address is not 確認不要."""
    registry = frame([dict(REGISTRY_PERSON, row=2)])
    records = frame([record(record_id=f"R{i}", row=i + 2, **changes) for i, changes in enumerate([
        {"birth_date": None}, {"address": None}, {"birth_date": None, "name_kana": None, "sex": None},
        {"address": None, "sex": None},
    ])])
    result = grade(records, registry)
    assert "A" not in result["grade"].to_list()
    assert set(result["grade"]) == {"B"}


def test_frames_without_the_out_of_area_column_are_graded_as_not_marked():
    registry = frame([dict(REGISTRY_PERSON, row=2)])
    records = frame([record(), record(record_id="R2", row=3, my_number=OTHER)]).drop("out_of_area")
    assert grade(records, registry)["grade"].to_list() == ["A", "B"]


def test_names_whose_hashes_collide_are_still_told_apart(monkeypatch):
    """Distinct names and kana are found by their 64-bit hash; were two to share one, the
    grader must notice and tell them apart as strings, never give one the other's verdict."""
    cases = [(frame([record(**rec_changes)]), frame([dict(REGISTRY_PERSON, row=2, **reg_changes)]))
             for _id, rec_changes, reg_changes, *_rest in EXAMPLES]
    expected = [grade(records, registry) for records, registry in cases]
    # Every value the same hash: every distinct value collides with every other.
    monkeypatch.setattr(pl.Series, "hash", lambda self, *args, **kwargs: pl.repeat(
        7, self.len(), dtype=pl.UInt64, eager=True))
    for (records, registry), graded in zip(cases, expected, strict=True):
        assert grade(records, registry).equals(graded)
