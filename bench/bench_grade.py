"""Grading benchmark: `caseflow grade` end to end (files in, result out) on generated data, against
the floor, and an inspection's partitions graded across workers.

    .venv/bin/python bench/bench_grade.py [--sizes 100000,1000000,10000000] [--data DIR]
        [--repeat N] [--no-floor] [--partitions K] [--workers 1,2] [--no-quality]

For each size: generates a labelled data set once (kept in --data), runs `caseflow grade` in a
subprocess, and prints records/s, wall time and peak memory (sampled from /proc: total RSS, and
anonymous memory without the pages of the memory-mapped input files).

The floor, run the same way: Polars reads both CSV files, joins them on the number, compares each
field as written with ``==`` and writes a result file of the same shape (record id, grade,
reason, a verdict per field) — everything grading cannot avoid. Grading is reported as a
multiple of it: the best of --repeat runs of each, and run by run (grading and the floor take turns).

--workers 1,2: the same files graded in partitions the way an inspection job grades them
(caseflow.inspections.distributed: one task per partition on a Redis queue, the job taking its
share), with 1 and 2 worker processes; the wall time of the job and the peak RSS of each process,
the result checked byte for byte against the single-process run. Needs Redis
(CASEFLOW_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0).

Then scores the grades against the truth labels: wrong linkages graded A (must be 0), family
members and twins graded C, notation-only variants graded A, and the A/B/C share per scenario.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
CASEFLOW = ROOT / ".venv" / "bin" / "caseflow"
REDIS_URL = os.environ.get("CASEFLOW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
FIELDS = ("name", "name_kana", "birth_date", "sex", "address")


def dataset(size: int, data: Path) -> Path:
    directory = data / f"synthetic-{size}"
    if not (directory / "truth.csv").exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "caseflow_synthetic", "--n", str(size), "--out",
                        str(directory)], check=True, stdout=subprocess.DEVNULL)
        print(f"  generated {size:,} records in {time.perf_counter() - started:.1f} s")
    return directory


def _status(pid: int) -> dict[str, int]:
    """RSS figures of a running process, in KiB, from /proc (Linux)."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile"):
                    values[key] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return values


def measure(command: list[str], env: dict | None = None, helpers: list[subprocess.Popen] = ()
            ) -> tuple[float, dict[str, float], str]:
    """Run ``command``: its wall time, its peak memory in GiB (total RSS, and anonymous memory without
    the memory-mapped input files' pages, which are page cache the kernel can reclaim; with
    ``helpers`` running beside it, the largest of any one process) and its standard error."""
    peaks = {"VmRSS": 0, "RssAnon": 0}
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    while process.poll() is None:
        for pid in (process.pid, *(helper.pid for helper in helpers)):
            for key, value in _status(pid).items():
                if key in peaks:
                    peaks[key] = max(peaks[key], value)
        time.sleep(0.02)
    wall = time.perf_counter() - started
    stderr = process.stderr.read()
    if process.returncode:
        raise SystemExit(stderr)
    return wall, {key: value / 1024**2 for key, value in peaks.items()}, stderr


def run_grade(directory: Path, partitions: int | None) -> tuple[float, dict[str, float], str]:
    """`caseflow grade` on the data set: wall time, peak memory and the summary line."""
    command = [str(CASEFLOW), "grade", str(directory / "records.csv"), str(directory / "registry.csv"),
               "--out", str(directory / "result.csv")]
    if partitions:
        command += ["--partitions", str(partitions)]
    wall, peak, stderr = measure(command)
    return wall, peak, next(line for line in stderr.splitlines() if "分割数" in line)


def floor(records: Path, registry: Path, out: Path) -> None:
    """Read both files, join on the number, compare each field as written, write the same shape."""
    business = pl.scan_csv(records, infer_schema=False)
    resident = pl.scan_csv(registry, infer_schema=False).select(
        "my_number", *[pl.col(f).alias(f"reg_{f}") for f in FIELDS])
    same = [(pl.col(f) == pl.col(f"reg_{f}")).fill_null(False) for f in FIELDS]
    everything = pl.all_horizontal(same)
    (
        business.join(resident, on="my_number", how="left", maintain_order="left")
        .select(
            "record_id",
            grade=pl.when(everything).then(pl.lit("A")).otherwise(pl.lit("C")),
            reason=pl.when(everything).then(pl.lit("すべて一致。")).otherwise(pl.lit("一致しない項目があります。")),
            **{f"verdict_{f}": pl.when(equal).then(pl.lit("match")).otherwise(pl.lit("mismatch"))
               for f, equal in zip(FIELDS, same, strict=True)},
        )
        .collect(engine="in-memory")
        .write_csv(out, include_bom=True)
    )


def run_floor(directory: Path) -> tuple[float, dict[str, float]]:
    wall, peak, _stderr = measure([sys.executable, __file__, "--floor-run", str(directory)])
    return wall, peak


# --- across workers -------------------------------------------------------------------------------


