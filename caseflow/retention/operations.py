"""Retention periods and the disposal of personal data once a closed case has outlived its period.

A case is closed when the resident was notified (通知済) or it was found not to be an error
(誤りなし). Its program's retention period (``programs.retention_years``, or the installation's
``RETENTION_YEARS``) counts from that day; once it has passed, the people's facts on the case
(both people's name, kana, birth date, sex and address, the registered and the linked My
Numbers, both parties' recipients, the search keys made of the names and birth dates, what was
viewed), its letters' PDFs and what they were printed from, and the files of the print runs that
carried them are deleted. The case keeps its reference, status,
grade, verdicts, cause, the viewed flag and its timeline, so every report counts it as before.
Each deletion is a ``Disposal`` row: what, when, by which rule.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.cases.models import PERSONAL_FACTS, Case, CaseEvent, Correction
from caseflow.cases.search import FACT_COLUMNS, index_case
from caseflow.cases.vocabulary import CaseStatus
from caseflow.core.batches import chunked
from caseflow.core.japanese import JST
from caseflow.db import utcnow
from caseflow.evidence.models import Evidence
from caseflow.evidence.operations import dispose_evidence
from caseflow.letters.models import Letter, PrintRun, PrintRunLetter, Recipient
from caseflow.letters.operations import dispose_letter, print_run_directory
from caseflow.organizations.models import Program
from caseflow.retention.models import Disposal

CLOSED_STATUSES = (CaseStatus.NOTIFIED, CaseStatus.FALSE)


@dataclass(frozen=True)
class RetentionRule:
    """How long one program's closed cases keep their personal data."""

    program_id: int
    program_name: str
    years: int
    default: bool  # the installation's setting, not the program's own

    @property
    def text(self) -> str:
        source = "既定の保存期間" if self.default else "事務ごとの保存期間"
        return f"{self.program_name}：通知または誤りなしの判断から{self.years}年（{source}）"

    def cutoff(self, today: dt.date) -> dt.date:
        """Cases closed before this day have outlived the period on ``today``."""
        return years_before(today, self.years)


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def retention_rules(session: Session, default_years: int) -> list[RetentionRule]:
    """Every program's rule, in program order."""
    programs = session.execute(sa.select(Program.id, Program.name, Program.retention_years).order_by(Program.id))
    return [RetentionRule(pid, name, years or default_years, years is None) for pid, name, years in programs]


def _jst_midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=JST).astimezone(dt.UTC)


def _dismissed_at():
    """The moment a dismissed case last became 誤りなし (a correlated subquery on cases)."""
    return (sa.select(sa.func.max(CaseEvent.created_at))
            .where(CaseEvent.case_id == Case.id, CaseEvent.to_status == CaseStatus.FALSE,
                   CaseEvent.from_status != CaseStatus.FALSE)
            .scalar_subquery())


def due_case_ids(session: Session, rule: RetentionRule, today: dt.date) -> list[int]:
    """The closed cases of ``rule``'s program whose retention period has passed and still hold personal data."""
    cutoff = rule.cutoff(today)
    stmt = (sa.select(Case.id)
            .where(Case.program_id == rule.program_id, Case.facts_disposed_at.is_(None),
                   sa.or_(sa.and_(Case.status == CaseStatus.NOTIFIED, Case.notified_on < cutoff),
                          sa.and_(Case.status == CaseStatus.FALSE, _dismissed_at() < _jst_midnight_utc(cutoff))))
            .order_by(Case.id))
    return list(session.scalars(stmt))


def closed_on(session: Session, case: Case) -> dt.date | None:
    """The day ``case`` was closed, from which its retention period counts."""
    if case.status is CaseStatus.NOTIFIED:
        return case.notified_on
    moment = session.scalar(sa.select(_dismissed_at()).where(Case.id == case.id))
    return moment.astimezone(JST).date() if moment else None


@dataclass
class DisposalSummary:
    """What one purge did (or, on a dry run, would do), per rule."""

    cases: dict[str, int] = field(default_factory=dict)
    letters: dict[str, int] = field(default_factory=dict)
    print_runs: int = 0

    @property
    def total_cases(self) -> int:
        return sum(self.cases.values())


