"""Command line for surveys: import answers, list the obligations, remind, hand out a form.

    caseflow survey import FILE [--survey CODE]     a filled Excel form, or a list (.xlsx/.csv), all or nothing
    caseflow survey obligations [--format text|csv] one row per (organisation, program): 点検 要/不要 and why
    caseflow survey status [--survey CODE]          未回答 / 回答中 / 提出済 per prefecture
    caseflow survey remind [--survey CODE]          a reminder in every unanswered respondent's inbox
    caseflow survey form --organization CODE --out FILE   the Excel form of one respondent
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

import click
from flask.cli import with_appcontext

IMPORT_MAX_BYTES = 50 * 1024**2  # a national list of ~1,800 rows is well below it


@click.group("survey")
def survey() -> None:
    """実態調査（回答の取込、点検義務の一覧、督促）。"""


def _survey(session, code: str | None):
    import sqlalchemy as sa

    from caseflow.surveys.models import Survey
    from caseflow.surveys.operations import latest_open_survey

    if code:
        found = session.scalars(sa.select(Survey).where(Survey.code == code)).one_or_none()
        if found is None:
            raise click.ClickException(f"調査コード {code} の調査がありません。")
        return found
    found = latest_open_survey(session)
    if found is None:
        raise click.ClickException("受付中の調査がありません（caseflow seed reference で調査を登録します）。")
    return found


@survey.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--survey", "survey_code", default=None, help="調査コード（省略時：受付中の最新の調査）")
@with_appcontext
def import_command(file: Path, survey_code: str | None) -> None:
    """Take the answers of FILE: every row or none; each problem is listed with its row and 項番."""
    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.surveys.operations import AnswersRefused, import_file

    session = db.session
    target = _survey(session, survey_code)
    with open(file, "rb") as handle:
        data = handle.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise click.ClickException("ファイルが大きすぎます（50 MBまで）。")
    try:
        taken = import_file(session, None, target, data, file.name)
        session.commit()
    except AnswersRefused as refused:
        session.rollback()
        lines = [f"{file.name} は取り込みませんでした（何も保存していません）。"]
        lines += [f"  {p}" for p in refused.problems]
        raise click.ClickException("\n".join(lines)) from None
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"「{target.title}」：{taken}団体の回答を提出済として取り込みました。")


@survey.command("obligations")
@click.option("--survey", "survey_code", default=None, help="調査コード（省略時：すべての調査）")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)
@with_appcontext
def obligations_command(survey_code: str | None, fmt: str) -> None:
    """One row per (organisation, program) whose answers were submitted: 点検 要 or 不要, and the reasons."""
    from caseflow.extensions import db
    from caseflow.surveys import obligations
    from caseflow.surveys.obligations import OBLIGATION_COLUMNS, obligation_row

    session = db.session
    target = _survey(session, survey_code) if survey_code else None
    states = obligations.progress(session, obligations.visible_obligations(session, None, survey=target))
    rows = [obligation_row(s) for s in states]
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(OBLIGATION_COLUMNS)
        writer.writerows(rows)
        return
    if not rows:
        click.echo("点検義務はまだありません（提出済の回答がありません）。")
        return
    for row in rows:
        click.echo(f"{row[1]} {row[2]}｜{row[3]}｜点検 {row[4]}" + (f"（{row[5]}・期限 {row[6]}・{row[7]}）" if row[4] == "要"
                                                                else "") + (f"｜{row[9]}" if row[9] else ""))
    required = sum(1 for r in rows if r[4] == "要")
    click.echo(f"計 {len(rows)}件（点検 要 {required}件・不要 {len(rows) - required}件）")


@survey.command("status")
@click.option("--survey", "survey_code", default=None, help="調査コード（省略時：受付中の最新の調査）")
@with_appcontext
def status_command(survey_code: str | None) -> None:
    """未回答 / 回答中 / 提出済, per prefecture (the ministry's view)."""
    import sqlalchemy as sa

    from caseflow.core.japanese import jst
    from caseflow.extensions import db
    from caseflow.organizations.models import Organization
    from caseflow.surveys.models import ResponseStatus, SurveyRespondent

    session = db.session
    target = _survey(session, survey_code)
    counts: dict[str, Counter] = {}
    for prefecture, status in session.execute(
            sa.select(Organization.prefecture, SurveyRespondent.status).join(SurveyRespondent.organization)
            .where(SurveyRespondent.survey_id == target.id).order_by(Organization.code)):
        counts.setdefault(prefecture or "—", Counter())[status] += 1  # in the order of the codes: 北海道 first
    click.echo(f"「{target.title}」（回答期限 {jst(target.deadline)}）")
    for prefecture, counter in counts.items():
        click.echo(f"{prefecture}：" + "／".join(f"{s.label} {counter[s]}" for s in ResponseStatus))


@survey.command("remind")
@click.option("--survey", "survey_code", default=None, help="調査コード（省略時：受付中の最新の調査）")
@with_appcontext
def remind_command(survey_code: str | None) -> None:
    """A reminder in the inbox of every respondent that has not submitted (once a day at most)."""
    from caseflow.errors import DomainError
    from caseflow.extensions import db
    from caseflow.surveys.operations import remind

    session = db.session
    target = _survey(session, survey_code)
    try:
        sent = remind(session, None, target)
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"{sent}団体の受信箱に督促を送りました。")


@survey.command("form")
@click.option("--survey", "survey_code", default=None, help="調査コード（省略時：受付中の最新の調査）")
@click.option("--organization", "organization_code", required=True, help="回答する団体の組織コード")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def form_command(survey_code: str | None, organization_code: str, out: Path) -> None:
    """The Excel form (回答票) of one respondent, with what it has saved."""
    import sqlalchemy as sa

    from caseflow.extensions import db
    from caseflow.organizations.models import Organization
    from caseflow.surveys import workbook
    from caseflow.surveys.models import SurveyRespondent
    from caseflow.surveys.operations import questionnaire_of, sheet_of

    session = db.session
    target = _survey(session, survey_code)
    respondent = session.scalars(sa.select(SurveyRespondent).join(SurveyRespondent.organization).where(
        SurveyRespondent.survey_id == target.id, Organization.code == organization_code)).one_or_none()
    if respondent is None:
        raise click.ClickException(f"組織コード {organization_code} はこの調査の回答者ではありません。")
    body = workbook.respondent_workbook(questionnaire_of(respondent), respondent.kind, sheet_of(respondent),
                                        dict(respondent.answers), title=target.title)
    out.write_bytes(body)
    click.echo(f"{respondent.organization.name}の回答票を {out} に書き出しました。")
