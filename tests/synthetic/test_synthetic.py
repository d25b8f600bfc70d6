"""The synthetic data generator: determinism, mix, numbers, and what each scenario really does.

The checks use their own simple folds (NFKC, hyphens, kanji numerals, the kanji variant table),
not the grader, so the generator is tested independently of it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

import caseflow.matching
import caseflow_synthetic as synthetic
from caseflow.core.japanese import HYPHENS as HYPHEN_LOOKALIKES
from caseflow.core.mynumber import check_digit, is_valid_number, number_problem
from caseflow_synthetic import NUMERAL_TOWNS, SCENARIOS, generate, scenario_counts, write_dataset
from caseflow_synthetic.__main__ import main

N = 30_000
SPACE = "\u3000"
OWN_NUMBER = {"exact", "notation", "typo_kana", "typo_address", "date_transposed", "surname_change", "move",
              "kana_not_collected", "sex_not_collected", "shared_bank_account", "duplicate_business_key"}
VARIANTS_FILE = Path(caseflow.matching.__file__).parent / "data" / "kanji_variants.tsv"
KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}


# --- simple folds, written for the tests ---------------------------------------------------------


def _variant_table() -> dict[int, str]:
    table = {}
    for line in VARIANTS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            variant, standard = line.split("\t")
            table[ord(variant)] = standard
    return table


VARIANTS = _variant_table()


def fold_name(name: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", name)).translate(VARIANTS)


def fold_kana(kana: str) -> str:
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", kana))
    text = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)
    text = re.sub(r"([オコソトノホモヨロヲゴゾドボポョォウクスツヌフムユルグズヅブプュゥ])ウ", r"\1ー", text)
    return re.sub(r"([オコソトノホモヨロヲゴゾドボポョォ])オ", r"\1ー", text)


def _kanji_number(text: str) -> str:
    total, digit = 0, 0
    for c in text:
        if c in KANJI_DIGITS:
            digit = KANJI_DIGITS[c]
        else:
            total += (digit or 1) * KANJI_UNITS[c]
            digit = 0
    return str(total + digit)


def fold_address(address: str) -> str:
    """NFKC, no prefecture, no building, no 大字/字, kanji numerals as digits, one separator."""
    text = unicodedata.normalize("NFKC", address).split(" ")[0]
    text = re.sub(r"^(北海道|東京都|京都府|大阪府|.{2,3}県)", "", text)
    text = text.replace("大字", "").replace("字", "")
    text = re.sub(r"[〇一二三四五六七八九十百千]+", lambda m: _kanji_number(m.group()), text)
    text = re.sub(r"丁目|番地|番|号|の|[‐‑–—―−\-ー]", "-", text)
    return re.sub(r"-+", "-", text).strip("-")


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


SEX_CODE = {"男": "1", "女": "2"}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    return generate(N, seed=11)


@pytest.fixture(scope="module")
def joined(data):
    """Records with their truth and the registry row of the number they carry (reg_*)."""
    registry, records, truth = data
    frame = records.with_row_index("pos").join(truth, on="record_id").join(
        registry.rename(lambda c: f"reg_{c}"), left_on="my_number", right_on="reg_my_number", how="left",
        maintain_order="left")
    return frame.sort("pos")


def rows(joined, scenario):
    found = joined.filter(pl.col("scenario") == scenario).to_dicts()
    assert found, scenario
    return found


def same_facts(row, *, skip=()):
    checks = {
        "name": row["name"] == row["reg_name"],
        "name_kana": row["name_kana"] == row["reg_name_kana"],
        "birth_date": row["birth_date"] == row["reg_birth_date"],
        "sex": SEX_CODE.get(row["sex"]) == row["reg_sex"],
        "address": row["address"] == row["reg_address"],
    }
    return all(ok for field, ok in checks.items() if field not in skip)


def person_rows(registry, row):
    """Registry rows with exactly the record's facts (the record's real person)."""
    return registry.filter(
        (pl.col("name") == row["name"]) & (pl.col("name_kana") == row["name_kana"])
        & (pl.col("birth_date") == row["birth_date"]) & (pl.col("address") == row["address"]))


# --- determinism, mix, numbers, ids --------------------------------------------------------------


def test_same_seed_same_data_other_seed_other_data():
    first = generate(3_000, seed=4)
    second = generate(3_000, seed=4)
    other = generate(3_000, seed=5)
    for a, b in zip(first, second, strict=True):
        assert a.equals(b)
    assert not first[1].equals(other[1])


def test_default_mix_sums_to_one_and_counts_are_close(data):
    assert sum(SCENARIOS.values()) == pytest.approx(1.0)
    counts = Counter(data[2].get_column("scenario").to_list())
    assert sum(counts.values()) == N
    for scenario, share in SCENARIOS.items():
        expected = N * share
        assert abs(counts[scenario] - expected) <= max(3, 0.02 * expected), scenario


def test_scenario_counts_are_exact_and_pairs_even():
    for n in (1, 2, 7, 999, 10_001):
        counts = scenario_counts(n)
        assert sum(counts.values()) == n
        for paired in ("shared_bank_account", "duplicate_number", "duplicate_business_key"):
            assert counts[paired] % 2 == 0


def test_custom_mix_is_normalised_and_validated():
    _, _, truth = generate(400, seed=1, mix={"exact": 1, "family_member": 1})
    assert Counter(truth.get_column("scenario").to_list()) == {"exact": 200, "family_member": 200}
    with pytest.raises(ValueError, match="unknown"):
        generate(10, mix={"typo": 1.0})
    with pytest.raises(ValueError):
        generate(10, mix={"exact": -1.0})
    with pytest.raises(ValueError):
        generate(10, mix={"exact": 0.0})
    with pytest.raises(ValueError):
        generate(0)


@pytest.mark.parametrize("n", [1, 2, 5, 37])
def test_tiny_sets(n):
    registry, records, truth = generate(n, seed=3)
    assert records.height == truth.height == n
    assert registry.height >= n


@pytest.mark.parametrize("scenario", ["twin", "date_transposed", "leading_zero_lost", "family_member",
                                      "same_name_other_person"])
def test_a_mix_of_one_constrained_scenario_still_works(scenario):
    registry, records, truth = generate(300, seed=2, mix={scenario: 1.0})
    assert truth.get_column("scenario").unique().to_list() == [scenario]
    assert registry.get_column("my_number").is_unique().all()


def test_registry_numbers_are_valid_and_unique(data):
    numbers = data[0].get_column("my_number")
    assert numbers.is_unique().all()
    assert numbers.str.len_chars().eq(12).all()
    sample = numbers.to_list()[:5_000]
    assert all(is_valid_number(x) for x in sample)
    assert all(check_digit(x[:11]) == int(x[11]) for x in sample)
    assert numbers.str.starts_with("0").mean() > 0.05  # leading zeros exist


def test_record_numbers_are_valid_except_where_the_scenario_says(joined):
    for row in joined.iter_rows(named=True):
        problem = number_problem(row["my_number"])
        if row["scenario"] == "invalid_check_digit":
            assert problem == "個人番号の検査用数字が一致しません。"
        elif row["scenario"] == "leading_zero_lost":
            assert "先頭の0" in problem
        else:
            assert problem is None
            assert row["reg_name"] is not None  # the number is in the registry


def test_record_ids_are_unique_and_sequential(data):
    ids = data[1].get_column("record_id").to_list()
    assert ids == [f"R{i:09d}" for i in range(1, N + 1)]
    assert data[2].get_column("record_id").to_list() == ids


def test_same_person_is_false_exactly_for_wrong_linkages(joined):
    for row in joined.iter_rows(named=True):
        if row["scenario"] in synthetic.WRONG_LINKAGE:
            assert row["same_person"] is False
        elif row["scenario"] != "duplicate_number":
            assert row["same_person"] is True


# --- the registry --------------------------------------------------------------------------------


def test_registry_looks_like_a_resident_registry(data):
    registry = data[0]
    assert registry.columns == ["my_number", "name", "name_kana", "birth_date", "sex", "address"]
    assert set(registry.get_column("sex").unique()) == {"1", "2"}
    births = registry.get_column("birth_date")
    assert births.min() >= dt.date(1930, 1, 1) and births.max() <= dt.date(2023, 12, 31)
    assert registry.get_column("name").str.count_matches(SPACE, literal=True).eq(1).all()
    assert registry.get_column("name_kana").str.contains(r"^[ァ-ヶー]+\u3000[ァ-ヶー]+$").all()
    addresses = registry.get_column("address")
    assert addresses.str.contains(r"[都道府県].+[市区町村].*\d+丁目\d+番\d+号").any()
    assert addresses.str.contains("大字").any() and addresses.str.contains(r"[^大]字").any()
    assert addresses.str.contains("\u3000.+号室$").any()
    assert any(addresses.str.contains(town, literal=True).any() for town in NUMERAL_TOWNS)
    surnames = set(registry.get_column("name").str.split(SPACE).list.first())
    assert {"高橋", "山崎", "斎藤", "渡辺", "浜田", "吉田", "徳永"} <= surnames
    assert len(surnames & {"髙橋", "山﨑", "齋藤", "齊藤", "渡邊", "渡邉", "濱田", "濵田", "𠮷田", "德永"}) >= 5


def test_registry_has_families_and_twins(data):
    registry = data[0].with_columns(pl.col("name").str.split(SPACE).list.first().alias("surname"))
    households = registry.group_by("surname", "address").agg(pl.len().alias("n"), pl.col("name").n_unique())
    assert households.filter(pl.col("n") >= 3).height > 100
    assert (households.get_column("n") == households.get_column("name")).all()  # distinct names at home
    twins = registry.group_by("surname", "address", "birth_date").agg(pl.len().alias("n"), pl.col("name").n_unique())
    twins = twins.filter(pl.col("n") >= 2)
    assert twins.height >= N * SCENARIOS["twin"]
    assert (twins.get_column("name") == twins.get_column("n")).all()


# --- each scenario does what it says ------------------------------------------------------------


def test_exact(joined):
    assert all(same_facts(row) for row in rows(joined, "exact"))


def test_notation_is_the_same_person_in_another_notation(joined):
    found = rows(joined, "notation")
    for row in found:
        assert row["birth_date"] == row["reg_birth_date"] and SEX_CODE[row["sex"]] == row["reg_sex"]
        assert (row["name"], row["name_kana"], row["address"]) != (row["reg_name"], row["reg_name_kana"],
                                                                   row["reg_address"])
        assert fold_name(row["name"]) == fold_name(row["reg_name"]), row
        assert fold_kana(row["name_kana"]) == fold_kana(row["reg_name_kana"]), row
        assert fold_address(row["address"]) == fold_address(row["reg_address"]), row


def test_notation_covers_every_kind_of_variant(joined):
    found = rows(joined, "notation")
    addresses = [r["address"] for r in found]
    reg_addresses = [r["reg_address"] for r in found]

    def share(predicate):
        return sum(1 for r in found if predicate(r)) / len(found)

    assert share(lambda r: not re.match(r"^(北海道|東京都|京都府|大阪府|.{2,3}県)", r["address"])) > 0.05
    hyphens = {c for a in addresses for c in a if c in synthetic.HYPHENS}
    assert hyphens == set(synthetic.HYPHENS)
    assert any(re.search(r"\d丁目[" + synthetic.HYPHENS + r"]\d", a) for a in addresses)  # 5丁目-4-3
    assert any(re.search(r"\dの\d+の\d", a) for a in addresses)  # 5の4の3
    assert any(re.search(r"丁目\d+番地\d+号", a) for a in addresses)
    assert any(re.search(r"[０-９]", a) for a in addresses)
    assert any(re.search(r"[一二三四五六七八九]丁目", a) for a in addresses)
    assert any(re.search(r"[十百]+[一二三四五六七八九]?番", a) for a in addresses)
    assert any(("大字" in r) != ("大字" in a) for a, r in zip(addresses, reg_addresses, strict=True))
    assert any(("号室" in r) != ("号室" in a) for a, r in zip(addresses, reg_addresses, strict=True))
    names = [r["name"] for r in found]
    assert any(" " in n for n in names) and any(SPACE not in n and " " not in n for n in names)
    assert share(lambda r: r["name"].replace(SPACE, "") != r["reg_name"].replace(SPACE, "").replace(" ", "")
                 and fold_name(r["name"]) == fold_name(r["reg_name"])) > 0.01
    kana = [r["name_kana"] for r in found]
    assert any(re.search(r"[ぁ-ゖ]", k) for k in kana)
    assert any(re.search(r"[ｦ-ﾟ]", k) for k in kana)
    assert any(re.search(r"[ァ-ヶ]ー", k) for k in kana)
    assert any(SPACE not in k and " " not in k for k in kana)


def test_numeral_town_names_never_get_kanji_block_numbers(joined):
    checked = 0
    for row in rows(joined, "notation"):
        for town in NUMERAL_TOWNS:
            if re.search(f"(大字|字|[市区町村]){town}\\d", row["reg_address"]):
                assert not re.search(f"{town}[一二三四五六七八九十百千]", row["address"]), row
                checked += 1
    assert checked > 50


def test_typo_kana_changes_one_character_of_the_kana_only(joined):
    for row in rows(joined, "typo_kana"):
        assert same_facts(row, skip=("name_kana",))
        assert edit_distance(row["name_kana"], row["reg_name_kana"]) == 1
        assert fold_kana(row["name_kana"]) != fold_kana(row["reg_name_kana"])
        assert row["name_kana"].count(SPACE) == 1


def test_typo_address_changes_one_digit_of_the_house_number(joined):
    for row in rows(joined, "typo_address"):
        assert same_facts(row, skip=("address",))
        a, b = row["address"], row["reg_address"]
        assert len(a) == len(b)
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        assert len(diff) == 1 and a[diff[0]].isdigit() and b[diff[0]].isdigit()
        house = list(re.finditer(r"\d+", b.split(SPACE)[0]))[-1]  # the last number before any building
        assert house.start() <= diff[0] < house.end()


def test_date_transposed_swaps_day_and_month(joined):
    for row in rows(joined, "date_transposed"):
        assert same_facts(row, skip=("birth_date",))
        reg = row["reg_birth_date"]
        assert reg.day <= 12 and reg.day != reg.month
        assert row["birth_date"] == dt.date(reg.year, reg.day, reg.month)


def test_surname_change_keeps_the_old_surname(joined):
    for row in rows(joined, "surname_change"):
        assert same_facts(row, skip=("name", "name_kana"))
        surname, given = row["name"].split(SPACE)
        reg_surname, reg_given = row["reg_name"].split(SPACE)
        kana_surname, kana_given = row["name_kana"].split(SPACE)
        reg_kana_surname, reg_kana_given = row["reg_name_kana"].split(SPACE)
        assert given == reg_given and kana_given == reg_kana_given
        assert fold_name(surname) != fold_name(reg_surname) and kana_surname != reg_kana_surname


def test_move_keeps_the_old_address(joined):
    for row in rows(joined, "move"):
        assert same_facts(row, skip=("address",))
        assert fold_address(row["address"]) != fold_address(row["reg_address"])


@pytest.mark.parametrize("scenario,field", [("kana_not_collected", "name_kana"), ("sex_not_collected", "sex")])
def test_not_collected(joined, scenario, field):
    for row in rows(joined, scenario):
        assert row[field] is None
        assert same_facts(row, skip=(field,))
    assert joined.filter(~pl.col("scenario").is_in(["kana_not_collected"])).get_column("name_kana").null_count() == 0
    assert joined.filter(~pl.col("scenario").is_in(["sex_not_collected"])).get_column("sex").null_count() == 0


def test_family_member_carries_a_family_members_number(data, joined):
    registry = data[0]
    for row in rows(joined, "family_member"):
        surname, given = row["name"].split(SPACE)
        reg_surname, reg_given = row["reg_name"].split(SPACE)
        assert surname == reg_surname and row["address"] == row["reg_address"]
        assert given != reg_given and row["birth_date"] != row["reg_birth_date"]
        own = person_rows(registry, row)
        assert own.height == 1 and own.item(0, "my_number") != row["my_number"]


def test_twin_carries_the_twins_number(data, joined):
    registry = data[0]
    for row in rows(joined, "twin"):
        surname, given = row["name"].split(SPACE)
        reg_surname, reg_given = row["reg_name"].split(SPACE)
        assert surname == reg_surname and row["address"] == row["reg_address"]
        assert row["birth_date"] == row["reg_birth_date"] and given != reg_given
        assert person_rows(registry, row).height == 1


def test_same_name_other_person_differs_only_in_address(data, joined):
    registry = data[0]
    for row in rows(joined, "same_name_other_person"):
        assert same_facts(row, skip=("address",))
        assert fold_address(row["address"]) != fold_address(row["reg_address"])
        assert person_rows(registry, row).height == 1
        # A two-fact query (kana + birth date) finds several people.
        hits = registry.filter((pl.col("name_kana") == row["name_kana"]) & (pl.col("birth_date") == row["birth_date"]))
        assert hits.height >= 2


def test_swapped_number_is_the_neighbouring_records_persons(joined):
    table = joined.to_dicts()
    checked = 0
    for i, row in enumerate(table):
        if row["scenario"] != "swapped_number":
            continue
        assert not same_facts(row)
        neighbour = table[i - 1] if i > 0 else table[i + 1]
        if neighbour["scenario"] in OWN_NUMBER:
            assert row["my_number"] == neighbour["my_number"]
            checked += 1
    assert checked >= 10


def test_other_person_is_someone_else(joined):
    for row in rows(joined, "other_person"):
        assert (row["name"], row["birth_date"]) != (row["reg_name"], row["reg_birth_date"])
        assert row["address"] != row["reg_address"]


def test_invalid_check_digit_and_leading_zero(data, joined):
    registry = data[0].rename(lambda c: f"reg_{c}")
    numbers = set(registry.get_column("reg_my_number").to_list())
    for row in rows(joined, "invalid_check_digit"):
        fixed = row["my_number"][:11] + str(check_digit(row["my_number"][:11]))
        assert fixed != row["my_number"] and fixed in numbers
        reg = registry.filter(pl.col("reg_my_number") == fixed).to_dicts()[0]
        assert same_facts({**row, **reg})
    for row in rows(joined, "leading_zero_lost"):
        assert len(row["my_number"]) == 11
        reg = registry.filter(pl.col("reg_my_number") == "0" + row["my_number"]).to_dicts()[0]
        assert same_facts({**row, **reg})


def _pairs(joined, scenario, column):
    group = joined.filter(pl.col("scenario") == scenario).group_by(column).agg(pl.all()).to_dicts()
    assert group and all(len(g["record_id"]) == 2 for g in group)
    return group


def _different_people(pair):
    surnames = {name.split(SPACE)[0] for name in pair["name"]}
    return len(surnames) == 2 and pair["address"][0] != pair["address"][1]


def test_shared_bank_account(joined):
    for pair in _pairs(joined, "shared_bank_account", "bank_account"):
        assert _different_people(pair)
        for i in range(2):
            assert same_facts({k: v[i] for k, v in pair.items() if isinstance(v, list)})
    others = joined.filter(pl.col("scenario") != "shared_bank_account").get_column("bank_account").drop_nulls()
    assert others.is_unique().all() and others.len() > N // 2
    assert others.str.contains(r"^\d{4}-\d{3}-\d{7}$").all()


def test_duplicate_number(joined):
    for pair in _pairs(joined, "duplicate_number", "my_number"):
        assert len(set(pair["name"])) == 2
        rights = [i for i in range(2) if pair["same_person"][i]]
        assert len(rights) == 1
        right = {k: v[rights[0]] for k, v in pair.items() if isinstance(v, list)}
        wrong = {k: v[1 - rights[0]] for k, v in pair.items() if isinstance(v, list)}
        assert same_facts(right) and not same_facts(wrong)


def test_duplicate_business_key(joined):
    for pair in _pairs(joined, "duplicate_business_key", "business_key"):
        assert _different_people(pair) and all(pair["same_person"])
        for i in range(2):
            assert same_facts({k: v[i] for k, v in pair.items() if isinstance(v, list)})
    others = joined.filter(pl.col("scenario") != "duplicate_business_key").get_column("business_key")
    assert others.is_unique().all() and others.null_count() == 0


# --- files ---------------------------------------------------------------------------------------


def _read(path: Path, encoding: str = "utf-8") -> pl.DataFrame:
    text = path.read_bytes().decode(encoding)
    return pl.read_csv(io.BytesIO(text.encode("utf-8")), infer_schema=False)


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.all().cast(pl.String))


def test_written_files_match_generate_when_one_chunk(tmp_path):
    paths = write_dataset(2_000, tmp_path, seed=9)
    assert set(paths) == {"registry", "records", "truth"}
    expected = generate(2_000, seed=9)
    for name, frame in zip(("registry", "records", "truth"), expected, strict=True):
        written = _read(paths[name])
        assert written.columns == frame.columns
        assert written.equals(_as_text(frame)), name
    assert "record_id" not in _read(paths["registry"]).columns


def test_cp932_with_japanese_headers_round_trips(tmp_path):
    paths = write_dataset(3_000, tmp_path / "sjis", seed=9, encoding="cp932", headers="ja")
    plain = write_dataset(3_000, tmp_path / "utf8", seed=9)
    records = _read(paths["records"], "cp932")
    assert records.columns == ["管理番号", "個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所", "口座番号", "手帳番号"]
    registry = _read(paths["registry"], "cp932")
    assert registry.columns == ["個人番号", "氏名", "カナ氏名", "生年月日", "性別", "住所"]
    assert _read(paths["truth"], "cp932").columns == ["管理番号", "scenario", "same_person"]
    table = str.maketrans(synthetic.CP932_SUBSTITUTES)
    for name in ("registry", "records", "truth"):
        decoded = paths[name].read_bytes().decode("cp932")
        original = plain[name].read_text(encoding="utf-8").translate(table)
        assert decoded.split("\n", 1)[1] == original.split("\n", 1)[1], name
    assert records.get_column("個人番号").str.len_chars().is_in([11, 12]).all()


def _parse_date(text: str) -> dt.date:
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        return dt.date(*map(int, m.groups()))
    if m := re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", text):
        return dt.date(*map(int, m.groups()))
    if m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text):
        return dt.date(*map(int, m.groups()))
    m = re.fullmatch(r"(昭和|平成|令和)(元|\d+)年(\d+)月(\d+)日", text)
    assert m, text
    base = {"昭和": 1925, "平成": 1988, "令和": 2018}[m.group(1)]
    year = 1 if m.group(2) == "元" else int(m.group(2))
    return dt.date(base + year, int(m.group(3)), int(m.group(4)))


def test_mixed_date_styles(tmp_path):
    paths = write_dataset(4_000, tmp_path, seed=9, date_style="mixed")
    written = _read(paths["records"]).get_column("birth_date").to_list()
    expected = generate(4_000, seed=9)[1].get_column("birth_date").to_list()
    assert [_parse_date(x) for x in written] == expected
    styles = Counter("iso" if "-" in x else "slash" if "/" in x else "era" if "年" in x else "compact"
                     for x in written)
    assert set(styles) == {"iso", "slash", "compact", "era"}
    assert all(styles[s] > 300 for s in styles)
    registry_dates = _read(paths["registry"]).get_column("birth_date")
    assert registry_dates.str.contains(r"^\d{4}-\d{2}-\d{2}$").all()


def test_chunked_writing_keeps_numbers_ids_and_keys_unique(tmp_path):
    n = 25_000
    paths = write_dataset(n, tmp_path, seed=3, chunk_size=10_000)
    registry, records, truth = (_read(paths[k]) for k in ("registry", "records", "truth"))
    numbers = registry.get_column("my_number")
    assert numbers.is_unique().all()
    assert all(is_valid_number(x) for x in numbers.to_list()[::7])
    assert records.get_column("record_id").to_list() == [f"R{i:09d}" for i in range(1, n + 1)]
    counts = Counter(truth.get_column("scenario").to_list())
    for scenario, share in SCENARIOS.items():
        assert abs(counts[scenario] - n * share) <= max(4, 0.03 * n * share), scenario
    frame = records.join(truth, on="record_id")
    keys = frame.filter(pl.col("scenario") != "duplicate_business_key").get_column("business_key")
    assert keys.is_unique().all()
    accounts = frame.filter(pl.col("scenario") != "shared_bank_account").get_column("bank_account").drop_nulls()
    assert accounts.is_unique().all()
    own = frame.filter(pl.col("scenario").is_in(list(OWN_NUMBER)))
    assert own.get_column("my_number").is_in(numbers.implode()).all()
    # The first chunk is what generate() gives for its size.
    first = generate(10_000, seed=3)[1]
    assert records.head(10_000).equals(_as_text(first))


def test_command_line(tmp_path, capsys):
    assert main(["--n", "300", "--out", str(tmp_path), "--seed", "2", "--headers", "ja",
                 "--encoding", "cp932", "--date-style", "mixed"]) == 0
    out = capsys.readouterr().out
    assert "records.csv" in out and "個人番号" not in out
    assert _read(tmp_path / "records.csv", "cp932").height == 300


def test_write_dataset_rejects_bad_options(tmp_path):
    with pytest.raises(ValueError):
        write_dataset(10, tmp_path, encoding="latin-1")
    with pytest.raises(ValueError):
        write_dataset(10, tmp_path, headers="fr")
    with pytest.raises(ValueError):
        write_dataset(10, tmp_path, date_style="us")
    with pytest.raises(ValueError):
        write_dataset(10, tmp_path, chunk_size=0)


def test_the_hyphens_written_are_hyphens_to_the_grader():
    assert set(synthetic.HYPHENS) <= set(HYPHEN_LOOKALIKES) | {"-"}
