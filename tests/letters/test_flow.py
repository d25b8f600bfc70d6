"""Letters through the database: recipient, preview, issue (number, stored PDF, 通知済), reprint,
void, returned mail; print runs; document numbers under concurrency; the pages and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import threading
import time

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from caseflow.cases import kernel
from caseflow.cases.models import CaseEvent
from caseflow.cases.vocabulary import CaseStatus, Grade, Party
from caseflow.core.japanese import today_jst, wareki
from caseflow.errors import Conflict, DomainError, PermissionDenied
from caseflow.extensions import db
from caseflow.letters import operations
from caseflow.letters.models import Letter, LetterKind, LetterStatus, PrintRunStatus, ReturnReason
from caseflow.users.models import Role
from tests.conftest import events_of, login, post_form

LETTERHEAD = {
    "prefix": "テ市民", "issuer_title": "テスト市長", "issuer_name": "試験　太郎", "department": "テスト市 市民課",
    "place": "本庁舎1階", "postal_code": "030-8555", "address": "青森県テスト市中央一丁目1番1号",
    "phone": "017-000-0000", "hours": "平日 午前8時30分～午後5時",
}


@pytest.fixture
def letter_case(make_case, agency, caseworker):
    agency.letterhead = dict(LETTERHEAD)
    case = make_case(CaseStatus.CORRECTED)
    operations.set_recipient(case, caseworker, party=Party.RECORD_PERSON, name="髙橋　花子", postal_code="〒０３０－０８０１",
                             address="青森県青森市新町一丁目1番1号\nハイツ新町203号室")
    return case


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeezed(text: str) -> str:
    """Extracted text with the extractor's line breaks and half-width spaces between glyph runs taken out."""
    return text.replace("\n", "").replace(" ", "")


def test_recipient_is_checked_and_an_incomplete_one_says_what_is_missing(make_case, agency, caseworker):
    agency.letterhead = dict(LETTERHEAD)
    case = make_case(CaseStatus.CORRECTED)
    with pytest.raises(DomainError, match="郵便番号は7桁"):
        operations.set_recipient(case, caseworker, party=Party.RECORD_PERSON, name="山田　太郎", postal_code="03-08", address="青森市新町1-1")
    operations.set_recipient(case, caseworker, party=Party.RECORD_PERSON, name="山田　太郎", postal_code="", address="青森県青森市新町")
    with pytest.raises(DomainError) as refused:
        operations.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)
    assert "郵便番号" in refused.value.message and "住所の番地" in refused.value.message
    assert case.status is CaseStatus.CORRECTED
    assert db.session.scalars(sa.select(Letter).where(Letter.case_id == case.id)).all() == []


def test_issue_numbers_stores_and_notifies(letter_case, caseworker):
    letter = operations.issue_letter(db.session, caseworker, letter_case, LetterKind.APOLOGY)
    assert letter.document_number == "テ市民第1号"
    assert letter.fiscal_year == operations.fiscal_year(today_jst())
    assert letter.sha256 == hashlib.sha256(letter.pdf).hexdigest()
    assert letter.snapshot["document_number"] == "テ市民第1号" and "registered_number" not in str(letter.snapshot)
    assert letter_case.registered_number not in str(letter.snapshot)
    text = text_of(letter.pdf)
    assert "テ市民第1号" in text and wareki(today_jst()) in text and letter_case.reference in text
    assert letter_case.registered_number not in text
    assert letter_case.status is CaseStatus.NOTIFIED and letter_case.notified_on == today_jst()
    notify = [e for e in events_of(letter_case.id) if e.trigger == "notify"][-1]
    assert notify.details["letter"]["document_number"] == "テ市民第1号"

    second = operations.issue_letter  # a second apology while one is valid is refused
    with pytest.raises(DomainError, match="既に発行"):
        second(db.session, caseworker, letter_case, LetterKind.APOLOGY)


def test_reprint_is_the_same_bytes_and_is_logged(letter_case, caseworker):
    letter = operations.issue_letter(db.session, caseworker, letter_case, LetterKind.APOLOGY)
    assert operations.reprint_letter(db.session, caseworker, letter) == letter.pdf
    assert letter.reprints == 1
    assert [e.trigger for e in events_of(letter_case.id)][-1] == "reprint_letter"


