"""Expected remaining errors among the cases not yet verified, with a 95% interval.

The 2023 health-insurance check estimated the errors still hidden in its unverified mismatches
from the confirmation rates of a trial: ①生年月日・性別不一致 2,779件 × 3.6% + ②氏名等不一致
約139万件 × 0.025% ≈ 450件. CaseFlow starts from the same rates and updates them with its own
decided cases, one kind of mismatch at a time (a Beta-Binomial model):

- **Prior** for a kind: Beta(α0, β0) centred on the trial's rate, as strong as the trial's own
  evidence and no stronger. The trial (seed 000: 5 insurers, 加入者約146万人) found 17 wrong
  registrations in all and published the two rates, not how many mismatches of each kind it
  checked. The only split of the 17 in which both published rates are exact is ① 9 of 250
  (3.6%) and ② 8 of 32,000 (0.025%): x/n = 0.036 makes x a multiple of 9, so x = 9 and the
  other 8 are ② (8 × 4,000 = 32,000). It agrees with the trial's detail that 8 of the 17 were
  twins (4 pairs), whose birth dates match, so that a swap of same-sex twins shows only in the
  name. Hence α0 = errors seen, β0 = the others:
  ① Beta(9, 241), ② Beta(8, 31,992) — an effective sample size of 250 and 32,000 decided
  cases. A rounded rate would allow other splits (① 5 of 139 is 3.597%); the prior's strength is
  the trial's, its split our reconstruction, and both are printed beside every figure.
- **Posterior** after N decided cases of the kind with M confirmed errors:
  Beta(α0 + M, β0 + N − M). Its mean always lies between the trial rate and the observed rate
  M/N and moves towards the latter as decisions accumulate: 30 decided ② without an error give
  8/32,030 = 0.02498%, not 0% (30 decisions must not wipe out an estimate over 1.39M records);
  ① moves faster (9/280 = 3.2%) because the trial knew less about it.
- **Expected remaining** = Σ over the kinds of unverified × posterior mean.
- **95% interval** of the remaining errors: the posterior predictive of each kind is
  Beta-Binomial(unverified, α, β); the kinds are independent and their distributions are added by
  exact convolution (each distribution kept where its probability exceeds 1e-16), the interval is
  from the 2.5% to the 97.5% quantile. Deterministic, no sampling, pure Python.

What the prior assumes: that a program's mismatches are confirmed as often as the trial
insurers' were. When a program's own decisions are very unlikely under the prior (under 0.5% in
either tail of the prior predictive) the line says so (``conflict``): the estimate then still
leans on the trial and should be read with that in mind. ``Prior.weighted`` discounts the trial
(a power prior) where that assumption is known not to hold: at a tenth of the trial's weight the
trial's own estimate is still 約448件 but its interval 33～1,529件 instead of 236～737件. The
model also takes the decided cases as a fair sample of a kind's mismatches; cases verified first
(grade C, 優先確認) are likelier errors, so an early observed rate leans high.

Per program (``by_program``) every program updates the trial prior with its own decisions only;
the total (``caseflow.reports.figures.estimate``) pools every decision of a kind, as the 2023
estimate used one rate for all insurers. The per-program figures therefore do not add up
exactly to the total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

KINDS = {
    "birth_sex": "①生年月日・性別不一致",
    "name_etc": "②氏名等不一致",
}
LEVEL = 0.95
TRIAL_SOURCE = "2023年 健康保険証の試行実施（5保険者・加入者約146万人、誤登録17件）"
OBSERVED_SOURCE = "CaseFlowで確認を終えた案件"
# The 2023 check's own estimate: the mismatches left to the insurers after the trial.
TRIAL_UNVERIFIED_2023 = {"birth_sex": 2_779, "name_etc": 1_390_000}
TRIAL_PUBLISHED_2023 = "約450件（①2,779件×3.6% + ②139万件×0.025%）"
# A distribution is kept where its probability is above this (the rest is far below rounding).
_NEGLIGIBLE = 1e-16
# Below this in either tail of the prior predictive, a program's decisions contradict the trial.
_CONFLICT = 0.005


@dataclass(frozen=True)
class Prior:
    """Beta(errors, decided − errors): the evidence of ``errors`` confirmed among ``decided`` cases."""

    errors: float
    decided: float

    @property
    def alpha(self) -> float:
        return self.errors

    @property
    def beta(self) -> float:
        return self.decided - self.errors

    @property
    def rate(self) -> Decimal:
        return Decimal(str(self.errors)) / Decimal(str(self.decided))

    def weighted(self, weight: float) -> Prior:
        """The same rate with ``weight`` times the evidence (a power prior; 0 < weight ≤ 1 discounts)."""
        if weight <= 0:
            raise ValueError("a prior's weight must be positive")
        return Prior(self.errors * weight, self.decided * weight)

    @property
    def text(self) -> str:
        return f"{_number(self.decided)}件中 誤り{_number(self.errors)}件相当"


# The trial's evidence per kind of mismatch (see the module docstring for the derivation).
TRIAL_PRIORS_2023 = {"birth_sex": Prior(9, 250), "name_etc": Prior(8, 32_000)}
TRIAL_RATES_2023 = {kind: prior.rate for kind, prior in TRIAL_PRIORS_2023.items()}  # 3.6%, 0.025%


@dataclass(frozen=True)
class EstimateLine:
    """One kind of mismatch: its unverified cases, the prior, the decisions, and what follows."""

    kind: str
    unverified: int
    prior: Prior
    confirmed: int  # decided cases found to be errors
    decided: int  # all decided cases: errors and false alarms
    low: int  # the 95% interval of the errors left among the unverified cases
    high: int
    conflict: bool = False  # the decisions are very unlikely under the trial's rate

    @property
    def label(self) -> str:
        return KINDS[self.kind]

    @property
    def alpha(self) -> float:
        return self.prior.alpha + self.confirmed

    @property
    def beta(self) -> float:
        return self.prior.beta + self.decided - self.confirmed

    @property
    def rate(self) -> Decimal:
        """The posterior mean of the confirmation rate (a fraction: 0.036 is 3.6%)."""
        return Decimal(str(self.alpha)) / (Decimal(str(self.alpha)) + Decimal(str(self.beta)))

    @property
    def expected(self) -> Decimal:
        return self.unverified * self.rate

    @property
    def rate_text(self) -> str:
        return _percent(self.rate)

    @property
    def prior_rate_text(self) -> str:
        return _percent(self.prior.rate)

    @property
    def observed_text(self) -> str:
        if not self.decided:
            return "確認済みなし"
        return f"確認済み{self.decided:,}件中 誤り{self.confirmed:,}件"

    @property
    def source(self) -> str:
        """Where the rate comes from, in one line."""
        return (f"事前：{TRIAL_SOURCE}の率 {self.prior_rate_text}（{self.prior.text}）／"
                f"観測：{OBSERVED_SOURCE} {self.observed_text}")

    @property
    def expected_rounded(self) -> int:
        return _rounded(self.expected)

    @property
    def expected_text(self) -> str:
        return f"約{self.expected_rounded:,}件"

    @property
    def interval_text(self) -> str:
        return f"95%区間 {self.low:,}～{self.high:,}件"


@dataclass(frozen=True)
class ProgramEstimate:
    program_id: int
    estimate: Estimate


@dataclass(frozen=True)
class Estimate:
    lines: tuple[EstimateLine, ...]
    low: int  # the 95% interval of the total errors left
    high: int
    programs: tuple[ProgramEstimate, ...] = ()  # the same per program (see the module docstring)

    @property
    def unverified(self) -> int:
        return sum(x.unverified for x in self.lines)

    @property
    def expected(self) -> Decimal:
        return sum((x.expected for x in self.lines), Decimal(0))

    @property
    def expected_rounded(self) -> int:
        return _rounded(self.expected)

    @property
    def interval_text(self) -> str:
        return f"95%区間 {self.low:,}～{self.high:,}件"

    @property
    def text(self) -> str:
        """約448件（95%区間 276～754件）"""
        return f"約{self.expected_rounded:,}件（{self.interval_text}）"

    @property
    def conflict(self) -> bool:
        return any(x.conflict for x in self.lines)


class Counts(Protocol):
    """The figures of a grain the estimate reads (``caseflow.reports.figures.Grain``)."""

    program_id: int
    unverified: int
    unverified_birth_sex: int
    decided_birth_sex: int
    confirmed_birth_sex: int
    decided_name_etc: int
    confirmed_name_etc: int


def expected_remaining(unverified: dict[str, int], confirmed: dict[str, int], decided: dict[str, int],
                       *, priors: dict[str, Prior] | None = None) -> Estimate:
    """The errors expected among the unverified cases, per kind of mismatch and in total.

    ``confirmed``/``decided``: per kind, the verified cases found to be errors and all verified
    cases (errors and false alarms). ``priors``: per kind, default the 2023 trial's evidence.
    """
    priors = priors or TRIAL_PRIORS_2023
    lines, predictives = [], []
    for kind in KINDS:
        n, n_decided, n_confirmed = unverified.get(kind, 0), decided.get(kind, 0), confirmed.get(kind, 0)
        if not 0 <= n_confirmed <= n_decided or n < 0:
            raise ValueError(f"{kind}: {n_confirmed} confirmed of {n_decided} decided, {n} unverified")
        prior = priors[kind]
        alpha, beta = prior.alpha + n_confirmed, prior.beta + n_decided - n_confirmed
        predictive = _beta_binomial(n, alpha, beta)
        low, high = _interval([predictive])
        lines.append(EstimateLine(kind, n, prior, n_confirmed, n_decided, low, high,
                                  _contradicts(prior, n_confirmed, n_decided)))
        predictives.append(predictive)
    low, high = _interval(predictives)
    return Estimate(tuple(lines), low, high)


def by_program(grains: list[Counts]) -> tuple[ProgramEstimate, ...]:
    """Per program with unverified or decided cases: the trial prior updated by its own decisions."""
    per_program: dict[int, list[Counts]] = {}
    for g in grains:
        per_program.setdefault(g.program_id, []).append(g)
    result = []
    for program_id, rows in sorted(per_program.items()):
        estimate = expected_remaining(**counts_by_kind(rows))
        if estimate.unverified or any(x.decided for x in estimate.lines):
            result.append(ProgramEstimate(program_id, estimate))
    return tuple(result)


def trial_2023() -> Estimate:
    """The 2023 check's own estimate: its unverified mismatches, no decision of ours (≈ 450)."""
    return expected_remaining(TRIAL_UNVERIFIED_2023, {}, {})


