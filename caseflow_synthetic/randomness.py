"""Randomness that a seed fixes for good: SplitMix64 over row indices, in Polars integer arithmetic.

Each random column is a hash of (a stream key, the row's index), computed with u64 arithmetic
that wraps (not Polars' own hashing or sampling, whose output may change between versions), so
a seed gives the same data on every run and every machine. Stream keys are derived from the
seed, the chunk and a named stream (:data:`STREAM`), so that the draws of one part of the
generator do not move when another part changes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

# The named streams: each part of the generator draws from its own.
STREAM = {name: i for i, name in enumerate((
    "household", "size", "surname", "head", "address", "names", "twin", "person", "rank", "number",
    "order", "family", "surname_change", "move", "notation", "account", "doppel", "dates", "business_key"))}


_U64 = pl.UInt64
_MASK64 = (1 << 64) - 1


def splitmix(value: int) -> int:
    """SplitMix64's output function: a well-mixed u64 from ``value``."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def stream_key(*parts: int) -> int:
    """A stream key from integers (seed, chunk, stream, …)."""
    key = 0x5EED
    for part in parts:
        key = splitmix(key ^ (part & _MASK64))
    return key


def uniform(index: pl.Expr | str, key: int) -> pl.Expr:
    """A uniform u64 per row, from the row's index and a stream key."""
    x = pl.col(index) if isinstance(index, str) else index
    z = (x.cast(_U64) ^ pl.lit(key, _U64)) + pl.lit(0x9E3779B97F4A7C15, _U64)
    z = (z ^ (z // pl.lit(1 << 30, _U64))) * pl.lit(0xBF58476D1CE4E5B9, _U64)
    z = (z ^ (z // pl.lit(1 << 27, _U64))) * pl.lit(0x94D049BB133111EB, _U64)
    return z ^ (z // pl.lit(1 << 31, _U64))


def below(u: pl.Expr, bound: int | pl.Expr) -> pl.Expr:
    """Integer in [0, bound) from a uniform u64 (bound may be a column)."""
    divisor = pl.lit(bound, _U64) if isinstance(bound, int) else bound.cast(_U64)
    return (u % divisor).cast(pl.Int64)


class Draw:
    """Independent uniform fields from one u64 column (mixed radix: each field divides it further).

    A u64 holds about 60 bits of fields; ``below`` raises when a column is used up.
    """

    def __init__(self, column: str):
        self.u = pl.col(column)
        self.const = 1  # product of the constant bounds drawn so far
        self.rows: pl.Expr | None = None  # product of the per-row bounds drawn so far
        self.bits = 0.0

    def below(self, bound: int | pl.Expr, max_bound: int | None = None) -> pl.Expr:
        """Integer in [0, bound); ``max_bound`` is required for a per-row bound."""
        top = bound if isinstance(bound, int) else max_bound
        if top is None:
            raise ValueError("max_bound is required for a per-row bound")
        self.bits += math.log2(max(top, 2))
        if self.bits > 60:
            raise AssertionError("random column used up")
        rest = self.u // pl.lit(self.const, _U64) if self.const > 1 else self.u
        if self.rows is not None:
            rest = rest // self.rows
        divisor = pl.lit(bound, _U64) if isinstance(bound, int) else bound.cast(_U64)
        value = (rest % divisor).cast(pl.Int64)
        if isinstance(bound, int):
            self.const *= bound
        else:
            self.rows = divisor if self.rows is None else self.rows * divisor
        return value

    def unit(self) -> pl.Expr:
        """Float in [0, 1) with 20 bits."""
        return self.below(1 << 20).cast(pl.Float64) * (1.0 / (1 << 20))

    def pick(self, cumulative: pl.Series) -> pl.Expr:
        """Index drawn with the weights behind ``cumulative``."""
        return pl.lit(cumulative).search_sorted(self.unit(), side="right").cast(pl.Int64)


def cumulative(weights: Sequence[float]) -> pl.Series:
    """Cumulative shares of ``weights`` (the last exactly 1.0), for :meth:`Draw.pick`."""
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return pl.Series(out, dtype=pl.Float64)


def affine(space: int, *parts: int) -> tuple[int, int]:
    """Multiplier coprime with ``space`` (a power of ten) and an offset, for a bijection."""
    key = stream_key(*parts)
    a = 1_000_003 + 2 * (key % 4_000_000)
    while a % 5 == 0:
        a += 2
    return a, splitmix(key) % space


def shuffled_index(length: int, key: int) -> pl.Series:
    """A random permutation of 0..length-1."""
    return pl.select(uniform(pl.int_range(0, length, dtype=pl.Int64), key).rank("ordinal").cast(pl.Int64) - 1) \
        .to_series()
