"""The ``caseflow`` command: Flask's CLI bound to create_app(), plus db, seed and users."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup

from caseflow import ROOT, create_app
from caseflow.jobs.cli import worker

# Alembic is imported where a command needs it: `caseflow grade`, which needs no
# database, should not wait for it at every start.


def alembic_config(database_url: str):
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False,
             help="CaseFlow: マイナンバー紐付け誤りの案件管理。")
def main() -> None:
    pass


main.add_command(worker)


@main.command("serve")
@click.option("--bind", default=None, help="待ち受けるアドレス（既定: CASEFLOW_BIND または 127.0.0.1:8000）")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="プロセス数（既定: コア数、2以上）")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="プロセスごとのスレッド数（既定: 4）")
def serve(bind: str | None, workers: int | None, threads: int | None) -> None:
    """本番用のWebサーバー（gunicorn）を起動します。SIGHUP で無停止の再読み込み、SIGTERM で停止します。"""
    import os

    from caseflow.serving.server import run, sizing

    size = sizing(workers=workers, threads=threads)
    address = bind or os.environ.get("CASEFLOW_BIND") or "127.0.0.1:8000"
    click.echo(f"CaseFlow を {address} で起動します（{size.workers}プロセス × {size.threads}スレッド）。")
    run(address, size)


@main.group()
def db() -> None:
    """データベースの移行（Alembic）。"""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from alembic import command as alembic_command

    alembic_command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"データベースを {revision} まで更新しました。")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. -1 or base)."""
    from alembic import command as alembic_command

    alembic_command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"データベースを {revision} まで戻しました。")


@db.command()
def current() -> None:
    """Show the revision the database is at."""
    from alembic import command as alembic_command

    alembic_command.current(alembic_config(current_app.config["DATABASE_URL"]))


@db.command()
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def revision(message: str, autogenerate: bool) -> None:
    """Create a new migration file (date-prefixed)."""
    from alembic import command as alembic_command

    alembic_command.revision(alembic_config(current_app.config["DATABASE_URL"]), message=message,
                             autogenerate=autogenerate)


@main.command("backup")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="バックアップを置くフォルダ")
def backup_command(out_dir: str) -> None:
    """Back up the database and the stored files (caseflow.core.storage) into one archive (keys are not included)."""
    from caseflow.core.backup import backup
    from caseflow.core.storage import files_root
    from caseflow.errors import DomainError

    try:
        path = backup(current_app.config["DATABASE_URL"], files_root(), out_dir)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"バックアップを作成しました: {path}")


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="確認せずに復元する")
def restore_command(archive: str, yes: bool) -> None:
    """Replace the database and the stored files (caseflow.core.storage) with a backup; stop the web server and workers first."""
    from caseflow.core.backup import restore
    from caseflow.core.storage import files_root
    from caseflow.errors import DomainError
    from caseflow.extensions import db as database

    if not yes:
        click.confirm("現在のデータベースとファイルをバックアップの内容で置き換えます。よろしいですか？", abort=True)
    database.engine.dispose()  # no connection of ours may hold the database while it is replaced
    try:
        manifest = restore(archive, current_app.config["DATABASE_URL"], files_root())
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"復元しました（作成 {manifest['created_at']}、スキーマ {manifest['revision']}）。"
               "古いスキーマの場合は caseflow db upgrade を実行してください。")


@main.group()
def seed() -> None:
    """参照データとデモデータの投入。"""


@seed.command("reference")
def seed_reference() -> None:
    """Load programs and organisations (idempotent)."""
    from caseflow.extensions import db as database
    from caseflow.seeding import load_reference
    from caseflow.surveys.reference import load_survey_reference

    summary = load_reference(database.session)
    survey, respondents = load_survey_reference(database.session, summary)
    database.session.commit()
    click.echo(summary.describe())
    click.echo(f"実態調査：{survey.title}（回答する団体 {respondents:,}）")