def test_void_keeps_the_number_and_the_next_letter_gets_a_new_one(letter_case, caseworker):
    first = operations.issue_letter(db.session, caseworker, letter_case, LetterKind.APOLOGY)
    with pytest.raises(DomainError, match="理由"):
        operations.void_letter(db.session, caseworker, first, reason=" ")
    operations.void_letter(db.session, caseworker, first, reason="宛名の誤り")
    assert first.status is LetterStatus.VOIDED
    with pytest.raises(DomainError, match="無効"):
        operations.reprint_letter(db.session, caseworker, first)
    again = operations.issue_letter(db.session, caseworker, letter_case, LetterKind.APOLOGY)
    assert (first.serial, again.serial) == (1, 2)
    assert letter_case.status is CaseStatus.NOTIFIED


def test_returned_mail_is_recorded_and_shown_on_the_case(letter_case, caseworker, client):
    letter = operations.issue_letter(db.session, caseworker, letter_case, LetterKind.APOLOGY)
    with pytest.raises(DomainError, match="返戻日"):
        operations.record_returned(db.session, caseworker, letter, reason=ReturnReason.UNKNOWN_ADDRESS,
                                   returned_on=today_jst() + dt.timedelta(days=1))
    operations.record_returned(db.session, caseworker, letter, reason=ReturnReason.UNKNOWN_ADDRESS,
                               returned_on=today_jst(), note="転居の可能性")
    login(client, caseworker)
    page = client.get(f"/cases/{letter_case.id}").get_data(as_text=True)
    assert "返戻" in page and "宛所不明" in page and letter.document_number in page


def test_only_the_holding_agency_staff_handle_letters(letter_case, make_user, make_org, caseworker):
    other = make_user(Role.CASEWORKER, org=make_org())
    with pytest.raises(PermissionDenied):
        operations.issue_letter(db.session, other, letter_case, LetterKind.APOLOGY)
    letter = operations.issue_letter(db.session, caseworker, letter_case, LetterKind.APOLOGY)
    from caseflow.errors import NotFound

    with pytest.raises(NotFound):
        operations.get_visible_letter(db.session, other, letter.id)


def test_a_case_that_is_not_corrected_gets_no_letter(make_case, agency, caseworker):
    agency.letterhead = dict(LETTERHEAD)
    case = make_case(CaseStatus.CONFIRMED)
    operations.set_recipient(case, caseworker, party=Party.RECORD_PERSON, name="山田　太郎", postal_code="030-0801", address="青森市新町1-1")
    with pytest.raises(DomainError, match="訂正が承認された"):
        operations.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY)


def test_preview_is_watermarked_and_unnumbered(letter_case, caseworker):
    pdf = operations.preview_letter(caseworker, letter_case, LetterKind.APOLOGY)
    text = text_of(pdf)
    assert "見本" in text and "第1号" not in text
    assert db.session.scalars(sa.select(Letter)).all() == []


