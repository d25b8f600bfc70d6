"""My Number (個人番号): check digit, normalisation, finding and masking numbers in text.

One rule for the whole application (the extract reader, the case forms, the free-text guard,
the log scrubber, the API): a number is written together, or 4-4-4 with spaces or any hyphen
look-alike of :data:`caseflow.core.japanese.HYPHENS` (or ー) between the groups, in ASCII or
full-width digits.

Nothing here logs or echoes a number back in an error: callers show the
messages to users and may log them.
"""

from __future__ import annotations

import re
import unicodedata

from caseflow.core.japanese import HYPHENS

# Weights of the first 11 digits in the official check-digit algorithm.
CHECK_DIGIT_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
SEPARATORS = r"[\s\-" + HYPHENS + "ー]"
"""What may stand between the digits of a number (regular-expression class): white space, "-",
the hyphen look-alikes and ー (ｰ becomes ー under NFKC). Python's ``re`` and Polars read it alike."""
_SEPARATOR = re.compile(SEPARATORS)


def check_digit(first_eleven: str) -> int:
    """Check digit of a My Number from its first 11 digits (official algorithm)."""
    if len(first_eleven) != 11 or not first_eleven.isdigit():
        raise ValueError("11桁の数字が必要です")
    remainder = sum(int(d) * w for d, w in zip(first_eleven, CHECK_DIGIT_WEIGHTS, strict=True)) % 11
    return 0 if remainder <= 1 else 11 - remainder


def normalize_number(raw: str | None) -> str:
    """Full-width digits to ASCII, separators and spaces removed."""
    if raw is None:
        return ""
    text = _SEPARATOR.sub("", unicodedata.normalize("NFKC", str(raw)))
    # Removing a separator can bring combining marks together (NFKC makes "¨" a space and a
    # mark): normalise again, so that normalising a normalised value changes nothing.
    return unicodedata.normalize("NFKC", text)


def number_problem(raw: str | None) -> str | None:
    """Why ``raw`` is not a valid My Number (Japanese), or None when it is valid."""
    number = normalize_number(raw)
    if not number:
        return "個人番号が入力されていません。"
    if not number.isdigit():
        return "個人番号は数字12桁で入力してください。"
    if len(number) == 11:
        return "個人番号が11桁です（先頭の0が失われた可能性があります）。"
    if len(number) != 12:
        return "個人番号は数字12桁で入力してください。"
    if check_digit(number[:11]) != int(number[11]):
        return "個人番号の検査用数字が一致しません。"
    return None


def is_valid_number(raw: str | None) -> bool:
    """True when ``raw`` is a valid My Number, as written (see :func:`number_problem`)."""
    return number_problem(raw) is None


_NUMBER_RUN = re.compile(rf"(?<![0-9])[0-9]{{4}}{SEPARATORS}?[0-9]{{4}}{SEPARATORS}?[0-9]{{4}}(?![0-9])")


def contains_my_number(value) -> bool:
    """True when ``value`` (a str, int, or JSON-like dict/list of them) holds a valid My Number."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        for match in _NUMBER_RUN.finditer(unicodedata.normalize("NFKC", value)):
            digits = re.sub(r"[^0-9]", "", match.group())
            if check_digit(digits[:11]) == int(digits[11]):
                return True
        return False
    if isinstance(value, dict):
        return any(contains_my_number(k) or contains_my_number(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_my_number(v) for v in value)
    return False


# The same runs as _NUMBER_RUN, matched on the text as written (full-width digits too), so
# that masking leaves the rest of the text exactly as it was.
_WRITTEN_NUMBER_RUN = re.compile(
    rf"(?<![0-9０-９])[0-9０-９]{{4}}{SEPARATORS}?[0-9０-９]{{4}}{SEPARATORS}?[0-9０-９]{{4}}(?![0-9０-９])")


def mask_my_numbers(text: str) -> str:
    """``text`` with every valid My Number in it masked to its last four digits (●●●●●●●●1234).

    For free text that leaves the system in bulk (the JSON API): a number typed
    into a comment must not travel on in full.
    """
    if len(text) < 12:  # too short to hold one (every value printed on a page passes here)
        return text
    return _WRITTEN_NUMBER_RUN.sub(_mask_match, text)


def _mask_match(match: re.Match) -> str:
    digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", match.group()))
    if check_digit(digits[:11]) != int(digits[11]):
        return match.group()
    return "●" * 8 + digits[-4:]
