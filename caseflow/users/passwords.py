"""Password rules (OWASP ASVS 4.0, V2.1): length, common passwords and the user's own context.

No composition rules (no "one digit and one symbol"): length and a refusal of guessable
passwords protect better, and long passphrases are welcome. No Flask and no ORM here.
"""

from __future__ import annotations

import functools
import re
import secrets
from pathlib import Path

from caseflow.core.mynumber import contains_my_number

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
# Context words shorter than this are not looked for inside a password: "a1" is in too many.
MIN_CONTEXT_LENGTH = 4
# Keyboard rows and alphabets: a password that is a run along one of them is a pattern, not a secret.
_RUNS = ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm",
         "qwertzuiop", "azertyuiop", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")
_TRAILING_DIGITS_AND_SYMBOLS = re.compile(r"[\d\W_]+$")


class PasswordRejected(ValueError):
    """A password that breaks a rule; the message says which, in Japanese, for the person choosing it."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The refused passwords (lower case), read once from COMMON_PASSWORDS_FILE."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _is_run(folded: str) -> bool:
    return any(folded in run or folded in run[::-1] for run in _RUNS)


def check_password(password: str, *, context: tuple[str, ...] = ()) -> None:
    """Raise PasswordRejected unless ``password`` may be used.

    ``context`` holds words tied to the account (its login, its organisation's code): a
    password containing one of them is refused, as is a common password, a run of one or
    two characters, or a run along the keyboard or the alphabet.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordRejected(f"パスワードは{MAX_PASSWORD_LENGTH}文字以下にしてください。")
    folded = password.casefold()
    for word in context:
        word = (word or "").casefold()
        if len(word) >= MIN_CONTEXT_LENGTH and (word in folded or word[::-1] in folded):
            raise PasswordRejected("ログインIDや組織コードを含むパスワードは使えません。")
    if len(set(folded)) <= 2 or _is_run(folded):
        raise PasswordRejected("同じ文字の繰り返しや、キーボード・文字の並び順どおりのパスワードは使えません。")
    stem = _TRAILING_DIGITS_AND_SYMBOLS.sub("", folded)
    if folded in common_passwords() or stem in common_passwords():
        raise PasswordRejected("よく使われているパスワードのため使えません。推測されにくいパスワードにしてください。")


# A password made for someone (an administrator's initial or reset password): 16 characters of
# letters, digits, "-" and "_" (96 bits), which they replace once logged in.
GENERATED_PASSWORD_BYTES = 12


def generate_password(*, context: tuple[str, ...] = ()) -> str:
    """A random password that passes ``check_password`` with ``context`` (and holds no My Number-like digits,
    which the pages would mask when showing it)."""
    while True:
        password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
        try:
            check_password(password, context=context)
        except PasswordRejected:
            continue
        if not contains_my_number(password):
            return password
