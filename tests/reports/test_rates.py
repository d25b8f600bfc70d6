"""A rate's numerator and denominator come from the same population: the records of the counted
batches and the errors among their cases. Errors found otherwise have a column of their own."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseflow.cases.vocabulary import CaseStatus
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus
from caseflow.reports import figures
from caseflow.reports.tables import rate
from tests.conftest import login, undone
from tests.reports.conftest import add_batch, happened_at


def test_errors_found_outside_a_batch_are_counted_apart_not_in_the_rate(app, make_case, agency, program,
                                                                        caseworker, client):
    """The bug: 8 records inspected and 9 errors (1 from the batch, 8 opened by hand) made 112.500%."""
    batch = add_batch(agency, program, 8, 7, 1, 0, sha="e")
    make_case(CaseStatus.CONFIRMED, batch_id=batch.id)
    for _ in range(8):
        make_case(CaseStatus.CONFIRMED)  # opened by hand: no batch
    [grain] = figures.live_grains(db.session, None)
    assert (grain.records, grain.errors, grain.errors_separate) == (8, 1, 8)
    [line] = figures.program_lines([program], [grain], [])
    assert line.rate_text == "12.500%" and line.errors_all == 9 and line.unresolved == 9
    login(client, caseworker)
    page = client.get("/reports/?layout=all").get_data(as_text=True)
    assert "12.500%" in page and "112.500%" not in page
    assert f'href="/cases/?program={program.id}&amp;outcome=errors&amp;found=separate">8件</a>' in page


def test_a_second_inspection_of_the_same_extract_counts_neither_its_records_nor_its_errors(
        app, make_case, agency, program):
    first = add_batch(agency, program, 10, 9, 1, 0, sha="f")
    again = add_batch(agency, program, 10, 9, 1, 0, sha="f")
    make_case(CaseStatus.CONFIRMED, batch_id=first.id)
    make_case(CaseStatus.CONFIRMED, batch_id=again.id)
    [grain] = figures.live_grains(db.session, None)
    assert (grain.records, grain.errors, grain.errors_separate) == (10, 1, 1)


STATUSES = st.sampled_from(list(CaseStatus))
CASE = st.tuples(STATUSES, st.booleans())  # its status, and whether it came after the moment looked at
BATCH = st.fixed_dictionaries({
    "records": st.integers(1, 4),
    "same_extract_as_previous": st.booleans(),
    "finished": st.booleans(),
    "cases": st.lists(CASE, max_size=4),
})


def test_no_rate_is_ever_above_one_hundred_percent(app, agency, program, make_case):
    """Random histories: batches (finished or not, the same extract twice), their cases (never more
    than their records) and cases opened by hand, some after the moment looked at; as of that
    moment and now, every grain, line and total has errors ≤ records."""
    checked = []

    @settings(max_examples=20, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(BATCH, min_size=1, max_size=3), st.lists(CASE, max_size=3))
    def history(batches, by_hand):
        with undone(app):
            early, late, sha = [], [], 0
            for n, spec in enumerate(batches):
                sha += 0 if spec["same_extract_as_previous"] and n else 1
                batch = add_batch(agency, program, spec["records"], spec["records"], 0, 0, sha=f"{sha:x}",
                                  status=BatchStatus.DONE if spec["finished"] else BatchStatus.RUNNING)
                for status, after in spec["cases"][:spec["records"]]:  # a batch's cases are among its records
                    (late if after else early).append((status, batch.id))
            early += [(status, None) for status, after in by_hand if not after]
            late += [(status, None) for status, after in by_hand if after]
            moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
            for status, batch_id in early:
                make_case(status, batch_id=batch_id)
            happened_at(moment - dt.timedelta(days=1))
            for status, batch_id in late:
                make_case(status, batch_id=batch_id)
            for at in (moment, None):
                grains = figures.live_grains(db.session, None, at)
                lines = figures.program_lines([program], grains, [])
                for figure in [*grains, *lines, figures.grand_total(lines, grains)]:
                    value = rate(figure.errors, figure.records)
                    assert value is None or value <= 100, figure
                    assert figure.errors <= figure.records, figure
                checked.append(sum(g.cases for g in grains))

    history()
    assert len(checked) == 40 and any(checked)
