"""Letters to residents: recipients, preview, issue, reprint, void, returned mail; print runs.

A linkage error has two people (``Party``): the record's person, whose data carried another
person's number, and the number's holder. Each kind of letter is for one of them
(caseflow.letters.kinds.PARTIES), each party has their own recipient (送付先), and a case carries
at most one valid letter per kind and party. A corrected case becomes 通知済 when every letter it
calls for (``required_letter_kinds``) has been issued.

Operations take the acting user, check what they may do, change the session and flush;
the caller (a view, a job, the CLI) commits once. Rendering is caseflow.letters.render
(WeasyPrint), fed a plain dict snapshot, never ORM objects.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload, object_session

from caseflow.cases.access import visible_cases_clause
from caseflow.cases.kernel import check_version, flush_case, record_event
from caseflow.cases.models import Case
from caseflow.cases.operations import fire
from caseflow.cases.vocabulary import CaseStatus, NotificationMethod, Party, ViewedOnPortal
from caseflow.core import storage
from caseflow.core.japanese import JST, today_jst
from caseflow.core.limits import REASON_MAX
from caseflow.core.mynumber import contains_my_number
from caseflow.core.params import required_text
from caseflow.db import utcnow
from caseflow.errors import DomainError, NotFound
from caseflow.letters.models import (
    DocumentNumberSequence,
    Letter,
    LetterKind,
    LetterStatus,
    PrintRun,
    PrintRunLetter,
    PrintRunStatus,
    Recipient,
    ReturnReason,
)
from caseflow.letters.postal import lookup_postal_code, normalize_postal_code
from caseflow.organizations.models import Organization, Program
from caseflow.organizations.rules import letterhead_missing
from caseflow.policy import Permission, may, require
from caseflow.users.models import User

# The program whose errors are answered by the bank-account letter (公金受取口座).
BANK_ACCOUNT_PROGRAM = "public-fund-account"
# How long a resident is given to register the account again (目安).
REREGISTER_DAYS = 60
MAX_ADDRESS_LINES = 3

Progress = Callable[[int, int, str], None]


# --- who may do what ---------------------------------------------------------------------------


def get_visible_letter(session: Session, actor: User, letter_id: int) -> Letter:
    """A letter of a case the user may see; anything else is 'not found'."""
    letter = session.scalars(
        sa.select(Letter).join(Letter.case).where(Letter.id == letter_id, visible_cases_clause(actor))
    ).one_or_none()
    if letter is None:
        raise NotFound("通知文書が見つかりません。")
    return letter


def letters_of(session: Session, case: Case) -> list[Letter]:
    # Not the case again, joined into every letter: it is loaded already.
    return list(session.scalars(sa.select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)
                                .options(lazyload(Letter.case))))


def holder_known(case: Case) -> bool:
    """Whether the registry named the number's holder (a number not in the registry has none to write to)."""
    return case.registry_name is not None or case.registry_address is not None


def _holder_kind(case: Case) -> LetterKind | None:
    """The letter the number's holder gets, by the program: the bank-account request for 公金受取口座,
    the holder notice where the program calls for one (``Program.holder_notice``)."""
    if not holder_known(case):
        return None
    if case.program.code == BANK_ACCOUNT_PROGRAM:
        return LetterKind.BANK_ACCOUNT
    return LetterKind.HOLDER_NOTICE if case.program.holder_notice else None


def letter_kinds_for(case: Case) -> list[LetterKind]:
    """The kinds of letter that fit this case: the record's person's first, then the holder's."""
    kinds = [LetterKind.APOLOGY]
    if case.viewed_on_portal is ViewedOnPortal.YES:
        kinds.append(LetterKind.VIEWED_NOTICE)
    if (holder := _holder_kind(case)) is not None:
        kinds.append(holder)
    return kinds


