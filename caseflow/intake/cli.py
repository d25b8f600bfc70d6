"""Command line: open cases by hand from a list (caseflow cases import), as the 一覧から登録 page does."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from caseflow.cases.vocabulary import CaseSource

_SOURCES = [s.value for s in CaseSource if s is not CaseSource.INSPECTION]


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", required=True, help="紐付け実施機関の組織コード（--user の組織）")
@click.option("--program", "program_code", required=True, help="事務のコード（caseflow seed reference で登録）")
@click.option("--source", type=click.Choice(_SOURCES), required=True, help="発見の経緯")
@click.option("--source-other", default=None, help="発見の経緯の内容（--source other のときは必須）")
@click.option("--user", "login", required=True, help="登録する職員のログインID（担当職員または承認者）")
@click.option("--confirm-duplicates", is_flag=True, help="重複の可能性を確認したうえで登録する")
@with_appcontext
def import_command(file: Path, agency_code: str, program_code: str, source: str, source_other: str | None,
                   login: str, confirm_duplicates: bool) -> None:
    """Open a case by hand for every row of FILE (CSV or .xlsx), or none: every problem is listed by row."""
    import sqlalchemy as sa

    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.intake.bulk import LIST_MAX_BYTES, ListRefused, import_list
    from caseflow.organizations.models import Organization, Program
    from caseflow.users.models import User

    session = db.session
    user = session.scalars(sa.select(User).where(User.login == login, User.active)).one_or_none()
    if user is None:
        raise click.ClickException(f"ログインID {login} の利用者がいません（または無効です）。")
    agency = session.scalars(sa.select(Organization).where(Organization.code == agency_code)).one_or_none()
    if agency is None:
        raise click.ClickException(f"組織コード {agency_code} の組織がありません。")
    if user.organization_id != agency.id:
        raise click.ClickException(f"利用者 {login} は{agency.name}の職員ではありません。")
    program = session.scalars(sa.select(Program).where(Program.code == program_code)).one_or_none()
    if program is None:
        raise click.ClickException(f"事務コード {program_code} の事務がありません。")
    with open(file, "rb") as handle:
        data = handle.read(LIST_MAX_BYTES + 1)
    try:
        opened = import_list(session, user, program=program, source=CaseSource(source), source_other=source_other,
                             data=data, filename=file.name, confirm_duplicates=confirm_duplicates)
        session.commit()
    except ListRefused as refused:
        session.rollback()
        lines = [refused.message] + [f"  {p.row}行目 {p.column or '-'}：{p.problem}" for p in refused.problems]
        raise click.ClickException("\n".join(lines)) from None
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    first, last = opened[0][1].reference, opened[-1][1].reference
    click.echo(f"{agency.name}・{program.name}：{len(opened):,}件の案件を登録しました（{first}〜{last}、"
               f"発見の経緯：{CaseSource(source).label}）。")
