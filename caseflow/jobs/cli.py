"""``caseflow worker``: runs the jobs waiting in the queue."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="同時に実行する処理の数。")
@with_appcontext
def worker(workers: int) -> None:
    """バックグラウンド処理のワーカーを起動します（Ctrl+C で、実行中の処理の終了を待って停止）。"""
    from caseflow.jobs.queue import create_consumer, describe_queue, job_kinds, recover_interrupted_jobs

    app = current_app._get_current_object()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s")
    if workers > 1 and app.config["DATABASE_URL"].startswith("sqlite"):
        click.echo("注意: SQLite のデータベースには同時に1つの処理しか書き込めません。--workers は 1 をお勧めします。",
                   err=True)
    requeued = recover_interrupted_jobs(app)
    if requeued:
        click.echo(f"中断されていた処理 {len(requeued)}件を、もう一度実行します（処理番号 {', '.join(map(str, requeued))}）。")
    consumer = create_consumer(app, workers=workers)
    click.echo(f"ワーカーを起動しました: {describe_queue(app)}、同時実行 {workers}。"
               f"処理の種類: {', '.join(sorted(job_kinds()))}")
    consumer.run()
    click.echo("ワーカーを停止しました。")
