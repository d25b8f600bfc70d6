"""``caseflow retention``: retention periods, the purge (run daily from cron) and the disposal records."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import with_appcontext

from caseflow.core.storage import files_root


@click.group("retention")
def retention() -> None:
    """個人情報の保存期間と廃棄（PPC 安全管理措置：削除・廃棄）。"""


@retention.command("rules")
@with_appcontext
def rules_command() -> None:
    """List each program's retention period."""
    from caseflow.extensions import db
    from caseflow.retention.operations import retention_rules

    for rule in retention_rules(db.session, current_app.config["RETENTION_YEARS"]):
        click.echo(rule.text)


@retention.command("set")
@click.option("--program", "program_code", required=True, help="事務のコード（例 disability-handbook）")
@click.option("--years", required=True, help="保存年数（1以上）。default で既定の期間に戻します")
@with_appcontext
def set_command(program_code: str, years: str) -> None:
    """Set one program's retention period (or go back to the installation's default)."""
    import sqlalchemy as sa

    from caseflow.core.params import parse_count
    from caseflow.extensions import db
    from caseflow.organizations.models import Program

    program = db.session.scalars(sa.select(Program).where(Program.code == program_code)).one_or_none()
    if program is None:
        raise click.ClickException(f"事務コード「{program_code}」が見つかりません。")
    if years == "default":
        program.retention_years = None
    else:
        number = parse_count(years)
        if not number:
            raise click.ClickException("保存年数は1以上の半角数字で指定してください（既定に戻すには default）。")
        program.retention_years = number
    db.session.commit()
    shown = program.retention_years or f"{current_app.config['RETENTION_YEARS']}（既定）"
    click.echo(f"{program.name} の保存期間を {shown}年にしました。")


@retention.command("purge")
@click.option("--dry-run", is_flag=True, help="廃棄の対象を数えるだけで、何も削除しません")
@click.option("--date", "on_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="この日に行ったものとして判定します（既定は今日、日本時間）")
@click.option("--batch", type=click.IntRange(min=1), default=500, show_default=True, help="1回に確定する案件数")
@with_appcontext
def purge_command(dry_run: bool, on_date: dt.datetime | None, batch: int) -> None:
    """Delete the personal data of closed cases whose retention period has passed (run daily)."""
    from caseflow.core.japanese import today_jst
    from caseflow.db import reclaim_deleted_space
    from caseflow.extensions import db
    from caseflow.retention.operations import clear_print_run_files, purge

    today = on_date.date() if on_date else today_jst()
    summary = purge(db.session, today=today, default_years=current_app.config["RETENTION_YEARS"],
                    dry_run=dry_run, batch=batch, commit=db.session.commit)
    if dry_run:
        db.session.rollback()
        for rule, count in summary.cases.items():
            click.echo(f"{rule}：案件 {count:,}件、通知文書 {summary.letters.get(rule, 0):,}件が廃棄の対象です。")
        click.echo(f"試行のみ（--dry-run）：何も削除していません。対象の案件は合計 {summary.total_cases:,}件です。")
        return
    db.session.commit()
    removed = clear_print_run_files(db.session, files_root())
    db.session.remove()
    if summary.total_cases:
        reclaim_deleted_space(db.engine, ("cases", "corrections", "letters", "case_search_keys"))
    for rule, count in summary.cases.items():
        click.echo(f"{rule}：案件 {count:,}件、通知文書 {summary.letters.get(rule, 0):,}件の個人情報を廃棄しました。")
    click.echo(f"廃棄した案件は合計 {summary.total_cases:,}件、印刷ファイルを削除した印刷は {removed:,}件です。"
               "記録は caseflow retention export で出力できます。")


@retention.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="出力するCSVファイル")
@with_appcontext
def export_command(out: str) -> None:
    """Write every disposal record as CSV (UTF-8 with BOM, for Excel)."""
    import csv

    from caseflow.core.cells import safe_cell
    from caseflow.extensions import db
    from caseflow.retention.operations import EXPORT_HEADER, export_rows

    count = 0
    with open(out, "w", encoding="utf-8-sig", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(EXPORT_HEADER)
        for row in export_rows(db.session):
            writer.writerow([safe_cell(value) for value in row])
            count += 1
    click.echo(f"廃棄の記録 {count:,}件を {out} に出力しました。")