def required_letter_kinds(case: Case) -> list[LetterKind]:
    """The letters a case calls for, one per party: issuing the last of them makes it 通知済.

    The record's person gets the viewed-notice when their data was viewed on the portal, the
    apology otherwise (either may still be sent besides); the holder gets their program's letter.
    """
    kinds = [LetterKind.VIEWED_NOTICE if case.viewed_on_portal is ViewedOnPortal.YES else LetterKind.APOLOGY]
    if (holder := _holder_kind(case)) is not None:
        kinds.append(holder)
    return kinds


def missing_letter_kinds(session: Session, case: Case) -> list[LetterKind]:
    """The letters the case calls for that it does not carry yet (issued and not voided)."""
    valid = {(letter.kind, letter.party) for letter in letters_of(session, case) if letter.status is LetterStatus.ISSUED}
    return [kind for kind in required_letter_kinds(case) if (kind, kind.party) not in valid]


def may_issue(case: Case) -> bool:
    return case.status in (CaseStatus.CORRECTED, CaseStatus.NOTIFIED)


# --- the recipients --------------------------------------------------------------------------


def recipient_of(case: Case, party: Party) -> Recipient | None:
    """Where ``party``'s letters about ``case`` go, as entered (None: nothing entered yet)."""
    session = object_session(case)
    return session.scalars(sa.select(Recipient).where(Recipient.case_id == case.id, Recipient.party == party)
                           ).one_or_none()


def recipients_of(case: Case) -> dict[Party, Recipient]:
    """The case's recipients by party."""
    session = object_session(case)
    return {r.party: r for r in session.scalars(sa.select(Recipient).where(Recipient.case_id == case.id))}


def party_facts(case: Case, party: Party) -> dict[str, str | None]:
    """``party``'s name and address as the case knows them (the record's from the extract, the
    holder's from the registry): what the recipient form starts from."""
    prefix = party.fact_prefix
    return {"name": getattr(case, f"{prefix}name"), "address": getattr(case, f"{prefix}address")}


def set_recipient(case: Case, actor: User, *, party: Party, name: str | None, postal_code: str | None,
                  address: str | None, expected_version: int | None = None) -> Recipient:
    """Record where ``party``'s letters about the case go (送付先). Each part is checked (a postal
    code must exist in Japan Post's data); an incomplete one is kept, see recipient_problems."""
    require(actor, Permission.LETTER_ISSUE, case)
    check_version(case, expected_version)
    if not isinstance(party, Party):
        raise DomainError("送付先の相手（本人・番号の保有者）を選択してください。")
    # Runs of spaces become one, of the kind typed first (the full-width space between 氏 and 名 stays).
    name = re.sub(r"\s+", lambda run: run.group()[0], (name or "").strip()) or None
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    problems = []
    code = normalize_postal_code(postal_code) if (postal_code or "").strip() else None
    if (postal_code or "").strip() and code is None:
        problems.append("郵便番号は7桁の数字で入力してください（例：243-0123）。")
    elif code is not None and lookup_postal_code(code) is None:
        problems.append(f"郵便番号 {code} は存在しません（日本郵便の郵便番号データにありません）。確認してください。")
    if len(lines) > MAX_ADDRESS_LINES:
        problems.append(f"住所は{MAX_ADDRESS_LINES}行以内で入力してください（窓付き封筒の宛名欄に収まるように）。")
    if any(len(line) > 40 for line in lines) or (name and len(name) > 30):
        problems.append("住所は1行40文字、氏名は30文字以内で入力してください。")
    if any(contains_my_number(text) for text in [name or "", *lines]):
        problems.append("送付先に個人番号のような12桁の数字は入力できません。")
    if problems:
        raise DomainError(" ".join(problems))
    recipient = recipient_of(case, party)
    if recipient is None:
        recipient = Recipient(case_id=case.id, party=party)
        object_session(case).add(recipient)
    recipient.name = name
    recipient.postal_code = code
    recipient.address = "\n".join(lines) or None
    record_event(case, actor, "set_recipient", party=party.value)
    flush_case(case)
    return recipient