def dispose_case(session: Session, case: Case, rule: RetentionRule) -> list[Disposal]:
    """Delete ``case``'s personal data and its letters' copies, recording each deletion.

    The caller has checked (``due_case_ids``) that the case's retention period has passed.
    Print runs that carried its letters are marked for ``clear_print_run_files``.
    """
    if case.status not in CLOSED_STATUSES:
        raise ValueError("only a closed case's personal data is disposed of")
    closed = closed_on(session, case)
    now = utcnow()
    deleted = [label for attribute, label in PERSONAL_FACTS if getattr(case, attribute) is not None]
    searchable = any(getattr(case, column) is not None for column in FACT_COLUMNS)
    for attribute, _label in PERSONAL_FACTS:
        setattr(case, attribute, None)
    index_case(case)  # no facts left: no search keys either
    if searchable:
        deleted.append("検索用のハッシュ（氏名・カナ・生年月日）")
    linked = session.scalars(sa.select(Correction).where(Correction.case_id == case.id,
                                                         Correction.linked_number.is_not(None))).all()
    for correction in linked:
        correction.linked_number = None
    if linked:
        deleted.append("訂正で紐付けた個人番号")
    # Each party's recipient goes whole: the row says nothing once its name and address are gone.
    recipients = session.scalars(sa.select(Recipient).where(Recipient.case_id == case.id)
                                 .order_by(Recipient.party.desc())).all()  # the record's person first
    for recipient in recipients:
        deleted.append(f"送付先（{recipient.party.label}：郵便番号・住所・氏名）")
        session.delete(recipient)
    case.facts_disposed_at = now
    records = [Disposal(disposed_at=now, subject="case", subject_id=case.id, case_id=case.id,
                        what="、".join(deleted) or "（保存されていた本人の情報なし）", rule=rule.text, closed_on=closed)]
    letters = session.scalars(sa.select(Letter).where(Letter.case_id == case.id, Letter.disposed_at.is_(None))
                              .order_by(Letter.id)).all()
    for letter in letters:
        what = dispose_letter(letter, now)
        records.append(Disposal(disposed_at=now, subject="letter", subject_id=letter.id, case_id=case.id,
                                what=f"{letter.document_number}：{what}", rule=rule.text, closed_on=closed))
    if letters:
        runs = session.scalars(
            sa.select(PrintRun).where(PrintRun.files_disposed_at.is_(None), PrintRun.id.in_(
                sa.select(PrintRunLetter.print_run_id).where(PrintRunLetter.letter_id.in_([x.id for x in letters])))))
        for run in runs:
            run.files_disposed_at = now
            records.append(Disposal(disposed_at=now, subject="print_run", subject_id=run.id, case_id=case.id,
                                    what=f"印刷{run.id}のファイル（差込印刷PDF・送付先一覧・表紙）", rule=rule.text,
                                    closed_on=closed))
    for evidence in session.scalars(sa.select(Evidence).where(Evidence.case_id == case.id,
                                                               Evidence.disposed_at.is_(None)).order_by(Evidence.id)):
        records.append(Disposal(disposed_at=now, subject="evidence", subject_id=evidence.id, case_id=case.id,
                                what=dispose_evidence(evidence), rule=rule.text, closed_on=closed))
    session.add_all(records)
    session.flush()
    return records


def clear_print_run_files(session: Session, root: str | Path) -> int:
    """Delete from disk the files of print runs marked disposed; returns how many folders went.

    Called after the commit that marked them, so a failure here leaves the records right and the
    next run finishes the job.
    """
    removed = 0
    for run_id in session.scalars(sa.select(PrintRun.id).where(PrintRun.files_disposed_at.is_not(None))):
        directory = print_run_directory(root, run_id)
        if directory.exists():
            shutil.rmtree(directory)
            removed += 1
    return removed


def purge(session: Session, *, today: dt.date, default_years: int, dry_run: bool = False,
          batch: int = 500, commit=None) -> DisposalSummary:
    """Dispose of every case whose retention period has passed on ``today``.

    ``commit`` (the command's) is called after each batch of cases, so a long purge keeps what it
    has done if stopped; each batch holds its cases' disposals and disposal records together. A
    dry run counts and changes nothing.
    """
    summary = DisposalSummary()
    for rule in retention_rules(session, default_years):
        ids = due_case_ids(session, rule, today)
        if not ids:
            continue
        summary.cases[rule.text] = len(ids)
        if dry_run:
            summary.letters[rule.text] = session.scalar(
                sa.select(sa.func.count()).select_from(Letter).where(Letter.case_id.in_(ids),
                                                                    Letter.disposed_at.is_(None))) or 0
            continue
        letters = 0
        for chunk in chunked(ids, batch):
            for case in session.scalars(sa.select(Case).where(Case.id.in_(chunk)).order_by(Case.id)):
                records = dispose_case(session, case, rule)
                letters += sum(1 for record in records if record.subject == "letter")
                summary.print_runs += sum(1 for record in records if record.subject == "print_run")
            if commit is not None:
                commit()
        summary.letters[rule.text] = letters
    return summary


EXPORT_HEADER = ["処分番号", "処分日時", "対象", "対象番号", "案件番号", "削除した情報", "保存期間の起算日", "規則"]
SUBJECT_LABELS = {"case": "案件", "letter": "通知文書", "print_run": "印刷", "evidence": "証拠書類"}


def export_rows(session: Session) -> Iterable[list]:
    """The disposal records as the export writes them (never a personal fact: only what kind was deleted)."""
    from caseflow.core.japanese import jst

    for record in session.scalars(sa.select(Disposal).order_by(Disposal.id).execution_options(yield_per=5000)):
        yield [record.id, jst(record.disposed_at), SUBJECT_LABELS.get(record.subject, record.subject),
               record.subject_id, f"CF-{record.case_id:07d}" if record.case_id else "", record.what,
               record.closed_on.isoformat() if record.closed_on else "", record.rule]
