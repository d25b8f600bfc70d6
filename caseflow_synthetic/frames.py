"""Small operations on Polars frames that every part of the generator uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl


def gather(table: pl.Series, index: pl.Expr) -> pl.Expr:
    """The values of a literal ``table`` at ``index`` (a column of positions), inside an expression."""
    return pl.lit(table).gather(index)


def scatter(frame: pl.DataFrame, rows: Sequence[int] | pl.Series, values: Mapping[str, object]) -> pl.DataFrame:
    """Overwrite ``frame[rows, column]`` for each column (values: a list/Series or one value)."""
    idx = rows if isinstance(rows, pl.Series) else pl.Series(list(rows), dtype=pl.Int64)
    if idx.len() == 0:
        return frame
    cols = []
    for name, value in values.items():
        column = frame.get_column(name)
        if isinstance(value, pl.Series):
            series = value.cast(column.dtype)
        elif isinstance(value, list):
            series = pl.Series(value, dtype=column.dtype)
        else:
            series = pl.Series([value], dtype=column.dtype).extend_constant(value, idx.len() - 1)
        cols.append(column.clone().scatter(idx, series))
    return frame.with_columns(cols)
