"""`caseflow grade`: grade two files against each other, with no database and no web application.

Started through caseflow.entry without loading Flask: grading a file takes seconds, and
the web application's imports would add a fifth of a second to each run.
"""

from __future__ import annotations

from pathlib import Path

import click


def refusal_text(label: str, refused) -> str:
    lines = [f"{label}：{refused.message}"]
    lines += [f"  {p.row}行目 {p.column or '-'}：{p.problem}" for p in refused.problems[:200]]
    if len(refused.problems) > 200:
        lines.append(f"  ほか {len(refused.problems) - 200}件")
    return "\n".join(lines)


@click.command("grade")
@click.argument("records", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("registry", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="結果ファイル（CSV）")
@click.option("--partitions", type=click.IntRange(min=1), default=None,
              help="分割数（省略時はファイルの大きさで決めます。1 はすべてメモリ上で判定）")
def grade_command(records: Path, registry: Path, out: Path, partitions: int | None) -> None:
    """Grade RECORDS against REGISTRY (no database): A/B/C and a verdict per field into --out."""
    from caseflow.matching.partitioned import FilesRefused, grade_files

    def progress(done: int, total: int, message: str) -> None:
        click.echo(f"[{done}/{total}] {message}", err=True)

    try:
        summary = grade_files(records, registry, out, partitions=partitions, progress=progress)
    except FilesRefused as refused:
        raise click.ClickException("\n".join(refusal_text(label, problem)
                                              for label, problem in refused.refused.items())) from None
    total = summary.records
    share = "  ".join(f"{g}: {summary.counts.get(g, 0):,}件（{100 * summary.counts.get(g, 0) / max(total, 1):.1f}%）"
                      for g in "ABC")
    click.echo(f"{total:,}件を判定しました。{share}", err=True)
    click.echo(f"{summary.seconds:.2f}秒（{total / max(summary.seconds, 1e-9):,.0f}件/秒、分割数 {summary.partitions}）"
               f" → {out}", err=True)
