"""Command line: run an inspection batch (grading without a database is caseflow.matching.cli)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from caseflow.core.storage import files_root


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
    instance = files_root()
    try:
        with open(records, "rb") as records_file, open(registry, "rb") as registry_file:
            batch = start_inspection(session, None, agency=agency, program=program,
                                     records=(records.name, records_file), registry=(registry.name, registry_file),
                                     root=instance)
        batch_id = batch.id

        def progress(done: int, total: int, message: str) -> None:
            click.echo(f"[{done}/{total}] {message}", err=True)

        run_inspection(session, batch, root=instance, progress=progress)
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
