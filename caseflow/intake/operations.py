"""Opening a case by hand, for an error found outside an inspection; the registry's facts entered later.

A caseworker or supervisor of a linking agency opens a case for a program their organisation links,
with its source (発見の経緯), the record's management number and facts, the linked My Number and, when
known, the registry's facts for that number. The grade and the verdicts come from the inspections'
grader (caseflow.matching.by_hand). Before anything is stored, open cases of the same program with
the same number or management number are shown (PossibleDuplicates) until the person confirms; a
management number already used by any case of the program is refused (RecordIdTaken), and one left
blank is generated (M-000001 …, numbered per agency). Lists go through caseflow.intake.bulk.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from caseflow.cases.kernel import check_version, flush_case, open_cases, record_event
from caseflow.cases.models import Case
from caseflow.cases.search import index_case
from caseflow.cases.vocabulary import OPEN_STATUSES, CaseSource, CaseStatus, FieldVerdict, Grade, Sex
from caseflow.core.free_text import guard
from caseflow.core.japanese import ERAS, today_jst
from caseflow.core.limits import REASON_MAX, RECORD_ID_MAX
from caseflow.core.mynumber import normalize_number, number_problem
from caseflow.core.params import has_bad_characters
from caseflow.crypto.keys import lookup_digest
from caseflow.errors import DomainError
from caseflow.intake.models import IntakeSerial
from caseflow.matching.by_hand import Entered, Facts, Grading, grade_entered
from caseflow.matching.fields import MAX_LENGTHS
from caseflow.organizations.models import Organization, Program
from caseflow.policy import Permission, may, require
from caseflow.users.models import User

# Inspection batches open their own cases: a case opened by hand came to light some other way.
INTAKE_SOURCES: tuple[CaseSource, ...] = tuple(s for s in CaseSource if s is not CaseSource.INSPECTION)
# A management number left blank is generated as M-000001, M-000002 … per agency; typed ones may
# not look like that, so that a generated one is never taken.
GENERATED_PREFIX = "M-"
_GENERATED = re.compile(r"M-[0-9]+")
EARLIEST_BIRTH = ERAS[-1][0]  # 明治元年: the pages write every date in its era too
# While the case is being decided, the registry's facts may be entered (and entered again).
REGISTRY_STATUSES = (CaseStatus.DETECTED, CaseStatus.VERIFYING)
DUPLICATES_SHOWN = 20
FACT_LABELS = {"name": "氏名", "kana": "カナ氏名", "birth_date": "生年月日", "sex": "性別", "address": "住所"}
# The case's verdict keys (caseflow.cases.vocabulary.FACT_FIELDS) and the grader's fields.
_GRADER_FIELD = {"name": "name", "kana": "name_kana", "birth_date": "birth_date", "sex": "sex", "address": "address"}


@dataclass(frozen=True)
class IntakeEntry:
    """One case to open by hand, as typed; ``unreadable``: values that could not be read, and why."""

    program: Program | None
    source: CaseSource | None
    number: str | None
    record: Facts
    registry: Facts | None = None
    source_other: str | None = None
    source_record_id: str | None = None
    unreadable: tuple[str, ...] = ()


class IntakeRefused(DomainError):
    """The entry has problems; ``problems`` lists each in Japanese (never quoting a My Number)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("入力内容を確認してください。" + " ".join(self.problems))


class PossibleDuplicates(DomainError):
    """Open cases of the same program with the same number or management number: shown, then confirmed."""

    status_code = 409
    code = "possible_duplicate"

    def __init__(self, cases: Sequence[Case]) -> None:
        self.cases = list(cases)
        listed = "、".join(f"{c.reference}（{c.status.label}）" for c in self.cases)
        super().__init__(f"同じ事務に、同じ個人番号または管理番号の未完了の案件があります：{listed}。"
                         "重複の可能性を確認したうえで登録する場合は、その旨を指定して登録し直してください。")


class RecordIdTaken(DomainError):
    """A case of the program already has this management number (whatever its status)."""

    status_code = 409
    code = "record_id_taken"

    def __init__(self, case: Case | None) -> None:
        self.case = case
        which = f"（{case.reference}・{case.status.label}）" if case is not None else ""
        super().__init__(f"この事務には、同じ管理番号の案件が既にあります{which}。管理番号を確かめるか、"
                         f"空欄にして自動の番号（{GENERATED_PREFIX}で始まる番号）で登録してください。")


