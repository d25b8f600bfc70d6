"""Command line: ``python -m caseflow_synthetic --n N --out DIR``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from caseflow_synthetic.files import write_dataset


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m caseflow_synthetic --n N --out DIR``."""
    parser = argparse.ArgumentParser(prog="python -m caseflow_synthetic",
                                     description="Write a synthetic registry, business records and truth.")
    parser.add_argument("--n", type=int, required=True, help="number of business records")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoding", default="utf-8", choices=("utf-8", "cp932"))
    parser.add_argument("--headers", default="en", choices=("en", "ja"))
    parser.add_argument("--date-style", default="iso", choices=("iso", "mixed"))
    parser.add_argument("--chunk-size", type=int, default=250_000)
    args = parser.parse_args(argv)
    paths = write_dataset(args.n, args.out, seed=args.seed, encoding=args.encoding, headers=args.headers,
                          date_style=args.date_style, chunk_size=args.chunk_size)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
