"""Grading in hash partitions gives exactly what grading in memory gives."""

from __future__ import annotations

import polars as pl
import pytest

from caseflow.matching.partitioned import FilesRefused, grade_files
from caseflow_synthetic import write_dataset


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    directory = tmp_path_factory.mktemp("synthetic")
    return write_dataset(6_000, directory, seed=7)


def test_partitions_give_the_same_result_as_memory(dataset, tmp_path):
    whole = grade_files(dataset["records"], dataset["registry"], tmp_path / "whole.csv", partitions=1)
    split = grade_files(dataset["records"], dataset["registry"], tmp_path / "split.csv", partitions=5)
    assert (split.partitions, split.records, split.counts) == (5, whole.records, whole.counts)
    a = pl.read_csv(tmp_path / "whole.csv").sort("record_id")
    b = pl.read_csv(tmp_path / "split.csv").sort("record_id")
    assert a.equals(b)
    # the cross-record detectors found their cases across partitions too
    assert b.filter(pl.col("reason").str.contains("同じ口座")).height > 0
    assert b.filter(pl.col("reason").str.contains("手帳番号")).height > 0


def test_cp932_files_are_split_too(dataset, tmp_path):
    for name in ("records", "registry"):
        text = dataset[name].read_text(encoding="utf-8")
        (tmp_path / f"{name}.csv").write_bytes(text.encode("cp932", errors="replace"))
    summary = grade_files(tmp_path / "records.csv", tmp_path / "registry.csv", tmp_path / "out.csv", partitions=3)
    assert summary.records == 6_000


def test_problems_name_the_rows_of_the_original_file(dataset, tmp_path):
    lines = dataset["records"].read_text(encoding="utf-8").splitlines()
    fields = lines[10].split(",")
    fields[4] = "1970-13-45"  # row 11 of the file: an impossible date
    lines[10] = ",".join(fields)
    lines.append(lines[3])  # row 4's record id again, at the end
    broken = tmp_path / "records.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(FilesRefused) as refused:
        grade_files(broken, dataset["registry"], tmp_path / "out.csv", partitions=4)
    assert list(refused.value.refused) == ["業務データ"]
    listed = [(p.row, p.column) for p in refused.value.refused["業務データ"].problems]
    assert (11, "birth_date") in listed
    # the row repeats row 4's number too, so both rows fall in one partition: the id used twice is
    # still listed once (found across the file, not again by the partition)
    assert listed.count((len(lines), "record_id")) == 1
    assert not (tmp_path / "out.csv").exists()  # nothing half-written


@pytest.mark.parametrize("number", ["123456789012", "012345678901", "12345678901", "+123", "-123", "０１２３４５",
                                    "1234-5678-9012", "", None, "1234567890123456789", "9" * 19, " 123", "12a",
                                    "1" * 18, "0"])
def test_a_number_lands_in_the_partition_of_its_digits(number):
    """Numbers written in ASCII digits are parsed as they are, the others rewritten first: the
    partition is that of the number's digits (full width too, the first 18) either way."""
    from caseflow.matching.partitioned import _number_key

    digits = None
    if number is not None:
        ascii_digits = "".join(str("０１２３４５６７８９".index(c)) if c in "０１２３４５６７８９" else c for c in number)
        kept = "".join(c for c in ascii_digits if c.isdigit())[:18]
        digits = int(kept) if kept else None
    frame = pl.DataFrame({"n": [number, "123456789012"]}, schema={"n": pl.String})  # one odd value among plain ones
    for partitions in (3, 7):
        found = frame.select(_number_key("n", partitions)).to_series()[0]
        assert found == (digits % partitions if digits is not None else 0)


@pytest.mark.parametrize("wants_cases", [True, False])
def test_a_split_leaves_nothing_behind(dataset, tmp_path, wants_cases):
    """The work folder's split files, results and B/C records are gone once the result is written,
    whether the caller opens cases from the B/C records (an inspection) or not (`caseflow grade`)."""
    work = tmp_path / "work"
    work.mkdir()
    handed = []
    summary = grade_files(dataset["records"], dataset["registry"], tmp_path / "out.csv", partitions=4,
                          workdir=work, on_graded=handed.append if wants_cases else None)
    assert list(work.iterdir()) == []
    flagged = summary.counts["B"] + summary.counts["C"]
    assert flagged > 0
    assert sum(frame.height for frame in handed) == (flagged if wants_cases else 0)
    assert pl.read_csv(tmp_path / "out.csv").height == summary.records == 6_000
