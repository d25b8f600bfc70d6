"""Grading files of any size: in memory up to a few million records, beyond that in hash
partitions on the My Number, so memory stays flat however large the files are.

A record and the registry row of its number always land in the same partition (the same
number, the same hash), and so do two records that carry one number. What crosses
partitions — a record id used twice, a bank account or business key on several records —
is found first over the whole file, on 64-bit hashes of the values, and handed to the
grader of each partition.

Each partition is graded on its own (grade_partition) from the split folder, and writes its
result rows, its B and C records and its outcome beside it: in this process, or by other
workers reading the same folder (caseflow.inspections.distributed). The result file is then
put together in partition order, the same whoever graded which partition.

The result is written to a temporary file and renamed at the end: a refused or failed run
leaves no result file behind.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate, pairwise
from pathlib import Path

import polars as pl

from caseflow.matching.extracts import (
    DUPLICATE_RECORD_ID,
    ROW_COLUMN,
    ExtractRefused,
    Problem,
    extract_from_strings,
    map_headers,
    read_extract,
)
from caseflow.matching.grading import (
    RESULT_COLUMNS,
    grade,
    repeated_values,
    reused_keys,
    shared_accounts,
    write_result,
)

# Above this many bytes (both files together) grading goes by partitions; a million
# records is about 150 MB of CSV per file. A partition of about half a million records
# keeps the peak near 1.3 GiB (two graded at once) however large the files are.
PARTITION_ABOVE_BYTES = 400 * 1024**2
BYTES_PER_PARTITION = 80 * 1024**2
# Partitions graded at once by one process (grade_partitions_here): two of this size stay under 2 GiB.
PARTITION_THREADS = 2

_FULL_WIDTH_DIGITS = dict(zip("０１２３４５６７８９", "0123456789", strict=True))

Progress = Callable[[int, int, str], None]
Graded = Callable[[pl.DataFrame], None]
PartsGrader = Callable[[Path, int, Progress], None]
"""``grade_parts(work, partitions, progress)``: grade every partition of the split in ``work``
(grade_partition, here or on other hosts) and return once each one is graded."""


RECORDS_LABEL = "業務データ"
REGISTRY_LABEL = "住民基本台帳データ"


class FilesRefused(Exception):
    """One or both files cannot be graded; ``refused`` maps the file's label to its problems."""

    def __init__(self, refused: dict[str, ExtractRefused]) -> None:
        super().__init__("; ".join(f"{label}: {r.message}" for label, r in refused.items()))
        self.refused = refused


@dataclass
class GradeSummary:
    records: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"A": 0, "B": 0, "C": 0})
    partitions: int = 1
    seconds: float = 0.0


def grade_files(records: Path, registry: Path, out: Path, *, partitions: int | None = None,
                workdir: Path | None = None, progress: Progress | None = None,
                on_graded: Graded | None = None, grade_parts: PartsGrader | None = None) -> GradeSummary:
    """Grade the RECORDS file against the REGISTRY file and write the result table to ``out``.

    ``partitions``: None decides by size; 1 grades in memory; more splits both files (in a
    folder made under ``workdir``). ``grade_parts`` grades the partitions of such a split
    (default: one after the other, in this process; an inspection hands them to its workers).
    ``on_graded(frame)`` receives the records graded B or C (of the whole file, or of one
    partition, in the file's partition order) with both sides' facts, once the result is
    written: an inspection opens its cases from them.
    Raises FilesRefused with every problem found in each file (rows as in the original files);
    then ``on_graded`` has not been called.
    """
    started = time.perf_counter()
    records, registry, out = Path(records), Path(registry), Path(out)
    if partitions is None:
        size = records.stat().st_size + registry.stat().st_size
        partitions = 1 if size <= PARTITION_ABOVE_BYTES else math.ceil(size / 2 / BYTES_PER_PARTITION)
    if partitions > 1 and (_is_xlsx(records) or _is_xlsx(registry)):
        partitions = 1  # an Excel sheet holds at most 1,048,576 rows: memory is enough
    tmp_out = out.with_name(f".{out.name}.partial")
    try:
        graded = on_graded
        if partitions == 1:
            summary = _grade_in_memory(records, registry, tmp_out, graded)
        else:
            summary = _grade_in_partitions(records, registry, tmp_out, partitions, workdir, progress,
                                           graded, grade_parts or partial(grade_partitions_here,
                                                                          flagged=graded is not None))
        os.replace(tmp_out, out)
    finally:
        tmp_out.unlink(missing_ok=True)
    summary.seconds = time.perf_counter() - started
    return summary


