"""Command line for reports: load published figures, print the per-program table, freeze a month end."""

from __future__ import annotations

import csv
import io
import sys

import click
from flask.cli import with_appcontext


@click.group("report")
def report() -> None:
    """点検結果の集計・公表値の取込・月末の集計。"""


@report.command("import-published")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dataset", default="2023", show_default=True, help="公表値の区分")
@with_appcontext
def import_published_command(path: str, dataset: str) -> None:
    """Load a published table (programs_2023_inspection.csv) as aggregate figures; all or nothing."""
    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.reports.published import import_published

    try:
        count = import_published(db.session, path, dataset)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"公表値（{dataset}）を{count}事務分取り込みました。")


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
@click.option("--month", default=None, help="対象の月（YYYY-MM）。既定: 今日が月末なら今月、それ以外は前月")
@with_appcontext
def snapshot_command(month: str | None) -> None:
    """Freeze the month-end figures (run from cron on the last day of the month, or after it)."""
    import datetime as dt

    from caseflow.core.japanese import today_jst
    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.reports.snapshots import month_end, parse_month, take_snapshot

    today = today_jst()
    try:
        if month:
            period = parse_month(month)
        else:
            period = today if month_end(today) == today else today.replace(day=1) - dt.timedelta(days=1)
        take_snapshot(db.session, None, period, today=today)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"{period.year}年{period.month}月末の集計を確定しました。")
