"""Command line for reports: load published figures, print the per-program table, freeze a month end."""

from __future__ import annotations

import csv
import io
import sys

import click
from flask.cli import with_appcontext

from caseflow import ROOT
from caseflow.reports import published_cli


@click.group("report")
def report() -> None:
    """点検結果の集計・公表値の取込・月末の集計。"""


@report.command("import-published")
@click.argument("path", type=click.Path(), default=str(ROOT / "seed"))
@click.option("--dataset", default="2023", show_default=True, help="公表値の区分")
@with_appcontext
def import_published_command(path: str, dataset: str) -> None:
    """Load published figures; all or nothing.

    PATH a directory (default: seed/): the per-program table (programs_2023_inspection.csv) and
    the other tables beside it (published_2023_*.csv). PATH a file: the per-program table alone.
    """
    from pathlib import Path

    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.reports.published import import_published
    from caseflow.reports.published_tables import import_published_dataset

    try:
        if Path(path).is_dir():
            counts = import_published_dataset(db.session, path, dataset)
        else:
            counts = {"programs": import_published(db.session, path, dataset)}
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"公表値（{dataset}）を{counts['programs']}事務分取り込みました。")
    if len(counts) > 1:
        click.echo(f"機関別 {counts['agencies']}行、注記の数字 {counts['notes']}件、点検支援ツールの判定 {counts['grades']}区分、"
                   f"試行実施 {counts['trial']}区分も取り込みました。")


@report.command("programs")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@click.option("--dataset", default=None, help="公表値の区分（例: 2023）。省略すると案件から集計した全国の数字")
@click.option("--layout", type=click.Choice(["published", "all"]), default="published", show_default=True,
              help="published: 誤りのない事務を「その他」にまとめる公表形式; all: すべての事務")
@with_appcontext
def programs_command(fmt: str, dataset: str | None, layout: str) -> None:
    """Print the per-program table (records inspected, linkage errors, rate, viewed, resolved)."""
    from caseflow.extensions import db
    from caseflow.reports import figures, published, tables

    if dataset:
        if dataset not in published.DATASETS:
            raise click.ClickException(f"公表値の区分 {dataset} はありません（{', '.join(published.DATASETS)}）。")
        lines = published.published_lines(db.session, dataset)
        if not lines:
            raise click.ClickException(
                f"公表値（{dataset}）はまだ取り込まれていません: caseflow report import-published FILE")
        total = tables.total(lines)
    else:
        grains = figures.live_grains(db.session, None)
        causes = figures.live_causes(db.session, None)
        lines = figures.program_lines(figures.programs_in_scope(db.session, None, grains), grains, causes)
        total = figures.grand_total(lines, grains)
    shown = tables.published_layout(lines) if layout == "published" else lines
    if fmt == "csv":
        from caseflow.reports import exports

        sys.stdout.write(exports.programs_csv(shown, total))
        return
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(["事務", "点検対象件数", "紐付け誤り件数", "割合", "閲覧された件数", "解消した件数"])
    for line in [*shown, total]:
        writer.writerow([line.label, line.records_text, line.errors_text, line.rate_text,
                         f"{line.viewed:,}件", f"{line.resolved:,}件"])
    click.echo(out.getvalue(), nl=False)


@report.command("snapshot")
@click.option("--month", default=None, help="対象の月（YYYY-MM）。既定: 前月（月末の時点の数字を確定します）")
@with_appcontext
def snapshot_command(month: str | None) -> None:
    """Freeze the figures as of a month's end (cron just after midnight on the 1st: the month before)."""
    import datetime as dt

    from caseflow.core.japanese import today_jst
    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.reports.snapshots import parse_month, take_snapshot

    try:
        period = parse_month(month) if month else today_jst().replace(day=1) - dt.timedelta(days=1)
        take_snapshot(db.session, None, period)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"{period.year}年{period.month}月末の集計を確定しました。")


@report.command("estimate")
@click.option("--dataset", type=click.Choice(["2023"]), default=None,
              help="2023: 健康保険証の試行実施後の見込み（①2,779件・②約139万件）。省略すると案件から、事務ごとに")
@with_appcontext
def estimate_command(dataset: str | None) -> None:
    """Print the expected remaining errors with their 95% interval and where the numbers come from."""
    from caseflow.reports import estimate as model

    def print_estimate(title: str, result: model.Estimate) -> None:
        click.echo(title)
        for x in result.lines:
            click.echo(f"  {x.label}：未確認{x.unverified:,}件 × 推定した率{x.rate_text} = "
                       f"{x.expected_text}（{x.interval_text}）")
            click.echo(f"    根拠：{x.source}")
            if x.conflict:
                click.echo("    注意：確認結果が試行の率と大きく異なります。見込みは試行の率に引き寄せられています。")
        click.echo(f"  合計：未確認{result.unverified:,}件 → {result.text}")

    if dataset:
        print_estimate("2023年 健康保険証の試行実施後に残った不一致（CaseFlowでの確認なし）", model.trial_2023())
        click.echo(f"  公表された推計値：{model.TRIAL_PUBLISHED_2023}")
        return

    import sqlalchemy as sa

    from caseflow.extensions import db
    from caseflow.organizations.models import Program
    from caseflow.reports import figures

    grains = figures.live_grains(db.session, None)
    result = figures.estimate(grains)
    names = dict(db.session.execute(sa.select(Program.id, Program.name)).all())
    for program in result.programs:
        print_estimate(f"{names.get(program.program_id, program.program_id)}（この事務の確認結果で更新）",
                       program.estimate)
    print_estimate("全国（全事務の確認結果で更新。事務ごとの見込みの和とは一致しません）", result)


published_cli.register(report)  # institutions, detail, agencies, notes, support-tool, trial