def _is_xlsx(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"PK"


def _count(summary: GradeSummary, graded: pl.DataFrame) -> None:
    summary.records += graded.height
    for grade_, n in graded["grade"].value_counts().iter_rows():
        summary.counts[grade_] = summary.counts.get(grade_, 0) + n


def _grade_in_memory(records: Path, registry: Path, out: Path, on_graded: Graded | None) -> GradeSummary:
    # Both files at once: much of reading is single-threaded work on one column at a time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {label: pool.submit(read_extract, path, kind=kind)
                   for label, path, kind in ((RECORDS_LABEL, records, "records"),
                                             (REGISTRY_LABEL, registry, "registry"))}
    refused: dict[str, ExtractRefused] = {}
    for label, future in futures.items():
        if isinstance(future.exception(), ExtractRefused):
            refused[label] = future.exception()
    if refused:
        raise FilesRefused(refused)
    business, resident = futures[RECORDS_LABEL].result(), futures[REGISTRY_LABEL].result()
    graded = grade(business, resident)
    summary = GradeSummary()
    _count(summary, graded)
    write_result(graded, out)
    if on_graded is not None:  # `caseflow grade` opens no cases: no need to filter 31 columns (0.01-0.02 s)
        on_graded(graded.filter(pl.col("grade") != "A"))
    return summary


# --- partitions ------------------------------------------------------------------------------


def _grade_in_partitions(records: Path, registry: Path, out: Path, partitions: int, workdir: Path | None,
                         progress: Progress | None, on_graded: Graded | None, grade_parts: PartsGrader
                         ) -> GradeSummary:
    report = progress or (lambda done, total, message: None)
    work = Path(tempfile.mkdtemp(prefix="caseflow-grade-", dir=workdir))
    removing = None
    try:
        split_files(records, registry, work, partitions, report)
        grade_parts(work, partitions, report)
        # The split files are not read again: they go while the results are merged (removing the
        # 3 GB of a 10M-record split took 1.3 s after the merge's 1.7 s).
        removing = threading.Thread(target=lambda: [shutil.rmtree(work / kind, ignore_errors=True)
                                                    for kind in ("records", "registry")])
        removing.start()
        return merge_partitions(work, partitions, out, on_graded)
    finally:
        if removing is not None:
            removing.join()
        shutil.rmtree(work, ignore_errors=True)


# What a split folder holds besides the partitions: the cross-record flags and problems, and per
# graded partition its result rows, its B and C records and its outcome (written last).
_CROSS_FLAGS = "cross.ipc"
_CROSS_PROBLEMS = "cross-problems.json"
_GRADED = "graded"


