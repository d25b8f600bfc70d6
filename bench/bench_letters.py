"""Letters benchmark: a print run of N letters (default 10,000) into one PDF.

    .venv/bin/python bench/bench_letters.py [--letters 10000] [--workers 2] [--chunk-size 50] [--out DIR]

Builds N letter snapshots from the samples (the three kinds in turn, varied names with variant
kanji 髙 﨑 邉 濵 齋 德 𠮷, addresses, numbers and dates), runs
``caseflow.letters.render.render_print_run`` and prints letters/s, wall time, peak memory (VmRSS
of this process plus its worker processes, sampled from /proc every 0.1 s, summed) and the size
of the merged PDF per letter. Then a few warm single renders for comparison.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from caseflow.letters.kinds import KINDS  # noqa: E402
from caseflow.letters.render import CHUNK_SIZE, render_letter, render_print_run  # noqa: E402
from caseflow.letters.samples import sample_snapshot  # noqa: E402

FAMILY = ["髙橋", "山﨑", "渡邉", "濵田", "齋藤", "德永", "𠮷田", "佐藤", "鈴木", "田中", "伊藤", "中村",
          "小林", "加藤", "吉田", "山本", "松本", "井上", "木村", "長谷川"]
GIVEN = ["花子", "太郎", "美咲", "健一", "陽菜", "大輔", "さくら", "翔太", "恵美子", "一郎", "ゆかり", "優斗"]
TOWNS = ["中央", "本町", "緑ケ丘", "桜台", "港南", "東が丘", "西原", "北野", "南平", "若葉"]
BUILDINGS = ["青葉ハイツ", "グランメゾン港南", "コーポ桜", "サンライズ北野", "", ""]
NUMERALS = "一二三四五六七八九"


def snapshots(count: int, seed: int = 8) -> list[dict]:
    """``count`` letter snapshots: the samples with varied recipients, numbers and dates."""
    rng = random.Random(seed)
    made = []
    for number in range(count):
        snapshot = sample_snapshot(KINDS[number % len(KINDS)])
        town = rng.choice(TOWNS)
        lines = [f"神奈川県青葉市{town}{rng.choice(NUMERALS)}丁目{rng.randint(1, 30)}番{rng.randint(1, 40)}号"]
        building = rng.choice(BUILDINGS)
        if building:
            lines.append(f"{building}{rng.randint(1, 9)}0{rng.randint(1, 9)}号室")
        snapshot["recipient"] = {"postal_code": f"243-{rng.randint(0, 9999):04d}", "address_lines": lines,
                                 "name": f"{rng.choice(FAMILY)}　{rng.choice(GIVEN)}"}
        snapshot["document_number"] = f"青市民第{number + 1}号"
        snapshot["case_reference"] = f"CF-{number + 1:07d}"
        snapshot["facts"]["found_on"] = f"2026-{rng.randint(7, 10):02d}-{rng.randint(1, 28):02d}"
        made.append(snapshot)
    return made


class MemorySampler:
    """Peak VmRSS of a process and all its descendants, summed, sampled from /proc."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _children(pid: int) -> list[int]:
        found = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    found += [int(child) for child in handle.read().split()]
        except OSError:
            pass
        return found

    @staticmethod
    def _rss_kib(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            pids, queue = [], [self.pid]
            while queue:
                pid = queue.pop()
                pids.append(pid)
                queue += self._children(pid)
            total = sum(self._rss_kib(pid) for pid in pids)
            if total > self.peak_kib:
                self.peak_kib, self.peak_processes = total, len(pids)
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=None, help="default: os.cpu_count()")
    parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
    parser.add_argument("--out", type=Path, default=None, help="directory for the merged PDF (default: a temp dir)")
    parser.add_argument("--singles", type=int, default=5, help="warm single renders to time afterwards")
    args = parser.parse_args()

    letters = snapshots(args.letters)
    workers = args.workers or os.cpu_count()
    print(f"print run: {args.letters:,} letters, {workers} workers, chunks of {args.chunk_size}, "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-letters-") as scratch:
        out = (args.out or Path(scratch)) / "print-run.pdf"
        out.parent.mkdir(parents=True, exist_ok=True)
        last_report = [0.0]
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last_report[0] >= 30 or done == total:
                last_report[0] = now
                print(f"  {done:,}/{total:,} letters, {done / (now - started):.1f} letters/s", flush=True)

        with MemorySampler(os.getpid()) as memory:
            result = render_print_run(letters, out, progress=progress, workers=args.workers,
                                      chunk_size=args.chunk_size)
        elapsed = time.perf_counter() - started
        size = out.stat().st_size
        printed = args.letters - len(result.held)
        print(f"  wall time        {elapsed:,.1f} s")
        print(f"  throughput       {args.letters / elapsed:,.1f} letters/s")
        print(f"  peak memory      {memory.peak_kib / 1024:,.0f} MiB (VmRSS summed over {memory.peak_processes} "
              f"processes)")
        print(f"  merged PDF       {size / 1024 / 1024:,.1f} MiB, {size / 1024 / max(printed, 1):,.1f} KB/letter, "
              f"{sum(result.pages):,} pages")
        print(f"  held             {len(result.held)} letters"
              + (f" (e.g. {next(iter(result.held.values()))})" if result.held else ""))

    timings = []
    for number in range(args.singles + 1):
        started = time.perf_counter()
        render_letter(letters[number % len(letters)])
        timings.append(time.perf_counter() - started)
    if args.singles:
        print(f"single letter (render_letter, warm): median {statistics.median(timings[1:]) * 1000:.0f} ms, "
              f"first {timings[0] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