def test_print_run_merges_issued_letters_with_manifest_and_cover(letter_case, make_case, caseworker, tmp_path):
    cases = [letter_case, make_case(CaseStatus.CORRECTED)]
    operations.set_recipient(cases[1], caseworker, party=Party.RECORD_PERSON, name="﨑山　德子", postal_code="030-0802",
                             address="青森県青森市新町二丁目2番2号")
    letters = [operations.issue_letter(db.session, caseworker, case, LetterKind.APOLOGY) for case in cases]
    run = operations.create_print_run(db.session, caseworker)
    operations.build_print_run(db.session, run, root=tmp_path)
    assert run.status is PrintRunStatus.READY and run.held_count == 0
    folder = operations.print_run_directory(tmp_path, run.id)
    merged = PdfReader(folder / "letters.pdf")
    assert len(merged.pages) == run.pages_count == sum(letter.pages for letter in letters)
    text = "".join(page.extract_text() for page in merged.pages)
    assert all(letter.document_number in text for letter in letters)
    with open(folder / "manifest.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["文書番号", "案件番号", "郵便番号", "枚数"]
    assert [row[0] for row in rows[1:]] == [letter.document_number for letter in letters]
    assert rows[1][2] == "030-0801"
    assert f"{run.id}" in text_of((folder / "cover.pdf").read_bytes())
    # printed, then mailed; the letters are no longer waiting to be printed
    assert operations.printable_letters(db.session, run.organization_id) == []
    with pytest.raises(DomainError, match="先に印刷済み"):
        operations.mark_mailed(db.session, caseworker, run)
    operations.mark_printed(db.session, caseworker, run)
    operations.mark_mailed(db.session, caseworker, run)
    assert run.status is PrintRunStatus.MAILED
    assert "letter_mailed" in [e.trigger for e in events_of(letter_case.id)]


def test_nothing_to_print_is_refused(caseworker):
    with pytest.raises(DomainError, match="印刷する通知文書がありません"):
        operations.create_print_run(db.session, caseworker)


def test_pages_issue_and_preview(letter_case, caseworker, client):
    login(client, caseworker)
    page = client.get(f"/cases/{letter_case.id}").get_data(as_text=True)
    assert "通知文書" in page and "見本を表示" in page
    preview = client.get(f"/cases/{letter_case.id}/letters/preview?kind=apology")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert preview.headers["Cache-Control"] == "no-store"
    issued = post_form(client, f"/cases/{letter_case.id}/letters",
                       {"kind": "apology", "version": letter_case.version})
    assert issued.status_code == 302
    page = client.get(f"/cases/{letter_case.id}").get_data(as_text=True)
    assert "テ市民第1号" in page and "通知済" in page
    letter = db.session.scalars(sa.select(Letter).where(Letter.case_id == letter_case.id)).one()
    reprint = post_form(client, f"/letters/{letter.id}/reprint", {})
    assert reprint.data == letter.pdf


def corrected_cases(count: int, *, issue: bool = False) -> tuple[int, list[int]]:
    """In a committing app: an agency with its letterhead, a caseworker ("w") and a supervisor
    ("b"), and ``count`` corrected cases with their recipient (and an issued apology with
    ``issue``). Returns the caseworker's id and the cases' ids; the caller commits."""
    from caseflow.organizations.models import Organization, OrganizationKind, Program
    from caseflow.users.operations import create_user
    from tests.conftest import PASSWORD, drive, valid_number

    ministry = Organization(code="M1", name="省", kind=OrganizationKind.MINISTRY)
    agency = Organization(code="A1", name="通知市", kind=OrganizationKind.LINKING_AGENCY, letterhead=dict(LETTERHEAD))
    db.session.add_all([ministry, agency])
    db.session.flush()
    program = Program(name="通知事務", ministry_id=ministry.id)
    db.session.add(program)
    worker = create_user(db.session, login="w", display_name="担当", organization=agency, roles={Role.CASEWORKER},
                         password=PASSWORD)
    boss = create_user(db.session, login="b", display_name="承認", organization=agency, roles={Role.SUPERVISOR},
                       password=PASSWORD)
    ids = []
    for n in range(count):
        case = kernel.open_case(
            db.session, program=program, agency=agency, source_record_id=f"P{n}",
            registered_number=valid_number(20_000_000_000 + n), record_name="山田　太郎",
            record_address="青森市新町1-1", registry_name="山田　次郎", registry_address="青森市新町1-1",
            grade=Grade.C, field_verdicts={}, due_date=today_jst())
        drive(case, CaseStatus.CORRECTED, worker, boss)
        operations.set_recipient(case, worker, party=Party.RECORD_PERSON, name=f"髙橋　花子{n}", postal_code="030-0801",
                                 address="青森県青森市新町一丁目1番1号")
        if issue:
            operations.issue_letter(db.session, worker, case, LetterKind.APOLOGY)
        ids.append(case.id)
    return worker.id, ids


def test_document_numbers_stay_unique_when_issued_at_once(committed_app, backend):
    """Two caseworkers issue letters at the same moment, each in their own transaction."""
    with committed_app.app_context():
        worker_id, ids = corrected_cases(4)
        db.session.commit()

    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def issue(case_id: int) -> None:
        from caseflow.cases.models import Case
        from caseflow.users.models import User

        with committed_app.app_context():
            try:
                actor = db.session.get(User, worker_id)
                case = db.session.get(Case, case_id)
                barrier.wait(timeout=30)
                for attempt in range(50):
                    try:
                        operations.issue_letter(db.session, actor, case, LetterKind.APOLOGY)
                        db.session.commit()
                        return
                    except (Conflict, sa.exc.OperationalError):
                        # SQLite has one writer: the others are told to try again, as a user would be.
                        # PostgreSQL queues them on the sequence row: no one should need to.
                        if backend.kind != "sqlite":
                            raise
                        db.session.rollback()
                        time.sleep(0.05 * (attempt + 1))
                        case = db.session.get(Case, case_id)
                errors.append(AssertionError("no letter issued after 50 tries"))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(case_id,)) for case_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    with committed_app.app_context():
        serials = sorted(db.session.scalars(sa.select(Letter.serial)))
        assert serials == [1, 2, 3, 4]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)
                                 .where(CaseEvent.trigger == "notify")) == 4