def recipient_problems(case: Case, party: Party) -> list[str]:
    """What is missing before a letter can be addressed to ``party`` (empty when complete)."""
    recipient = recipient_of(case, party)
    problems = []
    if recipient is None or not recipient.postal_code:
        problems.append("郵便番号")
    lines = recipient.address_lines if recipient else []
    if not lines:
        problems.append("住所")
    elif not re.search(r"[0-9０-９一二三四五六七八九十]", "".join(lines)):
        problems.append("住所の番地")
    if recipient is None or not recipient.name:
        problems.append("宛名（氏名）")
    return problems


def _check_recipient(case: Case, party: Party) -> Recipient:
    missing = recipient_problems(case, party)
    if missing:
        raise DomainError(f"{party.label}の送付先が不完全なため、通知文書を作成できません。不足：{'、'.join(missing)}。"
                          f"案件画面の「送付先（{party.label}）」で入力してください。")
    return recipient_of(case, party)


def _letterhead(organization: Organization) -> dict:
    missing = letterhead_missing(organization.letterhead)  # the administration page's rule
    if missing:
        raise DomainError(f"{organization.name}の発信者情報が登録されていないため、通知文書を作成できません"
                          f"（{'、'.join(missing)}）。システム管理者に登録を依頼してください。")
    return organization.letterhead


# --- snapshots ---------------------------------------------------------------------------------


def _event_day(case: Case, trigger: str) -> dt.date | None:
    for event in reversed(case.events):
        if event.trigger == trigger:
            return event.created_at.astimezone(JST).date()
    return None


# What went wrong, told to the letter's party: the record's person (their data carried another
# person's number) or the number's holder (their number had another person's data attached).
_WHAT_WAS_WRONG = {
    LetterKind.BANK_ACCOUNT: "あなたのマイナンバーに、ご本人以外の方の名義の口座が公金受取口座として登録されていました。",
    LetterKind.APOLOGY: "{program}の事務において、あなたの情報に、別の方のマイナンバーが誤って紐付けられていました。",
    LetterKind.VIEWED_NOTICE: "{program}の事務において、あなたの情報が別の方のマイナンバーに誤って紐付けられていたため、"
                              "その方がマイナポータルであなたの情報を閲覧できる状態になっていました。",
    LetterKind.HOLDER_NOTICE: "あなたのマイナンバーに、別の方の{program}が誤って紐付けられていました。",
}


def build_snapshot(case: Case, kind: LetterKind, *, issued_on: dt.date, document_number: str | None) -> dict:
    """Everything a letter prints, as plain data (the renderer never sees ORM objects).

    The letter is addressed to the recipient of the kind's party. No My Number goes in: the case
    reference identifies the case to the resident.
    """
    recipient = recipient_of(case, kind.party)
    head = _letterhead(case.agency)
    corrected_on = _event_day(case, "correct")
    found_on = _event_day(case, "confirm") or case.detected_at.date()
    facts = {
        "found_on": found_on.isoformat(),
        "corrected_on": corrected_on.isoformat() if corrected_on else None,
        # when the wrong linkage began is not known from the case; until when it lasted is
        "wrong_from": None,
        "wrong_to": corrected_on.isoformat() if corrected_on else None,
        "reregister_by": None,
        # True / False when known; None (the letter says nothing) while it is still being checked
        "viewed": {ViewedOnPortal.YES: True, ViewedOnPortal.NO: False}.get(case.viewed_on_portal),
        "viewed_on": case.viewed_on.isoformat() if case.viewed_on else None,
        "viewed_what": case.viewed_what,
        "what_was_wrong": _WHAT_WAS_WRONG[kind].format(program=case.program.name),
    }
    if kind is LetterKind.BANK_ACCOUNT:
        facts["reregister_by"] = (issued_on + dt.timedelta(days=REREGISTER_DAYS)).isoformat()
    return {
        "kind": kind.value,
        "party": kind.party.value,
        "document_number": document_number,
        "issued_on": issued_on.isoformat(),
        "recipient": {
            "postal_code": recipient.postal_code if recipient else None,
            "address_lines": recipient.address_lines if recipient else [],
            "name": recipient.name if recipient else None,
        },
        "issuer": {"organization": case.agency.name, "title": head["issuer_title"], "name": head["issuer_name"]},
        "contact": {key: head[key] for key in ("department", "place", "postal_code", "address", "phone", "hours")},
        "case_reference": case.reference,
        "program": case.program.name,
        "facts": facts,
    }