def counts_by_kind(grains: list[Counts]) -> dict[str, dict[str, int]]:
    """``expected_remaining``'s arguments from grains: unverified, confirmed and decided per kind."""
    return {
        "unverified": {"birth_sex": sum(g.unverified_birth_sex for g in grains),
                       "name_etc": sum(g.unverified - g.unverified_birth_sex for g in grains)},
        "confirmed": {"birth_sex": sum(g.confirmed_birth_sex for g in grains),
                      "name_etc": sum(g.confirmed_name_etc for g in grains)},
        "decided": {"birth_sex": sum(g.decided_birth_sex for g in grains),
                    "name_etc": sum(g.decided_name_etc for g in grains)},
    }


# --- the distributions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Pmf:
    """A distribution over the integers start, start + 1, …; the probabilities add up to 1."""

    start: int
    probs: tuple[float, ...]


def _beta_binomial(n: int, alpha: float, beta: float) -> _Pmf:
    """Beta-Binomial(n, α, β), kept where its probability is above ``_NEGLIGIBLE``.

    Computed outwards from the mean: the log-probability there from log-gamma functions, its
    neighbours by the ratio p(k+1)/p(k) = (n−k)(k+α) / ((k+1)(n−k−1+β)). It is unimodal unless
    both α and β are below 1 (never here: β counts the false alarms, hundreds at least), so each
    walk stops where the probability has fallen below ``_NEGLIGIBLE`` and keeps falling.
    """
    if n == 0:
        return _Pmf(0, (1.0,))
    centre = min(n, int(n * alpha / (alpha + beta)))
    p_centre = math.exp(_log_beta_binomial(centre, n, alpha, beta))
    below, p, k = [], p_centre, centre
    while k > 0:
        p *= k * (n - k + beta) / ((n - k + 1) * (k - 1 + alpha))  # p(k−1) from p(k)
        k -= 1
        if p < _NEGLIGIBLE and (not below or p < below[-1]):
            break
        below.append(p)
    above, p, k = [], p_centre, centre
    while k < n:
        p *= (n - k) * (k + alpha) / ((k + 1) * (n - k - 1 + beta))  # p(k+1) from p(k)
        k += 1
        if p < _NEGLIGIBLE and (not above or p < above[-1]):
            break
        above.append(p)
    probs = [*reversed(below), p_centre, *above]
    total = math.fsum(probs)
    return _Pmf(centre - len(below), tuple(x / total for x in probs))