# --- checking what was typed ---------------------------------------------------------------------


def check_may_open(actor: User, program: Program | None) -> Organization:
    """The actor's organisation, if its staff may open a case of ``program`` there; refused otherwise."""
    agency = actor.organization
    require(actor, Permission.CASE_OPEN, agency)
    if program is not None and not program.is_linked_by(agency):
        raise DomainError(f"{agency.name}は「{program.name}」の紐付け実施機関ではないため、この事務の案件は登録"
                          f"できません（この事務を紐付けるのは{program.linking_labels}です）。")
    return agency


def programs_for(session: Session, agency: Organization) -> list[Program]:
    """The programs ``agency`` links: those it may open cases of."""
    return [p for p in session.scalars(sa.select(Program).order_by(Program.id)) if p.is_linked_by(agency)]


def source_problems(source: CaseSource | None, source_other: str | None) -> list[str]:
    """What is wrong with a case's source (発見の経緯) and its text."""
    if source is None:
        return ["発見の経緯を選択してください。"]
    if source is CaseSource.INSPECTION:
        return ["点検で見つかった案件は、点検の登録（点検 → 新しい点検）から登録されます。発見の経緯を選び直してください。"]
    problems = []
    if source is CaseSource.OTHER and not source_other:
        problems.append("発見の経緯が「その他」のときは、その内容を入力してください。")
    if source_other and len(source_other) > REASON_MAX:
        problems.append(f"発見の経緯の内容は{REASON_MAX}文字以内で入力してください。")
    return problems


def facts_problems(facts: Facts, side: str, *, today: dt.date) -> list[str]:
    """What is wrong with one side's facts (``side``: 業務データ or 住民基本台帳)."""
    problems = []
    for key in ("name", "kana", "address"):
        value = getattr(facts, key)
        limit = MAX_LENGTHS["name_kana" if key == "kana" else key]
        if value is not None and len(value) > limit:
            problems.append(f"{side}の{FACT_LABELS[key]}は{limit}文字以内で入力してください。")
        if value is not None and has_bad_characters(value):
            problems.append(f"{side}の{FACT_LABELS[key]}に使用できない文字（制御文字など）が含まれています。")
    if facts.birth_date is not None:
        if facts.birth_date > today:
            problems.append(f"{side}の生年月日が未来の日付です。")
        elif facts.birth_date < EARLIEST_BIRTH:
            problems.append(f"{side}の生年月日は明治元年（{EARLIEST_BIRTH:%Y年%m月%d日}）以降の日付で入力してください。")
    if facts.sex is not None and facts.sex not in {s.value for s in Sex}:
        problems.append(f"{side}の性別は男または女を選んでください（不明のときは空欄）。")
    return problems


def entry_problems(entry: IntakeEntry, *, today: dt.date) -> list[str]:
    """Every problem of an entry, in the form's order (empty when it can be opened)."""
    problems = list(entry.unreadable)
    if entry.program is None:
        problems.append("事務を選択してください。")
    problems += source_problems(entry.source, entry.source_other)
    record_id = entry.source_record_id
    if record_id is not None:
        if len(record_id) > RECORD_ID_MAX:
            problems.append(f"管理番号は{RECORD_ID_MAX}文字以内で入力してください。")
        elif _GENERATED.fullmatch(record_id):
            problems.append(f"「{GENERATED_PREFIX}」と数字だけの管理番号は、自動で付ける番号のため使えません。")
        elif has_bad_characters(record_id):
            problems.append("管理番号に使用できない文字（制御文字など）が含まれています。")
    problem = number_problem(entry.number)  # its words never quote the number
    if problem:
        problems.append(problem)
    if entry.record.is_empty():
        problems.append("業務データの情報（氏名・カナ氏名・生年月日・性別・住所）を1つ以上入力してください。")
    problems += facts_problems(entry.record, "業務データ", today=today)
    if entry.registry is not None:
        problems += facts_problems(entry.registry, "住民基本台帳", today=today)
    return problems


# --- duplicates and management numbers ---------------------------------------------------------------


def possible_duplicates(session: Session, agency: Organization, program: Program, *, numbers: Iterable[str] = (),
                        record_ids: Iterable[str] = ()) -> list[Case]:
    """Open cases of ``agency`` and ``program`` with one of these My Numbers or management numbers."""
    digests = {lookup_digest(n) for n in numbers}
    ids = set(record_ids)
    if not digests and not ids:
        return []
    return list(session.scalars(
        sa.select(Case).where(Case.agency_id == agency.id, Case.program_id == program.id,
                              Case.status.in_(OPEN_STATUSES),
                              sa.or_(Case.registered_number_digest.in_(digests), Case.source_record_id.in_(ids)))
        .order_by(Case.id)))


