"""Grading benchmark: `caseflow grade` end to end (files in, result out) on generated data.

    .venv/bin/python bench/bench_grade.py [--sizes 100000,1000000,10000000] [--data DIR]

For each size: generates a labelled data set once (kept in --data), runs
`caseflow grade` in a subprocess, and prints records/s, wall time and peak
memory (sampled from /proc: total RSS, and anonymous memory without the pages of
the memory-mapped input files); then scores the grades against the truth labels:
wrong linkages graded A (must be 0), family members and twins graded C,
notation-only variants graded A, and the A/B/C share per scenario.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
CASEFLOW = ROOT / ".venv" / "bin" / "caseflow"


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


def run_grade(directory: Path, partitions: int | None) -> tuple[float, dict[str, float], str]:
    """Wall time, peak memory (GiB: total RSS, and anonymous memory without the memory-mapped
    input files' pages, which are page cache the kernel can reclaim) and the summary line."""
    out = directory / "result.csv"
    command = [str(CASEFLOW), "grade", str(directory / "records.csv"), str(directory / "registry.csv"),
               "--out", str(out)]
    if partitions:
        command += ["--partitions", str(partitions)]
    peaks = {"VmRSS": 0, "RssAnon": 0}
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while process.poll() is None:
        for key, value in _status(process.pid).items():
            if key in peaks:
                peaks[key] = max(peaks[key], value)
        time.sleep(0.02)
    wall = time.perf_counter() - started
    stderr = process.stderr.read()
    if process.returncode:
        raise SystemExit(stderr)
    summary = next(line for line in stderr.splitlines() if "分割数" in line)
    return wall, {key: value / 1024**2 for key, value in peaks.items()}, summary


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--data", type=Path, default=Path("/tmp/caseflow-bench"))
    parser.add_argument("--partitions", type=int, default=None, help="force a partition count")
    parser.add_argument("--no-quality", action="store_true")
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"{size:,} records")
        directory = dataset(size, args.data)
        wall, peak, summary = run_grade(directory, args.partitions)
        print(f"  caseflow grade: {wall:.2f} s wall = {size / wall:,.0f} records/s, "
              f"peak RSS {peak['VmRSS']:.2f} GiB (anonymous {peak['RssAnon']:.2f} GiB; the rest is the "
              f"memory-mapped input files)")
        print(f"  ({summary.strip()})")
        if not args.no_quality:
            quality(directory)


if __name__ == "__main__":
    main()
