"""Expected remaining errors: the 2023 trial's rates as a Beta prior, updated by the decided cases,
with a 95% interval of the errors left among the unverified cases."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseflow.cases.vocabulary import CaseStatus
from caseflow.cli import main
from caseflow.extensions import db
from caseflow.reports import estimate, exports, figures
from caseflow.reports.tables import Line
from tests.conftest import login
from tests.reports.conftest import BIRTH_MISMATCH, NAME_MISMATCH

TRIAL = estimate.TRIAL_UNVERIFIED_2023  # ① 2,779, ② 約139万


def _texts(page: str, table_id: str) -> list[list[str]]:
    match = re.search(rf'<table[^>]* id="{table_id}">(.*?)</table>', page, re.S)
    assert match, f"table {table_id} not shown"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1), re.S)
    return [[html.unescape(re.sub(r"<[^>]+>|\s", "", cell)) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in rows]


# --- the model -------------------------------------------------------------------------------------


def test_the_2023_trial_gives_about_450_with_its_interval():
    # 2,779 × 3.6% + 約139万 × 0.025% ≈ 450 (the health-insurance check's own figure), now with the
    # uncertainty of rates that rested on 9 and 8 errors.
    result = estimate.trial_2023()
    birth, name = result.lines
    assert (birth.expected, name.expected) == (Decimal("100.044"), Decimal("347.5"))
    assert result.expected == Decimal("447.544") and round(result.expected, -1) == 450
    assert [x.rate_text for x in result.lines] == ["3.6%", "0.025%"]
    assert (result.low, result.high) == (236, 737)  # checked against a full convolution and sampling
    assert result.text == "約448件（95%区間 236～737件）"
    assert (birth.low, birth.high, name.low, name.high) == (44, 176, 148, 630)
    assert "2023年" in birth.source and "250件中 誤り9件相当" in birth.source and "確認済みなし" in birth.source
    assert "32,000件中 誤り8件相当" in name.source


def test_the_trial_prior_is_the_trials_own_evidence():
    # 17 errors in all: ① 9 of 250 and ② 8 of 32,000 are the split that gives both published rates
    priors = estimate.TRIAL_PRIORS_2023
    assert priors["birth_sex"].errors + priors["name_etc"].errors == 17
    assert priors["birth_sex"].rate == Decimal("0.036") and priors["name_etc"].rate == Decimal("0.00025")


def test_thirty_decisions_without_an_error_do_not_wipe_out_the_estimate():
    # The bug: after 30 decided cases the observed rate (0 of 30) replaced the trial's, and ② over
    # 1.39M records became 0%. 30 decisions are nothing beside the 32,000 behind the trial's rate.
    result = estimate.expected_remaining(TRIAL, confirmed={"birth_sex": 0, "name_etc": 0},
                                         decided={"birth_sex": 30, "name_etc": 30})
    birth, name = result.lines
    assert name.rate > 0 and name.rate_text == "0.025%"
    assert name.expected == pytest.approx(Decimal("347.5"), rel=Decimal("0.001"))
    assert name.low > 100 and not name.conflict
    # ① moves more (the trial decided only 250 of them) but not to 0: 9 / 280
    assert birth.rate == Decimal(9) / Decimal(280)
    assert 400 < result.expected < 450 and result.low > 200


def test_the_estimate_moves_towards_the_data_as_decisions_accumulate():
    # ① decided at 10% (3× the trial's rate): the estimate follows as the decisions grow
    rates = [estimate.expected_remaining({"birth_sex": 1_000}, {"birth_sex": n // 10}, {"birth_sex": n}).lines[0].rate
             for n in (0, 10, 100, 1_000, 10_000, 100_000)]
    assert rates[0] == Decimal("0.036")
    assert all(a < b for a, b in zip(rates, rates[1:], strict=False))
    assert rates[-1] == pytest.approx(Decimal("0.1"), abs=Decimal("0.0002"))


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(list(estimate.KINDS)), decided=st.integers(1, 50_000), share=st.floats(0, 1),
       unverified=st.integers(0, 200_000))
def test_the_posterior_mean_lies_between_the_trial_rate_and_the_observed_rate(kind, decided, share, unverified):
    confirmed = round(decided * share)
    line = next(x for x in estimate.expected_remaining({kind: unverified}, {kind: confirmed}, {kind: decided}).lines
                if x.kind == kind)
    prior, observed = estimate.TRIAL_PRIORS_2023[kind].rate, Decimal(confirmed) / Decimal(decided)
    assert min(prior, observed) <= line.rate <= max(prior, observed)
    # the interval holds the figure shown (a count's mean below 0.5 may lie above a 0～0 interval)
    assert line.low <= line.expected_rounded <= line.high


def test_the_interval_contains_the_mean_and_narrows_with_more_decisions():
    # the same rate as the trial's, observed over more and more decided cases
    widths = []
    for decided in (0, 250, 2_500, 25_000):
        result = estimate.expected_remaining({"birth_sex": 10_000}, {"birth_sex": decided * 36 // 1000},
                                             {"birth_sex": decided})
        line = result.lines[0]
        assert line.rate == Decimal("0.036") and line.low < line.expected < line.high
        widths.append(line.high - line.low)
    assert all(a > b for a, b in zip(widths, widths[1:], strict=False))
    # a weaker prior (the trial discounted) gives the same mean and a wider interval
    weak = {k: p.weighted(0.1) for k, p in estimate.TRIAL_PRIORS_2023.items()}
    discounted = estimate.expected_remaining(TRIAL, {}, {}, priors=weak)
    assert discounted.expected == estimate.trial_2023().expected
    assert discounted.low < 236 and discounted.high > 737


def _exact_pmf(n: int, a: int, b: int) -> list[Fraction]:
    """Beta-Binomial(n, a, b) for whole a, b: C(n, k) B(k + a, n − k + b) / B(a, b), in fractions."""
    def beta(x: int, y: int) -> Fraction:
        return Fraction(math.factorial(x - 1) * math.factorial(y - 1), math.factorial(x + y - 1))
    return [math.comb(n, k) * beta(k + a, n - k + b) / beta(a, b) for k in range(n + 1)]


def test_the_interval_is_the_exact_quantiles_of_the_summed_predictive():
    priors = {"birth_sex": estimate.Prior(2, 10), "name_etc": estimate.Prior(3, 50)}
    result = estimate.expected_remaining({"birth_sex": 40, "name_etc": 200}, {"birth_sex": 1, "name_etc": 2},
                                         {"birth_sex": 5, "name_etc": 30}, priors=priors)
    first, second = _exact_pmf(40, 3, 12), _exact_pmf(200, 5, 75)
    assert sum(first) == 1 and sum(second) == 1
    total = [Fraction(0)] * (len(first) + len(second) - 1)
    for i, p in enumerate(first):
        for j, q in enumerate(second):
            total[i + j] += p * q

    def quantile(pmf, q):
        running = Fraction(0)
        for s, p in enumerate(pmf):
            running += p
            if running >= q:
                return s

    level = Fraction(25, 1000), Fraction(975, 1000)
    assert (result.lines[0].low, result.lines[0].high) == tuple(quantile(first, q) for q in level)
    assert (result.lines[1].low, result.lines[1].high) == tuple(quantile(second, q) for q in level)
    assert (result.low, result.high) == tuple(quantile(total, q) for q in level)
    mean = sum(k * p for k, p in enumerate(total))
    assert float(result.expected) == pytest.approx(float(mean))


def test_decisions_that_contradict_the_trial_are_flagged():
    # 10 errors in 1,000 name mismatches: 40× the trial's rate; under the trial ~0.25 were expected
    result = estimate.expected_remaining({"name_etc": 100_000}, {"name_etc": 10}, {"name_etc": 1_000})
    name = result.lines[1]
    assert name.conflict and result.conflict
    assert Decimal("0.00025") < name.rate < Decimal("0.01")
    quiet = estimate.expected_remaining({"name_etc": 100_000}, {"name_etc": 0}, {"name_etc": 1_000})
    assert not quiet.conflict


def test_nothing_unverified_is_zero_for_sure():
    result = estimate.expected_remaining({}, {}, {})
    assert (result.expected, result.low, result.high) == (0, 0, 0)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        estimate.expected_remaining({"birth_sex": 1}, {"birth_sex": 3}, {"birth_sex": 2})


def test_the_estimate_is_fast_on_a_million_cases():
    import time

    started = time.perf_counter()
    estimate.expected_remaining({"birth_sex": 500_000, "name_etc": 1_000_000},
                                {"birth_sex": 20_000, "name_etc": 300}, {"birth_sex": 300_000, "name_etc": 300_000})
    assert time.perf_counter() - started < 1


# --- per program -----------------------------------------------------------------------------------


def _grain(program_id, unverified_birth_sex=0, unverified_name_etc=0, decided_birth_sex=0, confirmed_birth_sex=0,
           decided_name_etc=0, confirmed_name_etc=0):
    return SimpleNamespace(program_id=program_id, unverified=unverified_birth_sex + unverified_name_etc,
                           unverified_birth_sex=unverified_birth_sex, decided_birth_sex=decided_birth_sex,
                           confirmed_birth_sex=confirmed_birth_sex, decided_name_etc=decided_name_etc,
                           confirmed_name_etc=confirmed_name_etc)


def test_each_program_updates_the_trial_prior_with_its_own_decisions():
    grains = [_grain(1, unverified_birth_sex=100, decided_birth_sex=250, confirmed_birth_sex=50),
              _grain(1, unverified_name_etc=1_000),  # a second agency in program 1
              _grain(2, unverified_birth_sex=100, decided_birth_sex=250, confirmed_birth_sex=0),
              _grain(3)]  # nothing unverified or decided: no line
    programs = estimate.by_program(grains)
    assert [p.program_id for p in programs] == [1, 2]
    one, two = (p.estimate for p in programs)
    assert one.lines[0].rate == Decimal(59) / Decimal(500) and two.lines[0].rate == Decimal(9) / Decimal(500)
    assert one.unverified == 1_100 and one.lines[1].rate == Decimal("0.00025")
    pooled = figures.estimate(grains)
    assert pooled.lines[0].rate == Decimal(59) / Decimal(750)  # every decision of a kind pooled
    assert pooled.programs == programs


def test_the_estimate_counts_the_viewers_unverified_cases(reports_world, make_case):
    for _ in range(3):
        make_case(CaseStatus.DETECTED, field_verdicts=BIRTH_MISMATCH)
    make_case(CaseStatus.DETECTED, field_verdicts=NAME_MISMATCH)
    result = figures.estimate(figures.live_grains(db.session, reports_world.caseworker))
    birth, name = result.lines
    assert (birth.unverified, name.unverified) == (4, 2)
    assert birth.confirmed == 2 and birth.decided == 2  # the confirmed birth-date mismatches in P and P2
    assert birth.rate == Decimal(11) / Decimal(252)  # 9 + 2 errors in 250 + 2 decided
    assert result.expected == 4 * birth.rate + 2 * name.rate
    assert result.low <= result.expected <= result.high
    assert {p.program_id for p in result.programs} == {reports_world.program.id, reports_world.program2.id}


# --- where it is shown -----------------------------------------------------------------------------


def test_the_report_page_shows_the_interval_and_the_sources(reports_world, client):
    w = reports_world
    login(client, w.ministry_officer)
    page = client.get("/reports/").get_data(as_text=True)
    rows = _texts(page, "estimate")
    assert rows[0] == ["不一致の種類", "未確認の案件", "試行の率", "率の根拠", "推定した率", "見込み（95%区間）"]
    assert rows[1][0] == "①生年月日・性別不一致" and rows[1][2] == "3.6%"
    assert "2023年" in rows[1][3] and "250件中誤り9件相当" in rows[1][3] and "確認済み2件中誤り2件" in rows[1][3]
    assert re.fullmatch(r"約\d+件（95%区間\d+～\d+件）", rows[1][5])
    assert rows[-1][0] == "合計" and re.fullmatch(r"約\d+件（95%区間\d+～\d+件）", rows[-1][-1])
    programs = _texts(page, "estimate-programs")
    assert programs[1][0] == w.program.name and programs[1][1] == "①生年月日・性別不一致"
    assert any(r[0] == "計" and "95%区間" in r[-1] for r in programs)


def test_the_dashboard_shows_the_interval(reports_world, client):
    login(client, reports_world.digital)
    page = client.get("/dashboard/").get_data(as_text=True)
    assert re.search(r"未確認の案件に残る誤りの見込み（95%区間 \d+～\d+件）", page)
    rows = _texts(page, "estimate")
    assert re.fullmatch(r"約\d+件（95%区間\d+～\d+件）", rows[-1][-1])


def test_the_pdf_report_shows_the_interval():
    total = Line(label="合計", records=0, errors=0)
    text = exports.report_html({"title": "見込み", "lines": [], "total": total, "generated_on": dt.date(2025, 6, 30),
                                "estimate": estimate.trial_2023()})
    assert "約448件（95%区間 236～737件）" in text and "250件中 誤り9件相当" in text


# --- the command line ------------------------------------------------------------------------------


def test_the_command_prints_the_trials_estimate_with_its_interval(app):
    result = app.test_cli_runner().invoke(main, ["report", "estimate", "--dataset", "2023"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "①生年月日・性別不一致：未確認2,779件 × 推定した率3.6% = 約100件（95%区間 44～176件）" in result.output
    assert "②氏名等不一致：未確認1,390,000件 × 推定した率0.025% = 約348件（95%区間 148～630件）" in result.output
    assert "合計：未確認1,392,779件 → 約448件（95%区間 236～737件）" in result.output
    assert "公表された推計値：約450件" in result.output and "250件中 誤り9件相当" in result.output


def test_the_command_prints_the_live_estimate_per_program(app, reports_world):
    result = app.test_cli_runner().invoke(main, ["report", "estimate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"{reports_world.program.name}（この事務の確認結果で更新）" in out
    assert f"{reports_world.program2.name}（この事務の確認結果で更新）" in out
    assert out.index(reports_world.program.name) < out.index("全国（全事務の確認結果で更新")
    assert len(re.findall(r"合計：未確認[\d,]+件 → 約\d+件（95%区間 \d+～\d+件）", out)) == 3