def _worker_environment(storage: Path) -> dict:
    return {**os.environ, "CASEFLOW_INSTANCE_PATH": str(storage / "instance"), "CASEFLOW_STORAGE_PATH": str(storage),
            "CASEFLOW_QUEUE_URL": REDIS_URL, "CASEFLOW_QUEUE_NAME": f"bench-grade-{uuid.uuid4().hex[:12]}"}


def serve_partitions() -> None:
    """A worker taking partitions from the queue (no database: only the partition tasks come)."""
    from caseflow import create_app
    from caseflow.jobs.queue import create_consumer

    app = create_app()
    create_consumer(app, workers=1, periodic=False, initial_delay=0.02, max_delay=0.1).run()


def coordinate(directory: Path, partitions: int | None) -> None:
    """What the inspection job does with large files: split, hand the partitions to the workers
    (taking a share), merge."""
    from caseflow import create_app
    from caseflow.core.storage import files_root
    from caseflow.inspections.distributed import partitions_on_workers
    from caseflow.matching.partitioned import grade_files

    app = create_app()
    marks: dict[str, float] = {"start": time.perf_counter()}

    def progress(done: int, _total: int, _message: str) -> None:
        if done == 1:
            marks.setdefault("cross", time.perf_counter())

    with app.app_context():
        work = files_root(app) / "inspections" / "bench"
        work.mkdir(parents=True, exist_ok=True)
        on_workers = partitions_on_workers(app)

        def grade_parts(*args) -> None:
            marks["partitions"] = time.perf_counter()
            on_workers(*args)
            marks["merge"] = time.perf_counter()

        summary = grade_files(directory / "records.csv", directory / "registry.csv", directory / "distributed.csv",
                              partitions=partitions, workdir=work, grade_parts=grade_parts, progress=progress)
    end = marks["start"] + summary.seconds
    phases = {"split": marks["cross"] - marks["start"], "cross": marks["partitions"] - marks["cross"],
              "partitions": marks["merge"] - marks["partitions"], "merge": end - marks["merge"]}
    print(f"{summary.seconds:.3f} {summary.records} {summary.partitions} "
          + " ".join(f"{name}={seconds:.2f}" for name, seconds in phases.items()), file=sys.stderr)