def cases_with_record_ids(session: Session, agency: Organization, program: Program,
                          record_ids: Iterable[str]) -> dict[str, Case]:
    """The cases (any status) of ``agency`` and ``program`` already holding these management numbers."""
    ids = set(record_ids)
    if not ids:
        return {}
    found = session.scalars(sa.select(Case).where(Case.agency_id == agency.id, Case.program_id == program.id,
                                                  Case.source_record_id.in_(ids)))
    return {case.source_record_id: case for case in found}


def generated_record_ids(session: Session, agency: Organization, count: int) -> list[str]:
    """``count`` new management numbers of the agency (M-000001 …), taken in one statement.

    As letters' document numbers (caseflow.letters.operations.next_serial): one UPDATE … RETURNING
    on the agency's row, so concurrent intakes queue on its lock and each gets numbers of its own.
    """
    if count <= 0:
        return []
    table = IntakeSerial.__table__
    bump = (table.update().where(table.c.agency_id == agency.id)
            .values(last_serial=table.c.last_serial + count).returning(table.c.last_serial))
    last = session.execute(bump).scalar_one_or_none()
    if last is None:
        try:
            with session.begin_nested():
                session.execute(table.insert().values(agency_id=agency.id, last_serial=0))
        except IntegrityError:
            pass  # another intake created the row first
        last = session.execute(bump).scalar_one()
    return [f"{GENERATED_PREFIX}{serial:06d}" for serial in range(last - count + 1, last + 1)]


# --- opening ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """An entry checked and graded, ready to open: its number normalised, its management number (None: generated)."""

    entry: IntakeEntry
    number: str
    grading: Grading
    record_id: str | None = None


def open_by_hand(session: Session, actor: User, entry: IntakeEntry, *, confirm_duplicate: bool = False) -> Case:
    """Open one case by hand for the actor's organisation, graded, with its 「手入力で登録」 event.

    Refused (IntakeRefused) with every problem of the entry; refused (RecordIdTaken) when the
    program already has a case with the management number; refused (PossibleDuplicates) while open
    cases of the program have the same number or management number, unless ``confirm_duplicate``.
    """
    agency = check_may_open(actor, entry.program)
    problems = entry_problems(entry, today=today_jst())
    if problems:
        raise IntakeRefused(problems)
    number = normalize_number(entry.number)
    ids = [entry.source_record_id] if entry.source_record_id else []
    taken = cases_with_record_ids(session, agency, entry.program, ids)
    if taken:
        raise RecordIdTaken(next(iter(taken.values())))
    if not confirm_duplicate:
        duplicates = possible_duplicates(session, agency, entry.program, numbers=[number], record_ids=ids)
        if duplicates:
            raise PossibleDuplicates(duplicates[:DUPLICATES_SHOWN])
    (grading,) = grade_entered([Entered(number, entry.record, entry.registry)])
    prepared = Prepared(entry, number, grading, entry.source_record_id)
    return open_prepared(session, actor, agency, [prepared])[0]


def open_prepared(session: Session, actor: User, agency: Organization, prepared: Sequence[Prepared], *,
                  details: dict | None = None) -> list[Case]:
    """Open a case for each checked entry, in bulk (management numbers generated for those without one).

    Each case's first event is 「手入力で登録」 by ``actor`` with its source (and ``details``). A
    management number taken meanwhile by another person's intake is refused (RecordIdTaken) and
    nothing of this call is kept. Returns the cases in the entries' order.
    """
    generated = iter(generated_record_ids(session, agency, sum(1 for p in prepared if not p.record_id)))
    record_ids = [item.record_id or next(generated) for item in prepared]
    # The kernel inserts these rows as they are: free text goes through the guard here.
    extra = {key: guard(session, value) for key, value in (details or {}).items()}
    groups: dict[tuple, list[dict]] = {}
    for item, record_id in zip(prepared, record_ids, strict=True):
        source_other = guard(session, item.entry.source_other)
        groups.setdefault((item.entry.source, source_other), []).append(
            _case_row(actor, agency, item, record_id, source_other))
    try:
        with session.begin_nested():
            for (source, source_other), rows in groups.items():
                open_cases(session, rows, actor=actor, trigger="open_by_hand",
                           details={"source": source.value, "source_other": source_other, **extra})
    except IntegrityError:
        raise RecordIdTaken(None) from None
    program_ids = {item.entry.program.id for item in prepared}
    # populate_existing: an id given back by a rolled-back savepoint (SQLite) may still be in the session.
    found = {(case.program_id, case.source_record_id): case for case in session.scalars(
        sa.select(Case).where(Case.agency_id == agency.id, Case.program_id.in_(program_ids),
                              Case.source_record_id.in_(record_ids)).execution_options(populate_existing=True))}
    return [found[item.entry.program.id, record_id] for item, record_id in zip(prepared, record_ids, strict=True)]