@seed.command("demo")
def seed_demo() -> None:
    """Load reference data, demo users and demo cases (idempotent)."""
    from caseflow.extensions import db as database
    from caseflow.seeding import load_demo

    summary = load_demo(database.session)
    database.session.commit()
    click.echo(summary.describe())


@main.group()
def users() -> None:
    """利用者の管理。"""


@users.command("create")
@click.option("--login", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--organization", "organization_code", required=True, help="組織コード")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["caseworker", "supervisor", "ministry_officer", "digital_agency_officer",
                                 "administrator"]))
@click.password_option()
def users_create(login: str, display_name: str, organization_code: str, roles: tuple[str, ...],
                 password: str) -> None:
    """Create a user (the password is asked for, never passed on the command line)."""
    import sqlalchemy as sa

    from caseflow.errors import DomainError
    from caseflow.extensions import db as database
    from caseflow.organizations.models import Organization
    from caseflow.users.models import Role
    from caseflow.users.operations import create_user

    organization = database.session.scalars(
        sa.select(Organization).where(Organization.code == organization_code)).one_or_none()
    if organization is None:
        raise click.ClickException(f"組織コード {organization_code} の組織がありません。")
    try:
        create_user(database.session, login=login, display_name=display_name, organization=organization,
                    roles={Role(r) for r in roles}, password=password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    database.session.commit()
    click.echo(f"利用者 {login} を作成しました。")


@users.command("reset-second-factor")
@click.option("--login", required=True)
def users_reset_second_factor(login: str) -> None:
    """Forget a user's TOTP key (a lost phone) and unlock the account: they enrol again at their next login."""
    import sqlalchemy as sa

    from caseflow.extensions import db as database
    from caseflow.users.models import User
    from caseflow.users.operations import login_succeeded, reset_second_factor

    user = database.session.scalars(sa.select(User).where(User.login == login)).one_or_none()
    if user is None:
        raise click.ClickException(f"ログインID {login} の利用者がいません。")
    reset_second_factor(database.session, user)
    login_succeeded(database.session, user)  # a lock-out from wrong codes ends too
    database.session.commit()
    click.echo(f"利用者 {login} の確認コードの設定を取り消しました。次回のログインで設定し直します。")


@users.command("token")
@click.option("--login", required=True)
@click.option("--name", "token_name", required=True, help="トークンの名前（用途）")
def users_token(login: str, token_name: str) -> None:
    """Issue an API token for a user; the token is printed once, alone on standard output."""
    import sqlalchemy as sa

    from caseflow.api.operations import issue_token
    from caseflow.errors import DomainError
    from caseflow.extensions import db as database
    from caseflow.users.models import User

    user = database.session.scalars(sa.select(User).where(User.login == login)).one_or_none()
    if user is None:
        raise click.ClickException(f"ログインID {login} の利用者がいません。")
    try:
        token, plaintext = issue_token(database.session, user, token_name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    database.session.commit()
    # The explanation goes to stderr, so that `TOKEN=$(caseflow users token …)` captures the token only.
    click.echo(f"利用者 {login} の APIトークン「{token.name}」を発行しました（先頭 {token.prefix}）。"
               "この表示は一度だけです。安全な場所に保管してください。", err=True)
    click.echo(plaintext)


def _register_area_commands() -> None:
    from caseflow.audit.cli import audit
    from caseflow.cases.cli import cases, search
    from caseflow.crypto.cli import keys
    from caseflow.inspections.cli import inspect_command
    from caseflow.intake.cli import import_command
    from caseflow.letters.cli import letters
    from caseflow.matching.cli import grade_command
    from caseflow.reports.cli import report
    from caseflow.retention.cli import retention
    from caseflow.surveys.cli import survey

    main.add_command(audit)
    cases.add_command(import_command)  # caseflow cases import: cases opened by hand from a list
    main.add_command(cases)
    main.add_command(grade_command)
    main.add_command(inspect_command)
    main.add_command(keys)
    main.add_command(letters)
    main.add_command(report)
    main.add_command(retention)
    main.add_command(search)
    main.add_command(survey)


_register_area_commands()
