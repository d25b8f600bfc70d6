"""Retention and disposal: once a closed case has outlived its period, its people's facts, its letters'
copies and its print runs' files are deleted, from the database file and its dump too; the case,
its timeline and every report figure stay; each deletion is recorded and exported."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from caseflow.cases import operations
from caseflow.cases.models import Case, CaseEvent
from caseflow.cases.vocabulary import CaseStatus, NotificationMethod, Party
from caseflow.cli import main
from caseflow.core.japanese import today_jst
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.letters import operations as letters
from caseflow.letters.models import Letter, LetterKind, LetterStatus, PrintRun, Recipient
from caseflow.organizations.models import Organization
from caseflow.retention.models import Disposal
from caseflow.retention.operations import RetentionRule, due_case_ids, purge, retention_rules, years_before
from tests.conftest import login
from tests.letters.test_flow import LETTERHEAD

# Written into the demo's notified cases before the purge: easy to find in a file's bytes.
MARK_NAME = "廃棄確認　花子"
MARK_ADDRESS = "青森県青森市廃棄確認町9番9号"


def _forms(text: str) -> list[bytes]:
    """How a text can sit in a database: UTF-8, and JSON's \\u escapes."""
    return [text.encode("utf-8"), json.dumps(text).strip('"').encode("ascii"),
            json.dumps(text).strip('"').lower().encode("ascii")]


def _database_bytes(app) -> bytes:
    """The database as it is on disk (SQLite: the file and its write-ahead log) or as pg_dump writes it."""
    url = make_url(app.config["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--no-owner", dsn], check=True, capture_output=True).stdout


def _contains(blob: bytes, text: str) -> bool:
    return any(form in blob for form in _forms(text))


def test_years_before_handles_the_leap_day():
    assert years_before(dt.date(2030, 6, 1), 5) == dt.date(2025, 6, 1)
    assert years_before(dt.date(2028, 2, 29), 5) == dt.date(2023, 2, 28)


def test_only_cases_closed_longer_ago_than_their_period_are_due(make_case, program, caseworker):
    today = today_jst()
    notified = make_case(CaseStatus.CORRECTED)
    operations.notify_case(notified, caseworker, notified_on=years_before(today, 5) - dt.timedelta(days=1),
                           notification_method=NotificationMethod.MAIL)
    on_the_day = make_case(CaseStatus.CORRECTED)
    operations.notify_case(on_the_day, caseworker, notified_on=years_before(today, 5),
                           notification_method=NotificationMethod.MAIL)
    recent = make_case(CaseStatus.NOTIFIED)
    dismissed = make_case(CaseStatus.FALSE)
    open_case = make_case(CaseStatus.VERIFYING)
    rule = next(r for r in retention_rules(db.session, 5) if r.program_id == program.id)
    assert rule.default and rule.years == 5
    assert due_case_ids(db.session, rule, today) == [notified.id]
    # A dismissal made today is due five years and a day from now; the open case never is.
    later = today + dt.timedelta(days=5 * 366 + 2)
    assert due_case_ids(db.session, rule, later) == [notified.id, on_the_day.id, recent.id, dismissed.id]
    assert open_case.id not in due_case_ids(db.session, rule, later)
    # A program's own, longer period keeps them.
    program.retention_years = 10
    assert due_case_ids(db.session, next(r for r in retention_rules(db.session, 5) if r.program_id == program.id),
                        today) == []