def split_files(records: Path, registry: Path, work: Path, partitions: int, progress: Progress) -> None:
    """Split both files into ``partitions`` hash partitions in ``work`` and run the cross-record pass
    over the whole records file, so that each partition can then be graded on its own (anywhere
    ``work`` can be read: grade_partition).

    Raises FilesRefused when a file's header cannot be read; problems in the rows are found by the
    partitions' graders and reported by merge_partitions.
    """
    steps = partitions + 2
    records_csv = _as_utf8(records, work / "records.csv")
    registry_csv = _as_utf8(registry, work / "registry.csv")
    progress(0, steps, "ファイルを分割しています")
    refused: dict[str, ExtractRefused] = {}
    columns = {}
    for label, path, kind in ((RECORDS_LABEL, records_csv, "records"), (REGISTRY_LABEL, registry_csv, "registry")):
        try:
            columns[kind] = _columns(path, kind)
        except ExtractRefused as problem:
            refused[label] = problem
    if refused:
        raise FilesRefused(refused)
    # Both files at once: splitting one keeps little more than one core busy (reading a CSV is
    # partly sequential work), and each holds only SPLIT_BUFFERED_ROWS in memory.
    with ThreadPoolExecutor(max_workers=2) as pool:
        splits = [pool.submit(_split, path, columns[kind]["my_number"], work / kind, partitions)
                  for path, kind in ((records_csv, "records"), (registry_csv, "registry"))]
    for split in splits:
        split.result()
    for copy in (records_csv, registry_csv):
        if copy.parent == work:  # a UTF-8 copy of a CP932 file: the partitions hold what is needed
            copy.unlink()
    progress(1, steps, "記録をまたがる確認をしています")
    cross = _cross_record(sorted((work / "records").glob(f"*/*{_PART_SUFFIX}")), columns["records"])
    _write_atomically(work / _CROSS_FLAGS, cross.flags.write_ipc)
    _write_atomically(work / _CROSS_PROBLEMS, lambda path: path.write_text(_problems_json(cross.problems)))
    (work / _GRADED).mkdir()


def grade_partitions_here(work: Path, partitions: int, progress: Progress, *, flagged: bool = True) -> None:
    """Grade every partition of the split in ``work`` in this process, PARTITION_THREADS at a time
    (``flagged``: as grade_partition)."""
    done = 0
    progress(2, partitions + 2, f"照合しています（0 / {partitions}）")
    with ThreadPoolExecutor(max_workers=PARTITION_THREADS) as pool:
        # Much of grading runs on one core at a time; two partitions at once keep both busy.
        for _ in pool.map(lambda part: grade_partition(work, part, flagged=flagged), range(partitions)):
            done += 1
            progress(2 + done, partitions + 2, f"照合しています（{done} / {partitions}）")


def partition_graded(work: Path, part: int) -> bool:
    """Whether partition ``part`` of the split in ``work`` has been graded (its outcome is written)."""
    return (work / _GRADED / f"{part}.json").exists()


def grade_partition(work: Path, part: int, *, flagged: bool = True) -> None:
    """Grade partition ``part`` of the split in ``work`` and write what it found beside it: the
    result rows, the B and C records (unless ``flagged`` is False: nobody opens cases from them),
    and an outcome (counts, or the rows' problems) written last, so that a partition is either
    graded whole or not at all. Grading it again writes the same.
    """
    cross_problems = _read_problems(work / _CROSS_PROBLEMS)
    problems: list[Problem] = []
    registry_problems: list[Problem] = []
    business = _read_partition(work / "records", part, "records", problems)
    resident = _read_partition(work / "registry", part, "registry", registry_problems)
    graded_dir = work / _GRADED
    outcome: dict = {"records": 0, "counts": {}, "problems": _problems_list(problems),
                     "registry_problems": _problems_list(registry_problems)}
    if not (cross_problems or problems or registry_problems) and business is not None:
        if resident is None:
            resident = pl.DataFrame(schema=business.schema)
        graded = grade(business, resident, cross_record=pl.read_ipc(work / _CROSS_FLAGS))
        _write_atomically(graded_dir / f"{part}.csv", lambda path: write_result(graded, path, header=False))
        if flagged:
            _write_atomically(graded_dir / f"{part}.flagged.ipc", graded.filter(pl.col("grade") != "A").write_ipc)
        outcome["records"] = graded.height
        outcome["counts"] = dict(graded["grade"].value_counts().iter_rows())
    _write_atomically(graded_dir / f"{part}.json", lambda path: path.write_text(json.dumps(outcome)))