def test_cli_sample_and_a_print_run_of_the_demo_cases(demo_app, tmp_path):
    from caseflow.cli import main
    from caseflow.letters.kinds import CLI_KINDS, PARTIES
    from caseflow.letters.samples import SAMPLE_RECIPIENTS

    runner = demo_app.test_cli_runner()
    assert set(CLI_KINDS) == {"bank-account", "apology", "viewed-notice", "holder-notice"}
    for kind in CLI_KINDS:
        out = tmp_path / f"{kind}.pdf"
        result = runner.invoke(main, ["letters", "sample", "--kind", kind, "--out", str(out)])
        assert result.exit_code == 0, result.output
        reader = PdfReader(out)
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert abs(float(box.width) / 72 * 25.4 - 210) < 1 and abs(float(box.height) / 72 * 25.4 - 297) < 1
        # the sample case's two people differ: the address block names the kind's party, never the other
        text = squeezed(text_of(out.read_bytes()))
        party = PARTIES[CLI_KINDS[kind]]
        (other,) = set(SAMPLE_RECIPIENTS) - {party}
        assert SAMPLE_RECIPIENTS[party]["name"] + "　様" in text
        assert SAMPLE_RECIPIENTS[other]["name"] not in text

    with demo_app.app_context():
        # The demo follows the rule: every letter goes to its kind's party, whose facts the recipient came from.
        issued = db.session.scalars(sa.select(Letter).order_by(Letter.id)).all()
        assert {letter.kind for letter in issued} == set(LetterKind)
        differ = 0
        for letter in issued:
            facts = operations.party_facts(letter.case, letter.kind.party)
            assert letter.party is letter.kind.party and letter.snapshot["party"] == letter.party.value
            assert letter.snapshot["recipient"]["name"] == facts["name"]
            assert letter.snapshot["recipient"]["address_lines"] == [facts["address"]]
            assert facts["name"] + "　様" in squeezed(text_of(letter.pdf))
            (other,) = set(Party) - {letter.party}
            if (other_name := operations.party_facts(letter.case, other)["name"]) != facts["name"]:
                differ += 1
                assert other_name not in squeezed(text_of(letter.pdf))
            assert letter.case.status is CaseStatus.NOTIFIED
        assert differ
        db.session.remove()
    result = runner.invoke(main, ["letters", "run", "--agency", "022012", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    merged = PdfReader(tmp_path / "run" / "letters.pdf")
    with open(tmp_path / "run" / "manifest.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))[1:]
    assert rows and len(merged.pages) == sum(int(row[3]) for row in rows)
    assert all(row[0].startswith("青市民第") and row[1].startswith("CF-") for row in rows)
    assert "印刷" in text_of((tmp_path / "run" / "cover.pdf").read_bytes())
    again = runner.invoke(main, ["letters", "run", "--agency", "022012", "--out", str(tmp_path / "again")])
    assert again.exit_code != 0 and "印刷する通知文書がありません" in again.output
    unknown = runner.invoke(main, ["letters", "run", "--agency", "nope", "--out", str(tmp_path / "x")])
    assert unknown.exit_code != 0 and "組織コード" in unknown.output


def test_a_print_run_built_again_after_a_killed_worker_leaves_one_set_of_files(letter_case, caseworker, tmp_path):
    operations.issue_letter(db.session, caseworker, letter_case, LetterKind.APOLOGY)
    run = operations.create_print_run(db.session, caseworker)
    folder = operations.print_run_directory(tmp_path, run.id)
    # what a worker killed mid-run leaves: a temporary folder, a half-written file, the run still queued
    leftover = folder.parent / f".run-{run.id}-killed"
    leftover.mkdir(parents=True)
    (leftover / "letters.pdf").write_bytes(b"%PDF-1.7 half")
    operations.build_print_run(db.session, run, root=tmp_path)
    assert run.status is PrintRunStatus.READY
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]
    assert len(PdfReader(folder / "letters.pdf").pages) == run.pages_count