def _log_beta_binomial(k: int, n: int, alpha: float, beta: float) -> float:
    lgamma = math.lgamma
    return (lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
            + lgamma(k + alpha) + lgamma(n - k + beta) - lgamma(n + alpha + beta)
            + lgamma(alpha + beta) - lgamma(alpha) - lgamma(beta))


def _convolve(a: _Pmf, b: _Pmf) -> _Pmf:
    """The distribution of the sum of two independent counts."""
    out = [0.0] * (len(a.probs) + len(b.probs) - 1)
    for i, p in enumerate(a.probs):
        if p:
            for j, q in enumerate(b.probs):
                out[i + j] += p * q
    first = next(i for i, x in enumerate(out) if x >= _NEGLIGIBLE)
    last = max(i for i, x in enumerate(out) if x >= _NEGLIGIBLE)
    return _Pmf(a.start + b.start + first, tuple(out[first:last + 1]))


def _interval(pmfs: list[_Pmf], level: float = LEVEL) -> tuple[int, int]:
    """The equal-tailed ``level`` interval of the sum of independent counts.

    All but the longest distribution are convolved; the quantiles of the sum are then found by
    bisection on P(S ≤ s) = Σ_j p_small(j) · F_long(s − j), which never builds the long product.
    """
    pmfs = sorted(pmfs, key=lambda x: len(x.probs))
    longest, small = pmfs[-1], _Pmf(0, (1.0,))
    for pmf in pmfs[:-1]:
        small = _convolve(small, pmf)
    cumulative, running = [], 0.0
    for p in longest.probs:
        running += p
        cumulative.append(running)

    def cdf(s: int) -> float:
        total = 0.0
        for j, p in enumerate(small.probs):
            i = s - small.start - j - longest.start
            if i >= 0:
                total += p * cumulative[min(i, len(cumulative) - 1)]
        return total

    def quantile(q: float) -> int:
        lo = small.start + longest.start
        hi = lo + len(small.probs) + len(longest.probs) - 2
        while lo < hi:  # the smallest s with P(S ≤ s) ≥ q
            mid = (lo + hi) // 2
            if cdf(mid) >= q:
                hi = mid
            else:
                lo = mid + 1
        return lo

    tail = (1 - level) / 2
    return quantile(tail), quantile(1 - tail)


def _contradicts(prior: Prior, confirmed: int, decided: int) -> bool:
    """Are ``confirmed`` errors in ``decided`` cases very unlikely (either tail) under the prior?"""
    if not decided:
        return False
    predictive = _beta_binomial(decided, prior.alpha, prior.beta)
    i = confirmed - predictive.start
    at_most = math.fsum(predictive.probs[:max(i + 1, 0)])
    at_least = math.fsum(predictive.probs[max(i, 0):])
    return min(at_most, at_least) < _CONFLICT


# --- text ---------------------------------------------------------------------------------------------

def _rounded(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _percent(rate: Decimal) -> str:
    """A rate as a percentage to two significant digits: 3.6%, 0.025%, 4.7% (more would be noise)."""
    if not rate:
        return "0%"
    value = rate * 100
    digits = 1 - value.adjusted()  # decimal places for two significant digits
    rounded = value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{rounded.normalize():f}%"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
