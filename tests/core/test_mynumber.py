import pytest

from caseflow.core.japanese import HYPHENS
from caseflow.core.mynumber import (
    check_digit,
    contains_my_number,
    is_valid_number,
    mask_my_numbers,
    normalize_number,
    number_problem,
)


def test_official_examples():
    assert check_digit("12345678901") == 8
    assert is_valid_number("123456789018")
    assert number_problem("123456789019") == "個人番号の検査用数字が一致しません。"


@pytest.mark.parametrize("raw", ["１２３４ ５６７８ ９０１８", "1234-5678-9018", "1234‐5678‐9018", " 123456789018 "])
def test_width_and_separators_are_normalised(raw):
    assert normalize_number(raw) == "123456789018"
    assert is_valid_number(raw)


def test_eleven_digits_is_recognised_as_a_lost_leading_zero():
    assert "先頭の0" in number_problem("23456789012")


@pytest.mark.parametrize("raw,fragment", [("", "入力されていません"), ("12345678901a", "数字12桁"),
                                          ("1234567890123", "数字12桁")])
def test_other_problems(raw, fragment):
    assert fragment in number_problem(raw)


def test_remainder_zero_or_one_gives_zero():
    # Find first-eleven digit strings whose weighted sum mod 11 is 0 and 1.
    seen = set()
    for n in range(10_000_000_000, 10_000_001_000):
        first = str(n)
        weights = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
        remainder = sum(int(d) * w for d, w in zip(first, weights, strict=True)) % 11
        if remainder in (0, 1) and remainder not in seen:
            seen.add(remainder)
            assert check_digit(first) == 0
    assert seen == {0, 1}


def test_mask_my_numbers_masks_valid_numbers_only_and_leaves_the_rest():
    first = "12345678901"
    number = first + str(check_digit(first))
    wide = number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    text = f"番号 {number}、{number[:4]}-{number[4:8]}-{number[8:]}、{wide}（ＡＢＣ）と 123456789012 と 2026-11-23"
    masked = mask_my_numbers(text)
    tail = "●●●●●●●●" + number[-4:]
    assert masked == f"番号 {tail}、{tail}、{tail}（ＡＢＣ）と 123456789012 と 2026-11-23"


@pytest.mark.parametrize("separator", [*HYPHENS, "-", "ー", " ", "\u3000"])
def test_one_set_of_separators_for_normalising_finding_and_masking(separator):
    written = f"1234{separator}5678{separator}9018"
    assert normalize_number(written) == "123456789018"
    assert contains_my_number(f"番号は{written}です")
    assert mask_my_numbers(f"番号は{written}です") == "番号は●●●●●●●●9018です"
