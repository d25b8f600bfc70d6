"""Month-end snapshots: frozen, one per month, compared with the month before, seen within rights."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from caseflow.cases import operations
from caseflow.cases.vocabulary import CaseStatus, Cause, ViewedOnPortal
from caseflow.core.japanese import JST
from caseflow.errors import DomainError, PermissionDenied
from caseflow.extensions import db
from caseflow.reports import figures, snapshots
from tests.conftest import IDENTITY, login, post_form
from tests.reports.conftest import happened_at

OCTOBER = dt.date(2026, 10, 31)
NOVEMBER = dt.date(2026, 11, 30)
MID_OCTOBER = dt.datetime(2026, 10, 15, 12, tzinfo=JST)
MID_NOVEMBER = dt.datetime(2026, 11, 10, 12, tzinfo=JST)
DECEMBER_FIRST = dt.datetime(2026, 12, 1, 0, 5, tzinfo=JST)


def _cells(page: str, label: str) -> list[str]:
    """The cells of the comparison row whose header is ``label``."""
    row = re.search(r'<th scope="row">' + re.escape(label) + r"</th>(.*?)</tr>", page, re.S)
    assert row, f"no row {label}"
    return re.findall(r'<td class="num">(.*?)</td>', row.group(1))


def test_a_month_end_is_frozen_and_compared_with_the_previous_one(reports_world, client):
    w = reports_world
    october_end = happened_at(MID_OCTOBER)
    snapshots.take_snapshot(db.session, w.digital, OCTOBER, now=DECEMBER_FIRST)
    # November: two unverified cases are confirmed, one of them viewed on the portal
    for case in w.unverified:
        if case.status is CaseStatus.DETECTED:
            operations.start_verification(case, w.caseworker)
        operations.confirm_case(case, w.caseworker, cause=Cause.MANUAL_TRANSCRIPTION,
                                viewed_on_portal=ViewedOnPortal.YES, viewed_what="薬剤情報", viewed_on=dt.date(2026, 11, 5),
                                **IDENTITY)
    happened_at(MID_NOVEMBER, since=october_end)
    november = snapshots.take_snapshot(db.session, w.digital, NOVEMBER, now=DECEMBER_FIRST)
    login(client, w.digital)
    page = client.get(f"/reports/snapshots/{november.id}").get_data(as_text=True)
    assert "2026年11月末の集計" in page and "2026年10月末" in page
    # records (prev, now, change), errors, viewed, resolved, unverified — then the rate
    cells = _cells(page, w.program.name)
    assert cells[0:3] == ["2,010,000", "2,010,000", "±0"]
    assert cells[3:6] == ["3", "5", "+2"]
    assert cells[6:9] == ["1", "3", "+2"]
    assert cells[9:12] == ["2", "2", "±0"]
    assert cells[12:15] == ["2", "0", "-2"]
    total = _cells(page, "合計")
    assert total[3:6] == ["4", "6", "+2"]


def test_a_snapshot_does_not_change_when_cases_do(reports_world, client):
    w = reports_world
    happened_at(MID_OCTOBER)
    october = snapshots.take_snapshot(db.session, None, OCTOBER)
    operations.start_verification(w.unverified[0], w.caseworker)
    operations.confirm_case(w.unverified[0], w.caseworker, cause=Cause.SYSTEM_INPUT_ERROR, viewed_on_portal=ViewedOnPortal.NO,
                            **IDENTITY)
    login(client, w.digital)
    page = client.get(f"/reports/snapshots/{october.id}").get_data(as_text=True)
    assert _cells(page, w.program.name)[3:6] == ["—", "3", "—"]  # no month before; errors as frozen
    assert "比べる前月の集計はありません" in page


def test_each_viewer_sees_their_own_part_of_a_snapshot(reports_world, client):
    w = reports_world
    happened_at(MID_OCTOBER)
    october = snapshots.take_snapshot(db.session, None, OCTOBER)
    login(client, w.other_caseworker)
    page = client.get(f"/reports/snapshots/{october.id}").get_data(as_text=True)
    assert _cells(page, w.program.name)[3:6] == ["—", "1", "—"]  # its own notified case only
    assert w.program2.name not in page
    client = client.application.test_client()
    login(client, w.other_ministry_officer)
    page = client.get(f"/reports/snapshots/{october.id}").get_data(as_text=True)
    assert w.program.name not in page and _cells(page, w.program2.name)[3:6] == ["—", "1", "—"]


def test_one_snapshot_per_month_once_it_has_ended_and_only_by_the_digital_agency(reports_world):
    w = reports_world
    last_day_noon = dt.datetime(2026, 10, 31, 12, tzinfo=JST)
    with pytest.raises(DomainError, match="月末（10月31日）が終わってから"):
        snapshots.take_snapshot(db.session, w.digital, OCTOBER, now=last_day_noon)
    snapshots.take_snapshot(db.session, w.digital, dt.date(2026, 10, 5), now=DECEMBER_FIRST)  # any day means its month
    with pytest.raises(DomainError, match="すでに確定"):
        snapshots.take_snapshot(db.session, w.digital, OCTOBER, now=DECEMBER_FIRST)
    with pytest.raises(PermissionDenied):
        snapshots.take_snapshot(db.session, w.supervisor, NOVEMBER, now=DECEMBER_FIRST)


def test_a_snapshot_taken_late_holds_the_figures_of_its_month_end(reports_world, make_case):
    """The bug: run on 7 December, 「11月末」 counted December's cases, and 「2023年9月末」 today's."""
    w = reports_world
    november_end = happened_at(MID_NOVEMBER)
    make_case(CaseStatus.CONFIRMED, batch_id=w.viewed.batch_id)  # December: one more error …
    operations.start_verification(w.unverified[0], w.caseworker)  # … and a case in verification
    happened_at(dt.datetime(2026, 12, 3, 10, tzinfo=JST), since=november_end)
    november = snapshots.take_snapshot(db.session, None, NOVEMBER, now=dt.datetime(2026, 12, 7, 9, tzinfo=JST))
    [p] = [g for g in snapshots.grains_of(november) if g.program_id == w.program.id and g.agency_id == w.agency.id]
    assert (p.errors, p.unverified, p.cases) == (2, 2, 5)  # as on 30 November 23:59:59 JST
    assert p.records == 10_000
    now = [g for g in figures.live_grains(db.session, None) if g.program_id == w.program.id
           and g.agency_id == w.agency.id][0]
    assert (now.errors, now.unverified, now.cases) == (3, 2, 6)
    # A month long before anything happened holds nothing, whenever it is taken.
    september_2023 = snapshots.take_snapshot(db.session, None, dt.date(2023, 9, 1))
    assert september_2023.rows == [] and september_2023.causes == []


def test_figures_as_of_now_are_the_live_figures(reports_world, make_case):
    w = reports_world
    make_case(CaseStatus.NOTIFIED)  # found outside any batch
    operations.start_verification(w.unverified[0], w.caseworker)
    db.session.flush()
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert figures.live_grains(db.session, None, moment) == figures.live_grains(db.session, None)
    assert sorted(map(repr, figures.live_causes(db.session, None, moment))) == \
        sorted(map(repr, figures.live_causes(db.session, None)))


def test_taking_a_snapshot_from_the_page(reports_world, client):
    w = reports_world
    login(client, w.digital)
    response = post_form(client, "/reports/snapshots", {"month": "2026-10"}, token_from="/reports/snapshots")
    assert response.status_code == 302 and "/reports/snapshots/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2026年10月末の集計を確定しました。" in page
    again = post_form(client, "/reports/snapshots", {"month": "2026-10"}, token_from="/reports/snapshots")
    assert "すでに確定しています" in client.get(again.headers["Location"]).get_data(as_text=True)
    bad = post_form(client, "/reports/snapshots", {"month": "十月"}, token_from="/reports/snapshots")
    assert "2026-10 の形で" in client.get(bad.headers["Location"]).get_data(as_text=True)
