"""`caseflow letters sample` (a letter from built-in sample data) and `caseflow letters run` (a print run)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from flask.cli import with_appcontext

from caseflow.core.storage import files_root
from caseflow.letters.kinds import CLI_KINDS


@click.group("letters")
def letters() -> None:
    """通知文書（見本の出力、印刷データの作成）。"""


@letters.command("sample")
@click.option("--kind", "kind", required=True, type=click.Choice(list(CLI_KINDS)), help="文書の種類")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="出力する PDF")
def sample(kind: str, out: Path) -> None:
    """Render a letter of KIND from built-in sample data (for designers and checks), no database."""
    from caseflow.letters.render import render_letter
    from caseflow.letters.samples import sample_snapshot

    rendered = render_letter(sample_snapshot(CLI_KINDS[kind]))
    out.write_bytes(rendered.pdf)
    state = "印刷前の確認：問題なし" if not rendered.problems else "印刷前の確認：" + " ".join(rendered.problems)
    click.echo(f"{out}（{rendered.pages}ページ、{len(rendered.pdf) / 1024:.0f} KB）{state}", err=True)
    if rendered.problems:
        raise SystemExit(1)


@letters.command("run")
@click.option("--agency", "agency_code", required=True, help="紐付け実施機関の組織コード")
@click.option("--program", "program_code", default=None, help="事務のコード（省略時はすべて）")
@click.option("--kind", "kind", default=None, type=click.Choice(list(CLI_KINDS)), help="文書の種類（省略時はすべて）")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="印刷用 PDF・送付一覧・表紙を書き出すフォルダ")
@with_appcontext
def run(agency_code: str, program_code: str | None, kind: str | None, out: Path) -> None:
    """Build a print run of the agency's issued, not yet printed letters, and copy its files to --out."""
    import sqlalchemy as sa

    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.letters.models import LetterKind
    from caseflow.letters.operations import PRINT_RUN_FILES, build_print_run, create_print_run, print_run_directory
    from caseflow.organizations.models import Organization, Program

    session = db.session
    agency = session.scalars(sa.select(Organization).where(Organization.code == agency_code)).one_or_none()
    if agency is None:
        raise click.ClickException(f"組織コード {agency_code} の組織がありません。")
    program = None
    if program_code:
        program = session.scalars(sa.select(Program).where(Program.code == program_code)).one_or_none()
        if program is None:
            raise click.ClickException(f"事務コード {program_code} の事務がありません。")

    def progress(done: int, total: int, message: str) -> None:
        click.echo(f"[{done}/{total}] {message}", err=True)

    try:
        print_run = create_print_run(session, None, organization=agency, program=program,
                                     kind=LetterKind(CLI_KINDS[kind]) if kind else None)
        build_print_run(session, print_run, root=files_root(), progress=progress)
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    out.mkdir(parents=True, exist_ok=True)
    source = print_run_directory(files_root(), print_run.id)
    for filename in PRINT_RUN_FILES.values():
        shutil.copyfile(source / filename, out / filename)
    held = f"、保留 {print_run.held_count}通" if print_run.held_count else ""
    click.echo(f"印刷 {print_run.id}: {print_run.letters_count - print_run.held_count:,}通"
               f"（{print_run.pages_count:,}ページ{held}）→ {out}")
