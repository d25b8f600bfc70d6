"""Command line for access records: verify the hash chain, export the records for an audit."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("audit")
def audit() -> None:
    """アクセス記録（個人番号の表示記録）の検証と出力。"""


@audit.command("verify")
@with_appcontext
def verify_command() -> None:
    """Check every access record against the hash chain; exit 1 at the first record that does not fit."""
    from caseflow.audit.operations import verify_chain
    from caseflow.extensions import db

    result = verify_chain(db.session)
    if not result.ok:
        raise click.ClickException(
            f"アクセス記録の検証に失敗しました：{result.broken_at}番目の記録 — {result.reason}"
            f"（それより前の{result.records:,}件は正常）")
    click.echo(f"アクセス記録 {result.records:,}件を検証しました。改ざんは見つかりませんでした。")


@audit.command("export")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="出力するCSVファイル")
@with_appcontext
def export_command(out: str) -> None:
    """Write every access record (never the number itself) as CSV for an auditor."""
    import csv

    import sqlalchemy as sa

    from caseflow.audit.models import AccessRecord
    from caseflow.audit.operations import WHAT_LABELS
    from caseflow.core.japanese import jst
    from caseflow.core.mynumber import mask_my_numbers
    from caseflow.extensions import db
    from caseflow.users.models import User

    logins = dict(db.session.execute(sa.select(User.id, User.login)).all())
    count = 0
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["番号", "日時", "利用者", "案件", "表示した情報", "目的", "接続元", "前の記録のハッシュ",
                         "この記録のハッシュ"])
        for record in db.session.scalars(sa.select(AccessRecord).order_by(AccessRecord.position)
                                         .execution_options(yield_per=5000)):
            writer.writerow([record.position, jst(record.occurred_at), logins.get(record.user_id, ""),
                             f"CF-{record.case_id:07d}" if record.case_id is not None else "", WHAT_LABELS.get(record.what, record.what),
                             # Purposes stored before free text was masked at input may hold a number.
                             mask_my_numbers(record.purpose),
                             record.remote_addr or "", record.previous_hash, record.row_hash])
            count += 1
    click.echo(f"アクセス記録 {count:,}件を {out} に出力しました。")
