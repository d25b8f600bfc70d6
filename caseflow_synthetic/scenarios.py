"""The scenarios of the business records: what went right or wrong with each, and how many of each.

A scenario says how a record relates to the registry: written alike (``exact``), in another
notation, with a typo, out of date, or carrying a number that is not its person's. The default
mix (:data:`SCENARIOS`) roughly follows what inspections found; a mix is normalised to shares.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

SCENARIOS: dict[str, float] = {
    "exact": 0.548,
    "notation": 0.30,
    "typo_kana": 0.02,
    "typo_address": 0.015,
    "date_transposed": 0.003,
    "surname_change": 0.025,
    "move": 0.03,
    "kana_not_collected": 0.01,
    "sex_not_collected": 0.005,
    "family_member": 0.015,
    "twin": 0.002,
    "same_name_other_person": 0.005,
    "swapped_number": 0.005,
    "other_person": 0.005,
    "invalid_check_digit": 0.003,
    "leading_zero_lost": 0.002,
    "shared_bank_account": 0.003,
    "duplicate_number": 0.002,
    "duplicate_business_key": 0.002,
}
"""Default scenario mix (shares of records, summing to 1)."""

# Scenarios whose registered number is not the record's person. For duplicate_number only the
# side carrying the other record's number is wrong.
WRONG_LINKAGE = frozenset({"family_member", "twin", "same_name_other_person", "swapped_number",
                           "other_person", "invalid_check_digit"})
# Scenarios of two records each (pairs of different people), so their counts are even.
PAIRED = ("shared_bank_account", "duplicate_number", "duplicate_business_key")
# Owners of these scenarios need a person with a property; chosen first, rarest first.
CONSTRAINED = ("twin", "leading_zero_lost", "date_transposed", "family_member")


def normalised_shares(mix: Mapping[str, float] | None) -> dict[str, float]:
    """``mix`` checked and normalised to shares of every scenario (the default mix when None)."""
    if mix is None:
        return dict(SCENARIOS)
    unknown = set(mix) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenarios: {sorted(unknown)}")
    if any(v < 0 or not math.isfinite(v) for v in mix.values()):
        raise ValueError("scenario shares must be finite and non-negative")
    total = float(sum(mix.values()))
    if total <= 0:
        raise ValueError("scenario shares must not all be zero")
    return {k: float(mix.get(k, 0.0)) / total for k in SCENARIOS}


def scenario_counts(n: int, mix: Mapping[str, float] | None = None) -> dict[str, int]:
    """Number of records per scenario for ``n`` records: largest remainder, pairs even.

    Paired scenarios get an even count; what cannot be placed (e.g. a lone
    ``swapped_number`` record with no neighbour) goes to ``exact``.
    """
    shares = normalised_shares(mix)
    counts = {k: math.floor(n * v + 1e-9) for k, v in shares.items()}
    for k in PAIRED:
        counts[k] -= counts[k] % 2
    if n < 2:
        counts["swapped_number"] = 0
    left = n - sum(counts.values())
    single = [k for k in SCENARIOS if k not in PAIRED and shares[k] > 0 and (n >= 2 or k != "swapped_number")]
    single.sort(key=lambda k: (-(n * shares[k] - math.floor(n * shares[k])), list(SCENARIOS).index(k)))
    i = 0
    while left > 0 and single:
        counts[single[i % len(single)]] += 1
        left -= 1
        i += 1
    counts["exact"] += left
    return counts