def _case_row(actor: User, agency: Organization, item: Prepared, record_id: str, source_other: str | None) -> dict:
    entry = item.entry
    return {"program_id": entry.program.id, "agency_id": agency.id, "source_record_id": record_id,
            "registered_number": item.number, "source": entry.source, "source_other": source_other,
            "opened_by_id": actor.id, **_facts_columns("record", entry.record),
            **_facts_columns("registry", entry.registry or Facts()), **_grading_columns(item.grading)}


def _facts_columns(side: str, facts: Facts) -> dict:
    return {f"{side}_name": facts.name, f"{side}_kana": facts.kana, f"{side}_birth_date": facts.birth_date,
            f"{side}_sex": Sex(facts.sex) if facts.sex else None, f"{side}_address": facts.address}


def _grading_columns(grading: Grading) -> dict:
    verdicts = {key: grading.verdicts[field] for key, field in _GRADER_FIELD.items()}
    return {"grade": Grade(grading.grade), "grade_reason": grading.reason or None, "field_verdicts": verdicts,
            "birth_or_sex_mismatch": FieldVerdict.MISMATCH.value in (verdicts["birth_date"], verdicts["sex"])}


# --- the registry's facts, entered later ------------------------------------------------------------


def may_enter_registry(user: User, case: Case) -> bool:
    """Whether ``user`` may enter the registry's facts of ``case`` now (the case page offers the form)."""
    return case.opened_by_hand and case.status in REGISTRY_STATUSES and may(user, Permission.CASE_ACT, case)


def record_facts(case: Case) -> Facts:
    """The business record's facts of a case, as the grader reads them."""
    return Facts(name=case.record_name, kana=case.record_kana, birth_date=case.record_birth_date,
                 sex=case.record_sex.value if case.record_sex else None, address=case.record_address)


def enter_registry_facts(case: Case, actor: User, registry: Facts, *, expected_version: int | None = None,
                         unreadable: Sequence[str] = ()) -> Case:
    """Enter (or enter again) the registry's facts of a hand-opened case and grade it again.

    The facts replace those entered before; the timeline records which were entered and the grade
    before and after (not the facts themselves: they are kept encrypted on the case only).
    """
    require(actor, Permission.CASE_ACT, case, action="住民基本台帳の情報の入力")
    check_version(case, expected_version)
    if not case.opened_by_hand:
        raise DomainError("住民基本台帳の情報を入力できるのは、手入力で登録した案件だけです（点検の案件は点検の"
                          "住民基本台帳データで照合しています）。")
    if case.status not in REGISTRY_STATUSES:
        raise DomainError(f"この案件は現在「{case.status.label}」のため、住民基本台帳の情報は入力できません"
                          "（検出・確認中の案件のみ）。")
    problems = list(unreadable)
    if registry.is_empty() and not problems:
        problems.append("住民基本台帳の情報（氏名・カナ氏名・生年月日・性別・住所）を1つ以上入力してください。")
    problems += facts_problems(registry, "住民基本台帳", today=today_jst())
    if problems:
        raise IntakeRefused(problems)
    previous = case.grade
    (grading,) = grade_entered([Entered(case.registered_number, record_facts(case), registry)])
    for column, value in (_facts_columns("registry", registry) | _grading_columns(grading)).items():
        setattr(case, column, value)
    record_event(case, actor, "enter_registry", previous_grade=previous.value, grade=grading.grade,
                 fields=[key for key in FACT_LABELS if getattr(registry, key) is not None])
    index_case(case)  # the holder's name, kana and birth date are searched for (caseflow.cases.search)
    flush_case(case)
    return case
