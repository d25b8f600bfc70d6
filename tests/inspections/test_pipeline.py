"""One grading pipeline: an inspection goes through the grader of `caseflow grade`, in memory or,
for large files, in hash partitions, and opens the same cases either way."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus
from caseflow.inspections.operations import batch_directory, run_inspection, start_inspection
from caseflow.matching import partitioned
from caseflow_synthetic import write_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(3_000, tmp_path_factory.mktemp("pipeline"), seed=14)


def _inspect(app, agency, program, caseworker, files) -> tuple:
    with open(files["records"], "rb") as records, open(files["registry"], "rb") as registry:
        batch = start_inspection(db.session, caseworker, agency=agency, program=program,
                                 records=("records.csv", records), registry=("registry.csv", registry),
                                 root=app.instance_path)
    seen = []
    run_inspection(db.session, batch, root=app.instance_path,
                   progress=lambda done, total, message: seen.append(message))
    cases = db.session.execute(sa.select(Case.source_record_id, Case.grade, Case.grade_reason, Case.field_verdicts)
                               .where(Case.batch_id == batch.id).order_by(Case.source_record_id)).all()
    counts = (batch.records_inspected, batch.count_a, batch.count_b, batch.count_c, batch.cases_opened)
    path = batch_directory(app.instance_path, batch.id) / "result.csv"
    result = path.read_text() if path.exists() else None  # a refused batch leaves none
    return batch, counts, [tuple(c) for c in cases], result, seen


def test_large_files_go_by_partitions_and_open_the_same_cases(app, make_org, program, make_user, dataset,
                                                              monkeypatch):
    from caseflow.users.models import Role

    # Two agencies, so that the same records open cases in both.
    first, second = make_org(), make_org()
    in_memory = _inspect(app, first, program, make_user(Role.CASEWORKER, org=first), dataset)
    monkeypatch.setattr(partitioned, "PARTITION_ABOVE_BYTES", 1)  # every upload counts as large
    monkeypatch.setattr(partitioned, "BYTES_PER_PARTITION", 100_000)
    by_parts = _inspect(app, second, program, make_user(Role.CASEWORKER, org=second), dataset)

    assert in_memory[0].status is BatchStatus.DONE and by_parts[0].status is BatchStatus.DONE
    assert in_memory[1] == by_parts[1] and in_memory[1][0] == 3_000 and in_memory[1][4] > 100
    assert in_memory[2] == by_parts[2]
    assert sorted(in_memory[3].splitlines()) == sorted(by_parts[3].splitlines())
    assert any("照合しています（" in message for message in by_parts[4])  # partition by partition
    # The uploads (they hold My Numbers) are gone once graded.
    for batch in (in_memory[0], by_parts[0]):
        assert not list(batch_directory(app.instance_path, batch.id).glob("*.upload*"))


def test_a_refusal_in_a_later_partition_keeps_no_case(app, agency, program, caseworker, dataset, tmp_path,
                                                      monkeypatch):
    """Cases of the partitions graded before the refused one were opened, and are not kept."""
    monkeypatch.setattr(partitioned, "PARTITION_ABOVE_BYTES", 1)
    monkeypatch.setattr(partitioned, "BYTES_PER_PARTITION", 100_000)
    size = dataset["records"].stat().st_size + dataset["registry"].stat().st_size
    parts = math.ceil(size / 2 / partitioned.BYTES_PER_PARTITION)
    assert parts >= 3
    lines = dataset["records"].read_text(encoding="utf-8").splitlines()
    # A birth date no one can read, on a record of the last partition (same length: same partitions).
    index = next(i for i, line in enumerate(lines[1:], start=1) if int(line.split(",")[1]) % parts == parts - 1)
    cells = lines[index].split(",")
    cells[4] = "9999-99-99"
    lines[index] = ",".join(cells)
    broken = tmp_path / "records.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    opened = []
    original = partitioned.grade

    def grade_and_count(*args, **kwargs):
        graded = original(*args, **kwargs)
        opened.append(graded.filter(graded["grade"] != "A").height)
        return graded

    monkeypatch.setattr(partitioned, "grade", grade_and_count)
    batch, counts, cases, result, _seen = _inspect(app, agency, program, caseworker,
                                                   {"records": broken, "registry": dataset["registry"]})
    assert sum(opened) > 0  # earlier partitions were graded (and their cases opened) before the refusal
    assert batch.status is BatchStatus.REFUSED and f"{index + 1}" in {str(p["row"]) for p in batch.problems}
    assert result is None and cases == []
