"""``caseflow keys``: which key encrypts how many values, and key rotation."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("keys")
def keys() -> None:
    """暗号化鍵の管理（個人番号・住民基本台帳の情報の保存時の暗号化）。"""


def _key_label(kid: str, keyring) -> str:
    from caseflow.crypto.rotation import PLAINTEXT

    if kid == PLAINTEXT:
        return "暗号化されていない値"
    if kid == keyring.current_kid:
        return f"鍵 {kid}（現在の鍵）"
    if keyring.aead(kid) is None:
        return f"鍵 {kid}（設定にない鍵）"
    return f"鍵 {kid}"


@keys.command("status")
@with_appcontext
def status_command() -> None:
    """Show how many stored values each key id encrypts, column by column (never a value or a key)."""
    from caseflow.crypto.keys import current_keyring
    from caseflow.crypto.rotation import key_usage
    from caseflow.extensions import db

    keyring = current_keyring()
    usage = key_usage(db.session)
    click.echo(f"現在の鍵: {keyring.current_kid}（設定されている鍵: {', '.join(keyring.kids)}）")
    stale = 0
    for column, by_kid in usage.items():
        parts = [f"{_key_label(kid, keyring)} {count:,}件"
                 for kid, count in sorted(by_kid.items(), key=lambda item: (item[0] != keyring.current_kid, item[0]))]
        click.echo(f"  {column}: {'、'.join(parts) if parts else '値なし'}")
        stale += sum(count for kid, count in by_kid.items() if kid != keyring.current_kid)
    if stale:
        click.echo(f"現在の鍵以外で保存されている値が {stale:,}件あります。caseflow keys rotate で暗号化し直してください。")
    else:
        click.echo("すべての値が現在の鍵で暗号化されています。")


@keys.command("rotate")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(min=1),
              help="1回にまとめて暗号化し直してコミットする行数")
@with_appcontext
def rotate_command(batch: int) -> None:
    """Re-encrypt every stored value not under the current key, committing each batch (safe to stop and rerun)."""
    from caseflow.crypto.keys import current_keyring
    from caseflow.crypto.rotation import rotate, stale_values
    from caseflow.crypto.types import DecryptionError
    from caseflow.extensions import db

    keyring = current_keyring()
    click.echo(f"現在の鍵 {keyring.current_kid} で暗号化し直します（{batch:,}行ごとにコミット）。")

    def report(table: str, done: int, total: int) -> None:
        click.echo(f"  {table}: {done:,} / {total:,}行")

    try:
        rows = rotate(db.session, batch=batch, keyring=keyring, progress=report)
    except DecryptionError as exc:
        db.session.rollback()
        raise click.ClickException(
            f"復号できない値があるため中止しました（{exc}）。その値を暗号化した鍵を CASEFLOW_ENCRYPTION_KEYS に"
            "残したまま、もう一度実行してください。それまでにコミットした分は暗号化し直されています。") from None
    left = stale_values(db.session, keyring)
    click.echo(f"{rows:,}行を暗号化し直しました。")
    if left:
        click.echo(f"現在の鍵以外の値がまだ {left:,}行あります。古い設定のまま動いているサーバーやワーカーがあれば"
                   "新しい鍵の設定で再起動し、もう一度実行してください。")
    else:
        click.echo("すべての値が現在の鍵で暗号化されています。古い鍵は設定から外せます。")