def merge_partitions(work: Path, partitions: int, out: Path, on_graded: Graded | None) -> GradeSummary:
    """The result file from the graded partitions of ``work``, in partition order, and their B and C
    records to ``on_graded`` (if given); or FilesRefused with every problem the partitions found."""
    problems = _read_problems(work / _CROSS_PROBLEMS)
    registry_problems: list[Problem] = []
    outcomes = []
    for part in range(partitions):
        outcome = json.loads((work / _GRADED / f"{part}.json").read_text())
        problems += [Problem(*p) for p in outcome["problems"]]
        registry_problems += [Problem(*p) for p in outcome["registry_problems"]]
        outcomes.append(outcome)
    refused: dict[str, ExtractRefused] = {}
    for label, found in ((RECORDS_LABEL, problems), (REGISTRY_LABEL, registry_problems)):
        if found:
            found.sort(key=lambda p: (p.row, p.column))
            refused[label] = ExtractRefused(found)
    if refused:
        raise FilesRefused(refused)
    summary = GradeSummary(partitions=partitions)
    with open(out, "wb") as sink:
        header = True
        for part, outcome in enumerate(outcomes):
            rows = work / _GRADED / f"{part}.csv"
            if not rows.exists():
                continue  # no record in this partition
            if header:
                write_result(pl.DataFrame(schema=dict.fromkeys(RESULT_COLUMNS, pl.String)), sink)
                header = False
            _append(rows, sink)
            summary.records += outcome["records"]
            for grade_, n in outcome["counts"].items():
                summary.counts[grade_] = summary.counts.get(grade_, 0) + n
    for part in range(partitions if on_graded is not None else 0):
        flagged = work / _GRADED / f"{part}.flagged.ipc"
        if flagged.exists():
            on_graded(pl.read_ipc(flagged))
    return summary


def _write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Write ``target`` under a temporary name and rename it: a reader on any host sees all or nothing."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _append(source: Path, sink) -> None:
    sink.flush()
    with open(source, "rb") as rows:
        size = os.fstat(rows.fileno()).st_size
        offset = 0
        while offset < size:  # in the kernel: the rows never pass through Python
            sent = os.sendfile(sink.fileno(), rows.fileno(), offset, size - offset)
            if not sent:
                break
            offset += sent
        if offset < size:
            rows.seek(offset)
            shutil.copyfileobj(rows, sink)


def _problems_list(problems: list[Problem]) -> list[list]:
    return [[p.row, p.column, p.problem] for p in problems]


def _problems_json(problems: list[Problem]) -> str:
    return json.dumps(_problems_list(problems), ensure_ascii=False)


def _read_problems(path: Path) -> list[Problem]:
    return [Problem(*p) for p in json.loads(path.read_text())]


def _as_utf8(path: Path, target: Path) -> Path:
    """The file itself when it is UTF-8; otherwise a UTF-8 copy decoded from CP932 in chunks."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    try:
        head.decode("utf-8")
        return path
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut by the 1 MiB boundary
            return path
    decoder = codecs.getincrementaldecoder("cp932")()
    with open(path, "rb") as source, open(target, "w", encoding="utf-8", newline="") as sink:
        while chunk := source.read(16 << 20):
            sink.write(decoder.decode(chunk))
        sink.write(decoder.decode(b"", final=True))
    return target


def _columns(path: Path, kind: str) -> dict[str, str]:
    """Field key → the column's name as written, checking the header like the importer does."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    headers = [h.strip().strip('"') for h in first.rstrip("\r\n").split(",")]
    indices = map_headers(headers, kind)
    return {key: headers[index] for key, index in indices.items()}


