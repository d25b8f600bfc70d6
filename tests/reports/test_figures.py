"""The per-program table computed live from cases and batches, for each viewer's rights."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.organizations.models import Program
from caseflow.reports import figures, tables


def _lines(user):
    grains = figures.live_grains(db.session, user)
    causes = figures.live_causes(db.session, user)
    lines = figures.program_lines(figures.programs_in_scope(db.session, user, grains), grains, causes)
    return {x.program_id: x for x in lines}, figures.grand_total(lines, grains), grains


def test_the_digital_agency_sees_every_agency_of_every_program(reports_world):
    w = reports_world
    lines, total, _ = _lines(w.digital)
    p = lines[w.program.id]
    # the same extract imported twice counts once; a refused one not at all
    assert p.records == 2_010_000 and p.agencies == 2
    assert (p.errors, p.viewed, p.resolved) == (3, 1, 2)
    assert p.extra["unverified"] == 2 and p.extra["dismissed"] == 1
    assert (p.extra["count_a"], p.extra["count_b"], p.extra["count_c"]) == (1_999_000, 9_700, 1_300)
    assert p.rate == Decimal("0.000")  # 3 / 2,010,000 = 0.00015%
    assert p.records_text == "201万件"
    assert lines[w.program2.id].errors == 1
    assert total.errors == 4 and total.records == 2_010_500 and total.agencies == 2


def test_an_agency_sees_only_its_own_figures(reports_world):
    w = reports_world
    lines, total, grains = _lines(w.caseworker)
    assert {g.agency_id for g in grains} == {w.agency.id}
    p = lines[w.program.id]
    assert p.records == 10_000 and p.errors == 2 and p.agencies == 1
    assert p.rate == Decimal("0.020") and p.rate_text == "0.020%"
    assert total.errors == 3  # with its P2 error, never agency B's
    other_lines, other_total, _ = _lines(w.other_caseworker)
    assert set(other_lines) == {w.program.id} and other_total.errors == 1


def test_a_ministry_sees_its_programs_by_agency_and_nothing_else(reports_world):
    w = reports_world
    lines, _total, grains = _lines(w.ministry_officer)
    assert w.program.id in lines and w.program2.id not in lines
    by_agency = {x.agency_id: x for x in figures.agency_lines(db.session, grains, w.program.id)}
    assert set(by_agency) == {w.agency.id, w.other_agency.id}
    assert by_agency[w.agency.id].errors == 2 and by_agency[w.other_agency.id].errors == 1
    other_lines, _, _ = _lines(w.other_ministry_officer)
    assert w.program.id not in other_lines and other_lines[w.program2.id].errors == 1


def test_someone_without_a_reporting_role_sees_no_figures(reports_world):
    assert figures.live_grains(db.session, reports_world.admin) == []


def test_causes_count_confirmed_errors_only(reports_world):
    w = reports_world
    table = figures.cause_table(figures.live_causes(db.session, w.digital))
    counts = {value: n for value, _label, n in table}
    assert counts == {"two_fact_query": 1, "family_member_number": 3}
    assert table[0][0] == "family_member_number"  # most frequent first


def test_the_kind_of_mismatch_is_set_when_a_case_is_opened(reports_world):
    w = reports_world
    kinds = dict(db.session.execute(sa.select(Case.id, Case.birth_or_sex_mismatch)).all())
    assert kinds[w.viewed.id] is True and kinds[w.unverified[0].id] is True
    assert kinds[w.corrected.id] is False and kinds[w.unverified[1].id] is False


def test_published_layout_groups_programs_without_errors(reports_world):
    w = reports_world
    db.session.add(Program(name="誤りのない事務", code="quiet", ministry_id=w.ministry.id))
    db.session.flush()
    lines, _, _ = _lines(w.digital)
    layout = tables.published_layout(list(lines.values()))
    assert [x.label for x in layout] == [w.program.name, w.program2.name, "その他（1事務）"]
    assert layout[-1].rate_text == "—" and layout[-1].records == 0


def test_rates_and_man_units_follow_the_published_rounding():
    assert tables.rate(5_689, 4_798_087) == Decimal("0.119")
    assert tables.rate(8_395, 82_076_482) == Decimal("0.010")
    assert tables.rate(66, 37_820) == Decimal("0.175")  # 0.17451 rounds up
    assert tables.rate(0, 0) is None
    assert tables.format_count(82_076_482) == "8,208万件"
    assert tables.format_count(5_066_114) == "507万件"
    assert tables.format_count(157_763) == "157,763件"


def test_a_group_of_one_program_without_errors_shows_a_dash():
    layout = tables.published_layout([tables.Line("甲", records=1000, errors=2), tables.Line("乙", records=500, errors=0)])
    assert [(x.label, x.rate_text) for x in layout] == [("甲", "0.200%"), ("その他（1事務）", "—")]
    assert tables.Line("乙", records=500, errors=0).rate_text == "0.000%"  # a program shown on its own