def run_distributed(directory: Path, workers: int, partitions: int | None) -> tuple[float, dict[str, float], str]:
    storage = Path(tempfile.mkdtemp(prefix="bench-grade-", dir=directory))
    env = _worker_environment(storage)
    helpers = [subprocess.Popen([sys.executable, __file__, "--serve-partitions"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers - 1)]
    try:
        time.sleep(3 if helpers else 0)  # the workers are polling the queue
        command = [sys.executable, __file__, "--coordinate", str(directory)]
        if partitions:
            command += ["--partitions", str(partitions)]
        wall, peak, stderr = measure(command, env=env, helpers=helpers)
    finally:
        for helper in helpers:
            helper.terminate()
            helper.wait()
        shutil.rmtree(storage, ignore_errors=True)
    return wall, peak, stderr.strip().splitlines()[-1]


def quality(directory: Path) -> None:
    graded = pl.read_csv(directory / "result.csv", columns=["record_id", "grade"])
    truth = pl.read_csv(directory / "truth.csv")
    joined = graded.join(truth, on="record_id")
    wrong_a = joined.filter(~pl.col("same_person") & (pl.col("grade") == "A")).height
    wrong = joined.filter(~pl.col("same_person")).height

    def share(scenarios: list[str], grade: str) -> str:
        rows = joined.filter(pl.col("scenario").is_in(scenarios))
        return f"{(rows['grade'] == grade).sum():,} / {rows.height:,}"

    print(f"  wrong linkages graded A: {wrong_a} of {wrong:,} wrong linkages")
    print(f"  family members and twins graded C: {share(['family_member', 'twin'], 'C')}")
    print(f"  notation-only variants graded A: {share(['notation'], 'A')}")
    table = (joined.group_by("scenario", "same_person", "grade").len()
             .pivot(on="grade", index=["scenario", "same_person"], values="len").fill_null(0)
             .sort("scenario"))
    for name in ("A", "B", "C"):
        if name not in table.columns:
            table = table.with_columns(pl.lit(0).alias(name))
    print("  scenario                  same person        A        B        C")
    for row in table.iter_rows(named=True):
        print(f"  {row['scenario']:<25} {str(row['same_person']):<11} {row['A']:>8,} {row['B']:>8,} {row['C']:>8,}")
    overall = joined["grade"].value_counts().sort("grade")
    print("  overall: " + "  ".join(f"{g} {n / joined.height:.1%}" for g, n in overall.iter_rows()))
    truth_share = (~joined["same_person"]).mean()
    print(f"  truth: {truth_share:.2%} of records are wrong linkages")


def across_workers(directory: Path, size: int, counts: list[int], partitions: int | None,
                   graded_in: int | None) -> None:
    """The data set graded in partitions across 1, 2 … workers: the same result as one process (the
    run of `caseflow grade` just made, when it had as many partitions; else one made here)."""
    from caseflow.matching.partitioned import BYTES_PER_PARTITION

    total = (directory / "records.csv").stat().st_size + (directory / "registry.csv").stat().st_size
    partitions = partitions or max(2, math.ceil(total / 2 / BYTES_PER_PARTITION))
    reference = directory / "result.csv"
    if graded_in != partitions:
        reference = directory / f"result-{partitions}.csv"
        wall, peak, _stderr = measure([str(CASEFLOW), "grade", str(directory / "records.csv"),
                                       str(directory / "registry.csv"), "--out", str(reference),
                                       "--partitions", str(partitions)])
        print(f"  one process, {partitions} partitions: {wall:.2f} s wall = {size / wall:,.0f} records/s, "
              f"peak RSS {peak['VmRSS']:.2f} GiB (anonymous {peak['RssAnon']:.2f} GiB)")
    for workers in counts:
        wall, peak, summary = run_distributed(directory, workers, partitions)
        seconds, records, parts, *phases = summary.split()
        phase = {name: float(value) for name, value in (p.split("=") for p in phases)}
        same = (directory / "distributed.csv").read_bytes() == reference.read_bytes()
        print(f"  across {workers} worker{'s' if workers > 1 else ''}: {float(seconds):.2f} s grading = "
              f"{int(records) / float(seconds):,.0f} records/s ({wall:.2f} s wall with the app's start), "
              f"peak RSS of a process {peak['VmRSS']:.2f} GiB (anonymous {peak['RssAnon']:.2f} GiB); "
              f"result {'identical to' if same else 'DIFFERENT from'} one process")
        per_partition = phase["partitions"] * workers / int(parts)
        print(f"    split {phase['split']:.2f} s, cross-record pass {phase['cross']:.2f} s, {parts} partitions "
              f"{phase['partitions']:.2f} s ({per_partition:.2f} s of a worker each, "
              f"{per_partition * 1e6 / (int(records) / int(parts)):.2f} s per million records), "
              f"merge {phase['merge']:.2f} s")
        (directory / "distributed.csv").unlink(missing_ok=True)
    if reference.name != "result.csv":
        reference.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--data", type=Path, default=Path("/tmp/caseflow-bench"))
    parser.add_argument("--partitions", type=int, default=None, help="force a partition count")
    parser.add_argument("--repeat", type=int, default=1, help="runs of grading and of the floor (the best counts)")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-grade", action="store_true", help="only the runs across workers")
    parser.add_argument("--workers", default="", help="e.g. 1,2: grade the partitions across so many workers")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--reuse-result", type=int, metavar="K",
                        help="with --no-grade: result.csv is from an earlier `caseflow grade` in K partitions")
    parser.add_argument("--floor-run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--serve-partitions", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--coordinate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_run:
        return floor(args.floor_run / "records.csv", args.floor_run / "registry.csv", args.floor_run / "floor.csv")
    if args.serve_partitions:
        return serve_partitions()
    if args.coordinate:
        return coordinate(args.coordinate, args.partitions)
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"{size:,} records")
        directory = dataset(size, args.data)
        graded_in = args.reuse_result
        if not args.no_grade:
            # Grading and the floor take turns, so that each pair of runs sees the machine at the
            # same moment: its speed drifts by a fifth or more within minutes.
            runs, floors = [], []
            for _ in range(args.repeat):
                runs.append(run_grade(directory, args.partitions))
                if not args.no_floor:
                    floors.append(run_floor(directory))
            wall, peak, summary = min(runs, key=lambda run: run[0])
            print(f"  caseflow grade: {wall:.2f} s wall = {size / wall:,.0f} records/s, "
                  f"peak RSS {peak['VmRSS']:.2f} GiB (anonymous {peak['RssAnon']:.2f} GiB; the rest is the "
                  f"memory-mapped input files)" + (f"  [runs: {', '.join(f'{r[0]:.2f}' for r in runs)} s]"
                                                   if len(runs) > 1 else ""))
            print(f"  ({summary.strip()})")
            graded_in = int(summary.split("分割数")[1].split("）")[0])
            if floors:
                floor_wall, floor_peak = min(floors, key=lambda run: run[0])
                print(f"  floor (read, join, compare as written, write): {floor_wall:.2f} s = "
                      f"{size / floor_wall:,.0f} records/s, peak RSS {floor_peak['VmRSS']:.2f} GiB"
                      + (f"  [runs: {', '.join(f'{r[0]:.2f}' for r in floors)} s]" if len(floors) > 1 else ""))
                pairs = sorted(run[0] / floor_run[0] for run, floor_run in zip(runs, floors, strict=True))
                print(f"  grading = {wall / floor_wall:.2f} × the floor (best against best)"
                      + (f"; run by run {', '.join(f'{p:.2f}' for p in pairs)}, median {pairs[len(pairs) // 2]:.2f}"
                         if len(pairs) > 1 else ""))
        counts = [int(w) for w in args.workers.split(",") if w]
        if counts:
            across_workers(directory, size, counts, args.partitions, graded_in)
        if not args.no_quality and not args.no_grade:
            quality(directory)


if __name__ == "__main__":
    main()