def _check_kind(case: Case, kind: LetterKind) -> None:
    if kind not in letter_kinds_for(case):
        raise DomainError(f"この案件には「{kind.label}」は作成できません。")


# --- preview, issue, reprint, void, returned --------------------------------------------------------


def preview_letter(actor: User, case: Case, kind: LetterKind) -> bytes:
    """The letter as it would be issued today, watermarked 見本, without a number; nothing is stored."""
    require(actor, Permission.LETTER_ISSUE, case)
    _check_kind(case, kind)
    _check_recipient(case, kind.party)
    snapshot = build_snapshot(case, kind, issued_on=today_jst(), document_number=None)
    from caseflow.letters.render import render_letter

    rendered = render_letter(snapshot, sample=True)
    if rendered.problems:
        raise DomainError("この内容では通知文書を印刷できません：" + " ".join(rendered.problems))
    return rendered.pdf


def fiscal_year(day: dt.date) -> int:
    """The Japanese fiscal year (年度) a day belongs to: April to March."""
    return day.year if day.month >= 4 else day.year - 1


def next_serial(session: Session, organization_id: int, year: int) -> int:
    """The next document serial of the organisation in fiscal ``year``.

    One UPDATE … RETURNING on the sequence row: concurrent issuers queue on its row lock
    (PostgreSQL) or the database write lock (SQLite), so each gets its own number; the
    unique constraint on letters is the last guard. A rolled-back issue gives its number back
    unissued; an issued number is never given again, even when the letter is voided.
    """
    table = DocumentNumberSequence.__table__
    bump = (table.update().where(table.c.organization_id == organization_id, table.c.fiscal_year == year)
            .values(last_serial=table.c.last_serial + 1).returning(table.c.last_serial))
    serial = session.execute(bump).scalar_one_or_none()
    if serial is None:
        try:
            with session.begin_nested():
                session.execute(table.insert().values(organization_id=organization_id, fiscal_year=year,
                                                      last_serial=0))
        except IntegrityError:
            pass  # another issuer created the row first
        serial = session.execute(bump).scalar_one()
    return serial


