"""Expected remaining errors: unverified cases × the confirmation rate of their kind of mismatch."""

from __future__ import annotations

from decimal import Decimal

from caseflow.cases.vocabulary import CaseStatus
from caseflow.extensions import db
from caseflow.reports import estimate, figures
from tests.reports.conftest import BIRTH_MISMATCH, NAME_MISMATCH


def test_the_2023_estimate_is_reproduced_with_the_trial_rates():
    # 2,779 × 3.6% + 約139万 × 0.025% ≈ 450 (the health-insurance check's own figure)
    result = estimate.expected_remaining({"birth_sex": 2_779, "name_etc": 1_390_000}, {}, {})
    assert [x.rate_text for x in result.lines] == ["3.6%", "0.025%"]
    assert all(x.source == estimate.TRIAL_SOURCE for x in result.lines)
    assert result.expected == Decimal("447.544")
    assert round(result.expected, -1) == 450


def test_observed_rates_replace_the_trial_rates_once_enough_cases_are_decided():
    result = estimate.expected_remaining({"birth_sex": 100, "name_etc": 1_000},
                                         confirmed={"birth_sex": 12, "name_etc": 1},
                                         decided={"birth_sex": 40, "name_etc": 29})
    birth, name = result.lines
    assert birth.source == estimate.OBSERVED_SOURCE and birth.rate == Decimal("0.3") and birth.expected == 30
    assert name.source == estimate.TRIAL_SOURCE  # 29 decided: too few
    assert result.expected_rounded == 30


def test_the_estimate_counts_the_viewers_unverified_cases(reports_world, make_case):
    for _ in range(3):
        make_case(CaseStatus.DETECTED, field_verdicts=BIRTH_MISMATCH)
    make_case(CaseStatus.DETECTED, field_verdicts=NAME_MISMATCH)
    result = figures.estimate(figures.live_grains(db.session, reports_world.caseworker))
    birth, name = result.lines
    assert (birth.unverified, name.unverified) == (4, 2)
    assert birth.confirmed == 2 and birth.decided == 2  # the confirmed birth-date mismatches in P and P2
    assert result.expected == 4 * Decimal("0.036") + 2 * Decimal("0.00025")