def _number_key(column: str, partitions: int) -> pl.Expr:
    """Partition of a row: its number's digits (full width too) as an integer, modulo N.

    An 11-digit number that lost its leading zero is the same integer as its 12-digit form.
    """
    return (pl.col(column).map_batches(_number_digits, return_dtype=pl.Int64, is_elementwise=True) % partitions
            ).fill_null(0).cast(pl.UInt32).alias("__part__")


def _number_digits(numbers: pl.Series) -> pl.Series:
    """The digits of each number (full width too, anything else dropped, the first 18) as an integer.

    Nearly every number is written in ASCII digits alone: parsed as it is, it gives the same
    integer; only the others are rewritten first (that costs a third of splitting the files).
    """
    parsed = numbers.str.to_integer(strict=False)
    odd = ~(parsed.is_not_null() & (parsed >= 0) & (numbers.str.len_bytes() <= 18)).fill_null(False)
    if not odd.any():
        return parsed
    index = odd.arg_true()
    rewritten = (
        numbers.gather(index).str.replace_many(list(_FULL_WIDTH_DIGITS), list(_FULL_WIDTH_DIGITS.values()))
        .str.replace_all(r"\D", "").str.slice(0, 18).str.to_integer(strict=False)
    )
    return parsed.scatter(index, rewritten)


# Partitions are written as Arrow IPC: parsing the CSV once, while splitting, is enough; each
# partition is then read back without parsing, and the cross-record pass memory-maps them.
_PART_SUFFIX = ".ipc"


def _scan(path: Path) -> pl.LazyFrame:
    return pl.scan_ipc(path)


# Rows the split of one file holds in memory before writing them, over all the partitions
# together. The sink keeps one record batch filling per partition (by default some 70,000 rows,
# about 17 MB each: 76 partitions took 2 GiB); batches of this many rows divided among the
# partitions keep the split's memory the same however many partitions there are.
SPLIT_BUFFERED_ROWS = 500_000
_SMALLEST_BATCH = 4096