def issue_letter(session: Session, actor: User, case: Case, kind: LetterKind, *,
                 expected_version: int | None = None) -> Letter:
    """Issue a letter of ``kind`` to its party's recipient: number it, render and store the PDF with
    its SHA-256 and snapshot, and record it. A corrected case moves to 通知済 (through the state
    machine) with the last of the letters it calls for (``required_letter_kinds``)."""
    require(actor, Permission.LETTER_ISSUE, case)
    check_version(case, expected_version)
    if not may_issue(case):
        raise DomainError(f"この案件は現在「{case.status.label}」です。通知文書は、訂正が承認された案件"
                          "（訂正済・通知済）についてのみ発行できます。")
    _check_kind(case, kind)
    recipient = _check_recipient(case, kind.party)
    if any(letter.kind is kind and letter.party is kind.party and letter.status is LetterStatus.ISSUED
           for letter in letters_of(session, case)):
        raise DomainError(f"この案件には{kind.party.label}あての有効な「{kind.label}」が既に発行されています。"
                          "作り直す場合は、先に発行済みの文書を無効にしてください。")
    head = _letterhead(case.agency)
    issued_on = today_jst()
    year = fiscal_year(issued_on)
    serial = next_serial(session, case.agency_id, year)
    document_number = f"{head['prefix']}第{serial}号"
    snapshot = build_snapshot(case, kind, issued_on=issued_on, document_number=document_number)
    from caseflow.letters.render import render_letter

    rendered = render_letter(snapshot)
    if rendered.problems:
        raise DomainError("通知文書が印刷の条件を満たさないため、発行できませんでした：" + " ".join(rendered.problems))
    letter = Letter(case=case, organization_id=case.agency_id, kind=kind, party=kind.party,
                    status=LetterStatus.ISSUED, fiscal_year=year, serial=serial, document_number=document_number,
                    issued_on=issued_on, issued_by_id=actor.id, snapshot=snapshot, pdf=rendered.pdf,
                    sha256=hashlib.sha256(rendered.pdf).hexdigest(), pages=rendered.pages,
                    postal_code=recipient.postal_code)
    session.add(letter)
    session.flush()
    details = {"letter_id": letter.id, "document_number": document_number, "kind": kind.value,
               "party": kind.party.value}
    if case.status is CaseStatus.CORRECTED and not missing_letter_kinds(session, case):
        fire(case, "notify", actor, notified_on=issued_on, notification_method=NotificationMethod.MAIL,
             comment=f"{kind.label}（{document_number}）を発行", letter=details)
    else:
        record_event(case, actor, "issue_letter", **details)
    session.flush()
    return letter


DISPOSED_MESSAGE = "保存期間を過ぎたため、この通知文書の控え（PDF）は廃棄されています。"


def reprint_letter(session: Session, actor: User, letter: Letter) -> bytes:
    """The issued PDF again, byte for byte; the reprint is recorded on the case."""
    require(actor, Permission.LETTER_ISSUE, letter.case)
    if letter.status is LetterStatus.VOIDED:
        raise DomainError("無効にした通知文書は再印刷できません。")
    if letter.disposed_at is not None:
        raise DomainError(DISPOSED_MESSAGE)
    letter.reprints += 1
    record_event(letter.case, actor, "reprint_letter", letter_id=letter.id, document_number=letter.document_number)
    session.flush()
    return letter.pdf


def dispose_letter(letter: Letter, now: dt.datetime) -> str:
    """Delete a letter's copy at the end of its case's retention period; returns what was deleted (Japanese).

    The PDF, the postal code and the recipient in the snapshot go; the document number, kind,
    dates, page count and the PDF's SHA-256 stay, so the letter can still be named and counted.
    """
    letter.pdf = None
    letter.postal_code = None
    snapshot = dict(letter.snapshot or {})
    snapshot["recipient"] = None
    letter.snapshot = snapshot
    letter.disposed_at = now
    return "通知文書のPDF、送付先（郵便番号・住所・氏名）"


def void_letter(session: Session, actor: User, letter: Letter, *, reason: str | None) -> None:
    """Void an issued letter (its number stays used); the case keeps its status."""
    require(actor, Permission.LETTER_ISSUE, letter.case)
    if letter.status is LetterStatus.VOIDED:
        raise DomainError("この通知文書は既に無効です。")
    reason = required_text(reason, "無効にする理由を入力してください。", REASON_MAX, "無効にする理由は")
    letter.status = LetterStatus.VOIDED
    letter.voided_at = utcnow()
    letter.voided_by_id = actor.id
    letter.void_reason = reason
    record_event(letter.case, actor, "void_letter", reason, letter_id=letter.id, document_number=letter.document_number)
    session.flush()


