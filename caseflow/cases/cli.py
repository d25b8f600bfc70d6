"""Command line for cases: the daily escalation of overdue cases to the supervisors; the search keys rebuilt."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import with_appcontext


@click.group("cases")
def cases() -> None:
    """案件の期限管理。"""


@cases.command("escalate")
@click.option("--date", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="この日（YYYY-MM-DD）を今日として判定する（既定: 日本時間の今日）")
@with_appcontext
def escalate_command(today: dt.datetime | None) -> None:
    """Escalate every overdue open case to its supervisors, once per case (run it daily)."""
    from caseflow.cases.queue import escalate_overdue
    from caseflow.core.japanese import today_jst
    from caseflow.extensions import db

    day = today.date() if today else today_jst()
    count = escalate_overdue(db.session, today=day)
    db.session.commit()
    click.echo(f"{day.isoformat()} 時点で期限を過ぎた案件のうち、新たに{count:,}件を承認者へ通知しました。")


@click.group("search")
def search() -> None:
    """案件の検索用キー（氏名・カナ・生年月日の照合用ハッシュ）。"""


@search.command("reindex")
@click.option("--batch", type=click.IntRange(min=1), default=2000, show_default=True, help="1回に確定する案件数")
@with_appcontext
def reindex_command(batch: int) -> None:
    """Write every case's search keys again (after the normalisers changed; can be stopped and run again)."""
    from caseflow.cases.search import reindex
    from caseflow.extensions import db

    count = reindex(db.session, batch=batch, commit=db.session.commit)
    db.session.commit()
    click.echo(f"案件 {count:,}件の検索用キーを作り直しました。")