def test_dispose_keeps_the_case_figures_and_timeline(make_case, program, caseworker):
    case = make_case(CaseStatus.NOTIFIED)
    events = [(e.trigger, e.to_status) for e in case.events]
    before = (case.status, case.grade, dict(case.field_verdicts), case.cause, case.viewed_on_portal,
              case.birth_or_sex_mismatch, case.reference)
    summary = purge(db.session, today=today_jst() + dt.timedelta(days=6 * 366), default_years=5)
    assert summary.cases and summary.total_cases == 1
    db.session.expire_all()
    assert (case.status, case.grade, dict(case.field_verdicts), case.cause, case.viewed_on_portal,
            case.birth_or_sex_mismatch, case.reference) == before
    assert [(e.trigger, e.to_status) for e in case.events] == events
    assert case.registered_number is None and case.registered_number_digest is None
    assert case.record_name is None and case.registry_name is None and case.registry_birth_date is None
    assert case.facts_disposed_at is not None and case.masked_number == ""
    record = db.session.scalars(sa.select(Disposal).where(Disposal.case_id == case.id)).one()
    assert record.subject == "case" and "業務データの氏名" in record.what and "住民基本台帳の住所" in record.what
    assert record.rule == RetentionRule(program.id, program.name, 5, True).text
    # Nothing is disposed of twice.
    assert purge(db.session, today=today_jst() + dt.timedelta(days=6 * 366), default_years=5).total_cases == 0


def test_a_disposed_case_offers_no_number_and_no_letter_copy(client, make_case, caseworker, agency):
    agency.letterhead = dict(LETTERHEAD)
    case = make_case(CaseStatus.CORRECTED)
    letters.set_recipient(case, caseworker, party=Party.RECORD_PERSON, name="山田　太郎", postal_code="030-0801",
                          address="青森県青森市新町一丁目1番1号")
    # the holder's recipient too, though no letter went to them: it goes all the same
    letters.set_recipient(case, caseworker, party=Party.NUMBER_HOLDER, name="山田　次郎", postal_code="030-0802",
                          address="青森県青森市本町二丁目2番2号")
    letter = letters.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)
    purge(db.session, today=today_jst() + dt.timedelta(days=6 * 366), default_years=5)
    assert letter.pdf is None and letter.postal_code is None and letter.snapshot["recipient"] is None
    assert db.session.scalars(sa.select(Recipient).where(Recipient.case_id == case.id)).all() == []
    record = db.session.scalars(sa.select(Disposal).where(Disposal.case_id == case.id, Disposal.subject == "case")).one()
    assert "送付先（本人（業務データの本人）：郵便番号・住所・氏名）" in record.what
    assert "送付先（番号の保有者：郵便番号・住所・氏名）" in record.what
    assert letter.document_number and letter.sha256 and letter.status is LetterStatus.ISSUED
    with pytest.raises(DomainError, match="廃棄"):
        letters.reprint_letter(db.session, caseworker, letter)
    login(client, caseworker)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'id="facts-disposed"' in page and "控えは廃棄済み" in page
    assert "全桁を表示" not in page and "再印刷（PDF）" not in page
    assert "山田　太郎" not in page