def _split(path: Path, number_column: str, target: Path, partitions: int) -> None:
    (
        pl.scan_csv(path, infer_schema=False, encoding="utf8")
        .with_row_index(ROW_COLUMN, offset=2)
        .with_columns(_number_key(number_column, partitions))
        .sink_ipc(pl.PartitionBy(target, key="__part__", include_key=False,
                                 approximate_bytes_per_file=None), mkdir=True,
                  record_batch_size=max(_SMALLEST_BATCH, SPLIT_BUFFERED_ROWS // partitions),
                  # Strings as offsets and bytes (Arrow's first layout), not views: a third less CPU
                  # and half the system time to write (10M records: 4.7 → 3.3 s per file).
                  compat_level=pl.CompatLevel.oldest())
    )


def _read_partition(directory: Path, part: int, kind: str, problems: list[Problem]) -> pl.DataFrame | None:
    files = sorted((directory / f"__part__={part}").glob(f"*{_PART_SUFFIX}"))
    frames = []
    for path in files:
        try:
            # Record ids used twice were found across the whole file by the cross-record pass.
            frames.append(extract_from_strings(pl.read_ipc(path), kind=kind, record_ids_checked=True))
        except ExtractRefused as refused:
            problems.extend(refused.problems)
    if not frames:
        return None
    return pl.concat(frames) if len(frames) > 1 else frames[0]


@dataclass
class _Cross:
    flags: pl.DataFrame
    problems: list[Problem]


def _cross_record(files: list[Path], columns: dict[str, str]) -> _Cross:
    """Record ids used twice, shared bank accounts and reused business keys, over the whole file.

    Read from the partition files one at a time: 64-bit hashes of the values find the
    few candidates in little memory; only the candidates' rows are then read in full.
    """
    wanted = {key: columns[key] for key in ("record_id", "bank_account", "business_key") if key in columns}
    row = pl.col(ROW_COLUMN).cast(pl.UInt32)
    def hashed(name: str) -> pl.Expr:
        value = pl.col(name).str.strip_chars()
        # empty cells stay null: they must not all count as one repeated value
        return pl.when(value.is_not_null() & (value != "")).then(value.hash())

    def repeated_rows(name: str) -> pl.Series:
        # One column at a time, its hashes alone (8 bytes a record: 82 million records in well under
        # 2 GiB). A hash's position in them is its row's position in the partition files, read in
        # this order: the rows of the few repeated ones come from the row numbers alone.
        hashes = [_scan(path).select(hashed(name)).collect().to_series() for path in files]
        starts = [0, *accumulate(len(part) for part in hashes)]
        every = pl.concat(hashes)
        del hashes
        positions = every.is_in(repeated_values(every).implode()).fill_null(False).arg_true()
        del every
        found = []
        for path, (start, end) in zip(files, pairwise(starts), strict=True):
            here = positions.filter((positions >= start) & (positions < end)) - start
            if here.len():
                found.append(_scan(path).select(row).collect().to_series().gather(here))
        return pl.concat(found) if found else pl.Series(ROW_COLUMN, [], dtype=pl.UInt32)

    problems: list[Problem] = []
    found = {key: repeated_rows(name) for key, name in wanted.items()}
    empty = pl.Series(ROW_COLUMN, [], dtype=pl.UInt32)
    duplicated_ids = found.get("record_id", empty)
    rows = set(pl.concat([duplicated_ids, found.get("bank_account", empty), found.get("business_key", empty)])
               .unique().to_list())
    if not rows:
        return _Cross(pl.DataFrame(schema={"record_id": pl.String, "shared_account": pl.Boolean,
                                           "business_key_reused": pl.Boolean}), problems)
    wanted_rows = pl.Series(sorted(rows), dtype=pl.UInt32).implode()
    # Stripped in each file's query, after the filter: stripping writes the few rows' strings anew.
    # Rows merely filtered would still point into their file's whole string buffers, and the
    # candidates of every partition held at once came to 2 GiB at 20 million records.
    candidates = pl.concat([
        _scan(path).filter(pl.col(ROW_COLUMN).is_in(wanted_rows))
        .select(row, *(pl.col(name).str.strip_chars().alias(key) for key, name in columns.items())).collect()
        for path in files
    ])
    if len(duplicated_ids):
        ids = candidates.filter(pl.col(ROW_COLUMN).is_in(duplicated_ids.implode()))
        first = ids.group_by("record_id").agg(pl.col(ROW_COLUMN).min().alias("first"))
        for row_number, first_row in ids.join(first, on="record_id").filter(pl.col(ROW_COLUMN) != pl.col("first")) \
                .select(ROW_COLUMN, "first").iter_rows():
            problems.append(Problem(row_number, columns["record_id"], DUPLICATE_RECORD_ID.format(first_row)))
    for key in ("bank_account", "business_key", "name", "address"):
        if key not in candidates.columns:
            candidates = candidates.with_columns(pl.lit(None, dtype=pl.String).alias(key))
    candidates = candidates.with_columns(
        lookup_number=pl.col("my_number").str.replace_all(r"\D", "").str.zfill(12),
        rec_name=pl.col("name"), rec_address=pl.col("address"),
    ).filter(pl.col("record_id").is_not_null())
    shared = shared_accounts(candidates.lazy().filter(pl.col("bank_account").is_not_null()
                                                      & pl.col("bank_account").is_duplicated()), key="record_id")
    keys = reused_keys(candidates.lazy().filter(pl.col("business_key").is_not_null()
                                                & pl.col("business_key").is_duplicated()), key="record_id")
    flags = (
        candidates.lazy().select("record_id").unique()
        .join(shared, on="record_id", how="left").join(keys, on="record_id", how="left")
        .with_columns(pl.col("shared_account", "business_key_reused").fill_null(False))
        .collect()
    )
    return _Cross(flags, problems)

