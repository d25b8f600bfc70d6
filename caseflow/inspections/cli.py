"""Command line: grade two files without a database, or run an inspection batch."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _refusal_text(label: str, refused) -> str:
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
        raise click.ClickException("\n".join(_refusal_text(label, problem)
                                              for label, problem in refused.refused.items())) from None
    total = summary.records
    share = "  ".join(f"{g}: {summary.counts.get(g, 0):,}件（{100 * summary.counts.get(g, 0) / max(total, 1):.1f}%）"
                      for g in "ABC")
    click.echo(f"{total:,}件を判定しました。{share}", err=True)
    click.echo(f"{summary.seconds:.2f}秒（{total / max(summary.seconds, 1e-9):,.0f}件/秒、分割数 {summary.partitions}）"
               f" → {out}", err=True)


@click.command("inspect")
@click.option("--agency", "agency_code", required=True, help="紐付け実施機関の組織コード")
@click.option("--program", "program_code", required=True, help="事務のコード（caseflow seed reference で登録）")
@click.argument("records", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("registry", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def inspect_command(agency_code: str, program_code: str, records: Path, registry: Path) -> None:
    """Run an inspection batch now: grade the files and open a case for every B and C."""
    import sqlalchemy as sa

    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.inspections.models import BatchStatus
    from caseflow.inspections.operations import discard_batch_files, run_inspection, start_inspection
    from caseflow.organizations.models import Organization, Program

    session = db.session
    agency = session.scalars(sa.select(Organization).where(Organization.code == agency_code)).one_or_none()
    if agency is None:
        raise click.ClickException(f"組織コード {agency_code} の組織がありません。")
    program = session.scalars(sa.select(Program).where(Program.code == program_code)).one_or_none()
    if program is None:
        raise click.ClickException(f"事務コード {program_code} の事務がありません。")
    instance = current_app.instance_path
    try:
        batch = start_inspection(session, None, agency=agency, program=program,
                                 records=(records.name, records.read_bytes()),
                                 registry=(registry.name, registry.read_bytes()), instance_path=instance)
        batch_id = batch.id

        def progress(done: int, total: int, message: str) -> None:
            click.echo(f"[{done}/{total}] {message}", err=True)

        run_inspection(session, batch, instance_path=instance, progress=progress)
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    except BaseException:
        session.rollback()
        if "batch_id" in locals():
            discard_batch_files(instance, batch_id)
        raise
    if batch.status is BatchStatus.REFUSED:
        lines = [f"点検番号 {batch.id}: {batch.error}"]
        lines += [f"  {p['file']} {p['row']}行目 {p['column'] or '-'}：{p['problem']}" for p in batch.problems[:200]]
        raise click.ClickException("\n".join(lines))
    click.echo(
        f"点検番号 {batch.id}: {batch.records_inspected:,}件（A {batch.count_a:,} / B {batch.count_b:,} / "
        f"C {batch.count_c:,}）。案件 {batch.cases_opened:,}件を登録、既存 {batch.cases_already_open:,}件。"
    )