def record_returned(session: Session, actor: User, letter: Letter, *, reason: ReturnReason | None,
                    returned_on: dt.date | None, note: str | None = None) -> None:
    """Japan Post brought the letter back (返戻): why and when; shown on the case."""
    require(actor, Permission.LETTER_ISSUE, letter.case)
    if not isinstance(reason, ReturnReason):
        raise DomainError("返戻の理由を選択してください。")
    if not isinstance(returned_on, dt.date):
        raise DomainError("返戻された日を入力してください。")
    if returned_on > today_jst() or returned_on < letter.issued_on:
        raise DomainError("返戻日は、発行日から今日までの日付を入力してください。")
    if letter.returned_on is not None:
        raise DomainError("この通知文書の返戻は既に記録されています。")
    letter.returned_on = returned_on
    letter.return_reason = reason
    note = (note or "").strip() or None
    if note and len(note) > REASON_MAX:
        raise DomainError(f"返戻の備考は{REASON_MAX}文字以内で入力してください。")
    letter.return_note = note
    record_event(letter.case, actor, "letter_returned", letter.return_note, letter_id=letter.id,
            document_number=letter.document_number, reason=reason.value)
    session.flush()


# --- print runs --------------------------------------------------------------------------------------


def printable_letters(session: Session, organization_id: int, *, program_id: int | None = None,
                      kind: LetterKind | None = None) -> list[Letter]:
    """Issued letters of the organisation not yet in a print run (or only held back from one)."""
    in_run = (sa.select(PrintRunLetter.letter_id).join(PrintRun)
              .where(PrintRun.status != PrintRunStatus.FAILED, PrintRunLetter.held_reason.is_(None)))
    stmt = (sa.select(Letter).join(Letter.case)
            .where(Letter.organization_id == organization_id, Letter.status == LetterStatus.ISSUED,
                   Letter.disposed_at.is_(None), Letter.id.not_in(in_run))
            .order_by(Letter.fiscal_year, Letter.serial))
    if program_id is not None:
        stmt = stmt.where(Case.program_id == program_id)
    if kind is not None:
        stmt = stmt.where(Letter.kind == kind)
    return list(session.scalars(stmt))


def create_print_run(session: Session, actor: User | None, *, organization: Organization | None = None,
                     program: Program | None = None, kind: LetterKind | None = None) -> PrintRun:
    """Gather the printable letters (of one program and kind, when given) into a new run to build.

    ``actor`` None is the server's command line, which names the ``organization``.
    """
    if actor is not None:
        require(actor, Permission.LETTER_PRINT)
        organization_id = actor.organization_id
    elif organization is not None:
        organization_id = organization.id
    else:
        raise ValueError("an actor or an organization is required")
    letters = printable_letters(session, organization_id, program_id=program.id if program else None, kind=kind)
    if not letters:
        raise DomainError("印刷する通知文書がありません（発行済みで、まだ印刷していないものが対象です）。")
    run = PrintRun(organization_id=organization_id, program=program, kind=kind, status=PrintRunStatus.QUEUED,
                   created_by_id=actor.id if actor else None, letters_count=len(letters))
    session.add(run)
    session.flush()
    session.add_all(PrintRunLetter(print_run_id=run.id, letter_id=letter.id, position=position)
                    for position, letter in enumerate(letters, start=1))
    session.flush()
    return run


def print_run_directory(root: str | Path, run_id: int) -> Path:  # root: caseflow.core.storage.files_root
    return Path(root) / "print_runs" / str(run_id)


PRINT_RUN_FILES = {"letters": "letters.pdf", "manifest": "manifest.csv", "cover": "cover.pdf"}


