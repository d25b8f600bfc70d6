"""Expected remaining errors among the cases not yet verified.

The 2023 health-insurance check estimated the errors still hidden in its unverified
mismatches from the confirmation rate of a trial (5 insurers, 1.46M members):
①生年月日・性別不一致 2,779件 × 3.6% + ②氏名等不一致 約139万件 × 0.025% ≈ 450件.
CaseFlow does the same from its own decided cases; while too few cases of a kind have been
decided for a rate to mean anything, it uses the 2023 trial rate and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

KINDS = {
    "birth_sex": "①生年月日・性別不一致",
    "name_etc": "②氏名等不一致",
}
TRIAL_RATES_2023 = {"birth_sex": Decimal("0.036"), "name_etc": Decimal("0.00025")}
TRIAL_SOURCE = "2023年 健康保険証の試行実施の率"
OBSERVED_SOURCE = "CaseFlowで確認済みの案件から算出"
# Fewer decided cases than this and an observed rate is noise: the trial rate is used instead.
MIN_DECIDED = 30


@dataclass(frozen=True)
class EstimateLine:
    kind: str
    unverified: int
    rate: Decimal  # a fraction: 0.036 is 3.6%
    source: str
    confirmed: int | None = None  # behind an observed rate
    decided: int | None = None

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    @property
    def expected(self) -> Decimal:
        return self.unverified * self.rate

    @property
    def rate_text(self) -> str:
        return f"{(self.rate * 100).normalize():f}%"


@dataclass(frozen=True)
class Estimate:
    lines: tuple[EstimateLine, ...]

    @property
    def unverified(self) -> int:
        return sum(x.unverified for x in self.lines)

    @property
    def expected(self) -> Decimal:
        return sum((x.expected for x in self.lines), Decimal(0))

    @property
    def expected_rounded(self) -> int:
        return int(self.expected.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def observed_rate(confirmed: int, decided: int) -> Decimal:
    return (Decimal(confirmed) / Decimal(decided)).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)


def expected_remaining(unverified: dict[str, int], confirmed: dict[str, int], decided: dict[str, int],
                       *, min_decided: int = MIN_DECIDED) -> Estimate:
    """Σ unverified cases of a kind × the confirmation rate of that kind.

    ``confirmed``/``decided``: per kind, the verified cases found to be errors and all verified
    cases (errors and false alarms). A kind with fewer than ``min_decided`` decided cases uses
    the 2023 trial rate.
    """
    lines = []
    for kind in KINDS:
        n_decided, n_confirmed = decided.get(kind, 0), confirmed.get(kind, 0)
        if n_decided >= min_decided:
            lines.append(EstimateLine(kind, unverified.get(kind, 0), observed_rate(n_confirmed, n_decided),
                                      OBSERVED_SOURCE, n_confirmed, n_decided))
        else:
            lines.append(EstimateLine(kind, unverified.get(kind, 0), TRIAL_RATES_2023[kind], TRIAL_SOURCE,
                                      n_confirmed, n_decided))
    return Estimate(tuple(lines))
