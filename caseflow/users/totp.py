"""Time-based one-time codes (RFC 6238, pyotp): 6 digits, 30-second steps, SHA-1 (what phone apps expect).

A code is accepted one step early or late (clock drift), and only once: the caller keeps the
last step used and passes it back, so a code seen over a shoulder cannot be replayed.
No Flask and no ORM here.
"""

from __future__ import annotations

import hmac
import re
import time

import pyotp

DIGITS = 6
INTERVAL = 30
VALID_WINDOW = 1  # steps accepted either side of the current one
SECRET_LENGTH = 32  # base32 characters: 160 bits, as RFC 4226 recommends
# ASCII digits only: \d takes any script's digits (１２３, ١٢٣), which the comparison cannot.
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """A fresh random base32 secret."""
    return pyotp.random_base32(SECRET_LENGTH)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI that authenticator apps read (usually from a QR code)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(name=account, issuer_name=issuer)


def current_step(now: float | None = None) -> int:
    """The number of the 30-second step containing ``now`` (seconds since the epoch)."""
    return int(time.time() if now is None else now) // INTERVAL


def code_at(secret: str, step: int) -> str:
    """The code of ``step`` (tests and the enrolment check use it)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).generate_otp(step)


def matching_step(secret: str, code: str, *, last_step: int | None, now: float | None = None) -> int | None:
    """The step whose code ``code`` is, within the window and after ``last_step``; None if none is."""
    code = code.strip().replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    current = current_step(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None