def build_print_run(session: Session, run: PrintRun, *, root: str | Path,
                    progress: Progress | None = None) -> None:
    """Render the run's letters into one PDF for the printer, with a manifest and a cover sheet.

    A letter that fails the checks before printing is held with its reason; the run goes on
    without it. The files are written to a temporary folder and moved into place at the end,
    so a run that fails leaves nothing half-written.
    """
    from caseflow.core.cells import safe_cell
    from caseflow.letters.render import render_cover_sheet, render_print_run

    if run.status is not PrintRunStatus.QUEUED:
        raise DomainError("この印刷は既に作成されています。")
    entries = list(session.scalars(sa.select(PrintRunLetter).where(PrintRunLetter.print_run_id == run.id)
                                   .order_by(PrintRunLetter.position)))
    report = progress or (lambda done, total, message: None)
    target = print_run_directory(root, run.id)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A worker killed during an earlier attempt left its temporary folder behind.
    for leftover in target.parent.glob(f".run-{run.id}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=f".run-{run.id}-", dir=target.parent))
    try:
        def rendered(done: int, total: int) -> None:
            report(done, total + 1, f"{done:,} / {total:,} 通を作成しました。")

        output = render_print_run([entry.letter.snapshot for entry in entries], work / PRINT_RUN_FILES["letters"],
                                  progress=rendered)
        held = []
        with open(work / PRINT_RUN_FILES["manifest"], "w", encoding="utf-8-sig", newline="") as sink:
            writer = csv.writer(sink)
            writer.writerow(["文書番号", "案件番号", "郵便番号", "枚数"])
            for index, entry in enumerate(entries):
                letter = entry.letter
                if index in output.held:
                    entry.held_reason = output.held[index]
                    entry.pages = None
                    held.append({"document_number": letter.document_number, "reason": output.held[index]})
                    continue
                entry.pages = output.pages[index]
                # The document number carries the agency's letterhead prefix: text a spreadsheet must not run.
                writer.writerow([safe_cell(value) for value in (
                    letter.document_number, letter.case.reference, letter.postal_code, entry.pages)])
        run.held_count = len(held)
        run.pages_count = sum(entry.pages or 0 for entry in entries)
        cover = render_cover_sheet({
            "run_id": run.id, "organization": run.organization.name,
            "program": run.program.name if run.program else "すべての事務",
            "kind": run.kind.label if run.kind else "すべての種類",
            "letters": len(entries) - len(held), "pages": run.pages_count, "held": held,
            "created_on": today_jst().isoformat(),
        })
        (work / PRINT_RUN_FILES["cover"]).write_bytes(cover)
        for filename in PRINT_RUN_FILES.values():  # checksums, checked before a download
            storage.seal(work / filename)
        shutil.rmtree(target, ignore_errors=True)  # an earlier build of this run
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    run.status = PrintRunStatus.READY
    run.built_at = utcnow()
    report(len(entries) + 1, len(entries) + 1, "印刷用のファイルを作成しました。")
    session.flush()


def get_visible_print_run(session: Session, actor: User, run_id: int) -> PrintRun:
    run = session.get(PrintRun, run_id)
    if run is None or not may(actor, Permission.LETTER_PRINT, run):
        raise NotFound("印刷が見つかりません。")
    return run


def mark_printed(session: Session, actor: User, run: PrintRun) -> None:
    require(actor, Permission.LETTER_PRINT, run)
    if run.status is not PrintRunStatus.READY:
        raise DomainError(f"この印刷は「{run.status.label}」のため、印刷済みにできません。")
    run.status = PrintRunStatus.PRINTED
    run.printed_at = utcnow()
    run.printed_by_id = actor.id
    session.flush()


def mark_mailed(session: Session, actor: User, run: PrintRun) -> None:
    require(actor, Permission.LETTER_PRINT, run)
    if run.status is not PrintRunStatus.PRINTED:
        raise DomainError(f"この印刷は「{run.status.label}」のため、発送済みにできません（先に印刷済みにしてください）。")
    run.status = PrintRunStatus.MAILED
    run.mailed_at = utcnow()
    run.mailed_by_id = actor.id
    for entry in run.entries:
        if entry.held_reason is None:
            record_event(entry.letter.case, actor, "letter_mailed", letter_id=entry.letter_id,
                    document_number=entry.letter.document_number, print_run_id=run.id)
    session.flush()