def test_purge_from_the_command_line_on_the_demo(demo_app, backend, tmp_path):
    runner = demo_app.test_cli_runner()
    with demo_app.app_context():
        notified = db.session.scalars(sa.select(Case).where(Case.status == CaseStatus.NOTIFIED)
                                      .order_by(Case.id)).all()
        assert notified
        marked = notified[0]
        marked.record_name, marked.record_address = MARK_NAME, MARK_ADDRESS
        for party in Party:  # each of its people's recipient
            letters.recipient_of(marked, party).address = f"{MARK_ADDRESS}\n{party.label}"
        marked_id = marked.id
        aomori = db.session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        # A print run holding the demo's issued letters, its files in the instance folder.
        run = letters.create_print_run(db.session, None, organization=aomori)
        letters.build_print_run(db.session, run, root=demo_app.instance_path)
        run_id, run_folder = run.id, letters.print_run_directory(demo_app.instance_path, run.id)
        letter_ids = set(db.session.scalars(sa.select(Letter.id).where(Letter.case_id.in_([c.id for c in notified]))))
        closed_ids = set(db.session.scalars(sa.select(Case.id).where(
            Case.status.in_([CaseStatus.NOTIFIED, CaseStatus.FALSE]))))
        open_facts = dict(db.session.execute(sa.select(Case.id, Case.record_name).where(
            Case.status.not_in([CaseStatus.NOTIFIED, CaseStatus.FALSE]))).all())
        events = db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent))
        recipients_open = db.session.scalar(sa.select(sa.func.count()).select_from(Recipient).where(
            Recipient.case_id.not_in(closed_ids)))
        assert recipients_open and db.session.scalar(sa.select(sa.func.count()).select_from(Recipient).where(
            Recipient.case_id.in_(closed_ids)))
        db.session.commit()
        assert run_folder.exists() and letter_ids
    table_before = runner.invoke(main, ["report", "programs", "--format", "csv"]).output
    blob = _database_bytes(demo_app)
    assert _contains(blob, MARK_NAME) and _contains(blob, MARK_ADDRESS)  # the check can fail

    when = (today_jst() + dt.timedelta(days=6 * 366)).isoformat()
    dry = runner.invoke(main, ["retention", "purge", "--dry-run", "--date", when])
    assert dry.exit_code == 0, dry.output
    assert f"対象の案件は合計 {len(closed_ids):,}件" in dry.output and "何も削除していません" in dry.output
    with demo_app.app_context():
        assert db.session.get(Case, marked_id).record_name == MARK_NAME

    done = runner.invoke(main, ["retention", "purge", "--date", when])
    assert done.exit_code == 0, done.output
    assert f"廃棄した案件は合計 {len(closed_ids):,}件" in done.output

    with demo_app.app_context():
        for case in db.session.scalars(sa.select(Case).where(Case.id.in_(closed_ids))):
            assert case.facts_disposed_at is not None and case.record_name is None and case.registered_number is None
        assert dict(db.session.execute(sa.select(Case.id, Case.record_name).where(
            Case.id.in_(list(open_facts)))).all()) == open_facts
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) == events
        assert all(letter.pdf is None for letter in db.session.scalars(sa.select(Letter).where(
            Letter.id.in_(letter_ids))))
        # every recipient of a closed case is gone, those of open cases stay
        assert db.session.scalars(sa.select(Recipient.case_id).where(Recipient.case_id.in_(closed_ids))).all() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Recipient)) == recipients_open
        assert db.session.get(PrintRun, run_id).files_disposed_at is not None
        subjects = dict(db.session.execute(sa.select(Disposal.subject, sa.func.count()).group_by(Disposal.subject))
                        .all())
        assert subjects == {"case": len(closed_ids), "letter": len(letter_ids), "print_run": 1}
        db.session.remove()
    assert not run_folder.exists()
    assert runner.invoke(main, ["report", "programs", "--format", "csv"]).output == table_before

    blob = _database_bytes(demo_app)
    assert not _contains(blob, MARK_NAME) and not _contains(blob, MARK_ADDRESS)

    out = tmp_path / "disposals.csv"
    exported = runner.invoke(main, ["retention", "export", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["処分番号", "処分日時", "対象", "対象番号"]
    assert {row[2] for row in rows[1:]} == {"案件", "通知文書", "印刷"}
    assert len(rows) - 1 == len(closed_ids) + len(letter_ids) + 1
    assert f"CF-{marked_id:07d}" in {row[4] for row in rows[1:]}
    assert not any(MARK_NAME in cell for row in rows for cell in row)

    again = runner.invoke(main, ["retention", "purge", "--date", when])
    assert "廃棄した案件は合計 0件" in again.output


def test_a_program_period_is_set_from_the_command_line(committed_app):
    runner = committed_app.test_cli_runner()
    assert runner.invoke(main, ["seed", "reference"]).exit_code == 0
    result = runner.invoke(main, ["retention", "set", "--program", "disability-handbook", "--years", "10"])
    assert result.exit_code == 0 and "10年" in result.output
    assert "障害者手帳情報：通知または誤りなしの判断から10年（事務ごとの保存期間）" in \
        runner.invoke(main, ["retention", "rules"]).output
    refused = runner.invoke(main, ["retention", "set", "--program", "disability-handbook", "--years", "０"])
    assert refused.exit_code != 0 and "半角数字" in refused.output
    assert runner.invoke(main, ["retention", "set", "--program", "nope", "--years", "3"]).exit_code != 0
    back = runner.invoke(main, ["retention", "set", "--program", "disability-handbook", "--years", "default"])
    assert back.exit_code == 0 and "既定" in back.output
