"""Reference data (programs, organisations) and the demo data set, from seed/.

Everything is keyed by a natural key (organisation code, program name, user
login, agency + program + record id), so loading twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import sys
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from caseflow import ROOT
from caseflow.cases import kernel, operations
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import (
    CaseSource,
    CaseStatus,
    Cause,
    CorrectionOutcome,
    DismissReason,
    FieldVerdict,
    Grade,
    IdentityMethod,
    NotificationMethod,
    Party,
    Sex,
    ViewedOnPortal,
)
from caseflow.core.japanese import today_jst
from caseflow.core.mynumber import check_digit
from caseflow.letters import operations as letter_operations
from caseflow.organizations.models import (
    CorrectionKind,
    Organization,
    OrganizationCategory,
    OrganizationKind,
    Program,
)
from caseflow.organizations.rules import organization_problems, program_profile_problems
from caseflow.surveys.demo import load_demo_survey
from caseflow.users.models import Role, User
from caseflow.users.operations import create_user

SEED_DIR = ROOT / "seed"
DEMO_CASE_COUNT = 200
DEMO_PASSWORD_ENV = "CASEFLOW_DEMO_PASSWORD"
DEFAULT_DEMO_PASSWORD = "caseflow-demo"  # demo data only; documented in the README


@dataclass
class SeedSummary:
    created: Counter = field(default_factory=Counter)
    existing: Counter = field(default_factory=Counter)

    def describe(self) -> str:
        names = {"organizations": "組織", "programs": "事務", "users": "利用者", "cases": "案件",
                 "batches": "点検"}
        parts = [f"{label}: 新規 {self.created[key]} 件／既存 {self.existing[key]} 件" for key, label in names.items()
                 if self.created[key] or self.existing[key]]
        return "\n".join(parts)


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEED_DIR / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def demo_password() -> str:
    return os.environ.get(DEMO_PASSWORD_ENV) or DEFAULT_DEMO_PASSWORD


def load_reference(session: Session, summary: SeedSummary | None = None) -> SeedSummary:
    """Organisations, the 24 programs of the 2023 inspection with their ministries, and its published tables."""
    summary = summary or SeedSummary()
    orgs = {o.code: o for o in session.scalars(sa.select(Organization))}
    for row in _rows("organizations.csv"):
        org = orgs.get(row["code"])
        if org is None:
            org = Organization(code=row["code"])
            session.add(org)
            orgs[org.code] = org
            summary.created["organizations"] += 1
        else:
            summary.existing["organizations"] += 1
        org.name = row["name"]
        org.kind = OrganizationKind(row["kind"])
        org.category = OrganizationCategory(row["category"]) if row["category"] else None
        org.prefecture = row["prefecture"] or None
        _refuse("organizations.csv", row["code"], organization_problems(
            code=org.code, name=org.name, kind=org.kind, category=org.category, prefecture=org.prefecture))
    session.flush()
    by_name = {o.name: o for o in orgs.values()}
    programs = {p.name: p for p in session.scalars(sa.select(Program))}
    code_rows = _rows("program_codes.csv")
    codes = {row["program_name"]: row["code"] for row in code_rows}
    # Whether the number's holder gets a notice of their own (every program but 公金受取口座).
    holder_notices = {row["program_name"]: row["holder_notice"] == "yes" for row in code_rows}
    # Which facts each program holds, which kinds of organisation link it, how it is corrected.
    profiles = {row["code"]: row for row in _rows("program_profiles.csv")}
    for row in _rows("programs_2023_inspection.csv"):
        ministry = by_name[row["responsible_ministry"]]
        program = programs.get(row["program_name"])
        if program is None:
            program = Program(name=row["program_name"])
            session.add(program)
            summary.created["programs"] += 1
        else:
            summary.existing["programs"] += 1
        program.ministry_id = ministry.id
        program.code = codes[row["program_name"]]
        program.holder_notice = holder_notices[row["program_name"]]
        profile = profiles[program.code]
        program.facts_held = profile["facts"].split()
        program.linking_categories = profile["linking"].split()
        program.correction_kind = CorrectionKind(profile["correction"])
        _refuse("program_profiles.csv", program.code,
                program_profile_problems(program.facts_held, program.linking_categories))
    session.flush()
    # The 2023 published figures, as aggregate data for the reports (replaced if loaded before).
    from caseflow.reports.published import import_published
    from caseflow.reports.published_tables import import_published_tables

    import_published(session, SEED_DIR / "programs_2023_inspection.csv", "2023")
    # and its other tables: per agency, footnote figures, support-tool grades, the trial
    import_published_tables(session, SEED_DIR, "2023")
    return summary


def _refuse(file: str, key: str, problems: list[str]) -> None:
    """The reference data keeps the rules the administration pages keep (caseflow.organizations.rules)."""
    if problems:
        raise ValueError(f"seed/{file} {key}: {' '.join(problems)}")


def load_demo(session: Session) -> SeedSummary:
    """Reference data, one user per demo login and about 200 cases spread over every status."""
    summary = load_reference(session)
    orgs = {o.code: o for o in session.scalars(sa.select(Organization))}
    for row in _rows("demo_users.csv"):
        if session.scalar(sa.select(User.id).where(User.login == row["login"])) is not None:
            summary.existing["users"] += 1
            continue
        create_user(session, login=row["login"], display_name=row["display_name"],
                    organization=orgs[row["organization_code"]],
                    roles={Role(r) for r in row["roles"].split()}, password=demo_password())
        summary.created["users"] += 1
    _load_demo_letterheads(session)
    _load_demo_cases(session, summary)
    _load_demo_inspection(session, summary)
    load_demo_survey(session)
    return summary


def _load_demo_letterheads(session: Session) -> None:
    """What the demo organisations' letters print (fictional issuers and telephone numbers)."""
    orgs = {o.code: o for o in session.scalars(sa.select(Organization))}
    for row in _rows("demo_letterheads.csv"):
        orgs[row["code"]].letterhead = {key: value for key, value in row.items() if key != "code"}
    session.flush()


DEMO_BATCH_FILES = ("demo-records.csv", "demo-registry.csv")
DEMO_BATCH_SIZE = 600


def _load_demo_inspection(session: Session, summary: SeedSummary) -> None:
    """One inspection batch of 弘前市 on generated data: real grades, B and C cases with verdicts."""
    import io

    from caseflow.core.storage import files_root
    from caseflow.inspections.models import InspectionBatch
    from caseflow.inspections.operations import run_inspection, start_inspection
    from caseflow_synthetic import generate

    agency = session.scalars(sa.select(Organization).where(Organization.code == "022021")).one()
    program = session.scalars(sa.select(Program).where(Program.code == "disability-handbook")).one()
    exists = session.scalar(sa.select(InspectionBatch.id).where(
        InspectionBatch.agency_id == agency.id, InspectionBatch.records_filename == DEMO_BATCH_FILES[0]))
    if exists is not None:
        summary.existing["batches"] += 1
        return
    registry, records, _truth = generate(DEMO_BATCH_SIZE, seed=2023)
    files = []
    for frame in (records, registry):
        buffer = io.BytesIO()
        frame.write_csv(buffer)
        files.append(buffer.getvalue())
    batch = start_inspection(session, None, agency=agency, program=program,
                             records=(DEMO_BATCH_FILES[0], files[0]), registry=(DEMO_BATCH_FILES[1], files[1]),
                             root=files_root())
    run_inspection(session, batch, root=files_root())
    summary.created["batches"] += 1


# --- demo cases ---------------------------------------------------------------

# How many of the demo cases end in each status.
STATUS_MIX = (
    (CaseStatus.DETECTED, 0.30),
    (CaseStatus.VERIFYING, 0.20),
    (CaseStatus.CONFIRMED, 0.14),
    (CaseStatus.FALSE, 0.14),
    (CaseStatus.CORRECTED, 0.12),
    (CaseStatus.NOTIFIED, 0.10),
)


def _valid_number(rng: random.Random) -> str:
    first = "".join(str(rng.randint(0, 9)) for _ in range(11))
    return first + str(check_digit(first))


def _kanji_numeral(n: int) -> str:
    digits = "〇一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _person(rng: random.Random, people: dict, agency_code: str) -> dict:
    sex = rng.choice([Sex.MALE, Sex.FEMALE])
    surname, surname_kana = rng.choice(people["surnames"])
    given, given_kana = rng.choice(people["given_male" if sex is Sex.MALE else "given_female"])
    postal, town = rng.choice(people["addresses"][agency_code])
    block, lot = rng.randint(1, 20), rng.randint(1, 30)
    return {
        "surname": surname, "given": given,
        "name": f"{surname}　{given}", "kana": f"{surname_kana}　{given_kana}",
        "birth_date": dt.date(1935, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 85)),
        "sex": sex, "postal": postal, "town": town, "block": block, "lot": lot,
        "address": f"{town}{block}番{lot}号",
    }


def _scenario(rng: random.Random, people: dict, agency_code: str) -> dict:
    """Business-record and registry facts for one demo case, graded as detection would."""
    person = _person(rng, people, agency_code)
    record = {k: person[k] for k in ("name", "kana", "birth_date", "sex", "address")}
    verdicts = {f: FieldVerdict.MATCH.value for f in record}
    kind = rng.choices(["typo", "surname", "move", "family", "other", "birth"], [3, 2, 2, 2, 2, 1])[0]
    registry = dict(record)
    registry_postal = person["postal"]
    if kind == "typo":
        registry["kana"] = person["kana"].replace("ウ", "ー", 1) if "ウ" in person["kana"] else person["kana"] + "ー"
        registry["address"] = f"{person['town']}{_kanji_numeral(person['block'])}番地{person['lot']}"
        verdicts.update(kana=FieldVerdict.MINOR.value, address=FieldVerdict.NOTATION.value)
        grade, reason = Grade.B, "カナ氏名に1文字の相違があります（入力誤りの可能性）。"
    elif kind == "surname":
        other, other_kana = rng.choice(people["surnames"])
        registry["name"] = f"{other}　{person['given']}"
        registry["kana"] = other_kana + "　" + person["kana"].split("　")[1]
        verdicts.update(name=FieldVerdict.MISMATCH.value, kana=FieldVerdict.MISMATCH.value)
        grade, reason = Grade.B, "氏のみ異なり、名・生年月日・性別・住所は一致（改姓の未届の可能性）。"
    elif kind == "move":
        other = _person(rng, people, agency_code)
        registry["address"] = other["address"]
        registry_postal = other["postal"]
        verdicts.update(address=FieldVerdict.MISMATCH.value)
        grade, reason = Grade.B, "住所のみ異なります（転居の未届の可能性）。"
    elif kind == "family":
        relative = _person(rng, people, agency_code)
        registry.update(name=f"{person['surname']}　{relative['given']}",
                        kana=person["kana"].split("　")[0] + "　" + relative["kana"].split("　")[1],
                        birth_date=relative["birth_date"], sex=relative["sex"])
        verdicts.update(name=FieldVerdict.MISMATCH.value, kana=FieldVerdict.MISMATCH.value,
                        birth_date=FieldVerdict.MISMATCH.value,
                        sex=FieldVerdict.MATCH.value if relative["sex"] is person["sex"] else FieldVerdict.MISMATCH.value)
        grade, reason = Grade.C, "氏と住所が一致し、名と生年月日が異なります（家族の番号の可能性）。"
    elif kind == "birth":
        registry["birth_date"] = person["birth_date"] + dt.timedelta(days=rng.choice([-365, 31, 3653]))
        verdicts.update(birth_date=FieldVerdict.MISMATCH.value)
        grade, reason = Grade.C, "生年月日が一致しません（別人の可能性）。"
    else:
        other = _person(rng, people, agency_code)
        registry = {k: other[k] for k in ("name", "kana", "birth_date", "sex", "address")}
        registry_postal = other["postal"]
        verdicts = {f: FieldVerdict.MISMATCH.value for f in record}
        if other["sex"] is person["sex"]:
            verdicts["sex"] = FieldVerdict.MATCH.value
        grade, reason = Grade.C, "氏名と生年月日がいずれも異なります（別人の番号の可能性）。"
    return {"record": record, "registry": registry, "verdicts": verdicts, "grade": grade,
            "reason": reason, "kind": kind,
            # each party's postal code, of the town of their address (Japan Post's, checked on entry)
            "postal": {Party.RECORD_PERSON: person["postal"], Party.NUMBER_HOLDER: registry_postal}}


def _staff(session: Session, org: Organization) -> tuple[User, User]:
    """The first demo caseworker and supervisor of an organisation."""
    users = session.scalars(sa.select(User).where(User.organization_id == org.id).order_by(User.id)).all()
    caseworker = next(u for u in users if u.has_role(Role.CASEWORKER))
    supervisor = next(u for u in users if u.has_role(Role.SUPERVISOR))
    return caseworker, supervisor


def _load_demo_cases(session: Session, summary: SeedSummary) -> None:
    people = json.loads((SEED_DIR / "demo_people.json").read_text(encoding="utf-8"))
    rng = random.Random(2023)
    orgs = {o.code: o for o in session.scalars(sa.select(Organization))}
    programs = {p.name: p for p in session.scalars(sa.select(Program))}
    existing = set(session.scalars(sa.select(Case.source_record_id).where(Case.source_record_id.like("DEMO-%"))))
    agency_weights = {"022012": 0.4, "022021": 0.3, "020001": 0.15, "digital": 0.15}
    statuses = [s for s, share in STATUS_MIX for _ in range(round(share * DEMO_CASE_COUNT))]
    rng.shuffle(statuses)
    hand_opened = {statuses.index(status) + 1: source for status, source in DEMO_HAND_OPENED}
    today = today_jst()
    letters_issued: Counter[str] = Counter()
    for index, target in enumerate(statuses[:DEMO_CASE_COUNT], start=1):
        # Draw everything for this case first, so the sequence is the same whether or not it exists.
        agency_code = rng.choices(list(agency_weights), list(agency_weights.values()))[0]
        program_name = rng.choice(people["agency_programs"][agency_code])
        scenario = _scenario(rng, people, agency_code)
        number = _valid_number(rng)
        linked_number = _valid_number(rng)
        due_offset = rng.randint(-10, 40)
        cause = Cause.SHARED_TERMINAL_LOGOUT if agency_code == "digital" else rng.choice(
            [c for c in Cause if c not in (Cause.SHARED_TERMINAL_LOGOUT, Cause.OTHER)])
        viewed = rng.choices(list(ViewedOnPortal), [1, 8, 1])[0]
        record_id = f"DEMO-{index:04d}"
        if record_id in existing:
            summary.existing["cases"] += 1
            continue
        agency = orgs[agency_code]
        record, registry = scenario["record"], scenario["registry"]
        case = kernel.open_case(
            session,
            program=programs[program_name], agency=agency, source_record_id=record_id,
            registered_number=number,
            grade=scenario["grade"], field_verdicts=scenario["verdicts"], grade_reason=scenario["reason"],
            due_date=today + dt.timedelta(days=due_offset), **_hand_opened(session, hand_opened.get(index), agency),
            **{f"record_{k}": v for k, v in record.items()},
            **{f"registry_{k}": v for k, v in registry.items()},
        )
        rng.randint(0, 9999)  # once a made-up postal code: still drawn, so that the demo cases stay the same
        _drive(case, target, _staff(session, agency), scenario["kind"], cause, viewed, linked_number, scenario["postal"],
               issue_letter=letters_issued[agency_code] < DEMO_LETTERS_PER_AGENCY)
        if case.status is CaseStatus.NOTIFIED and letters_issued[agency_code] < DEMO_LETTERS_PER_AGENCY:
            letters_issued[agency_code] += 1
        summary.created["cases"] += 1
    session.flush()


# A few demo cases were opened by hand (caseflow.intake) by the agency's caseworker, each from another
# source: the first case that ends in each of these statuses.
DEMO_HAND_OPENED = ((CaseStatus.DETECTED, CaseSource.RESIDENT_REPORT), (CaseStatus.VERIFYING, CaseSource.ELIGIBILITY_CHECK),
                    (CaseStatus.CONFIRMED, CaseSource.MINISTRY_NOTICE), (CaseStatus.NOTIFIED, CaseSource.PAST_UNREPORTED))


def _hand_opened(session: Session, source: CaseSource | None, agency: Organization) -> dict:
    """open_case's arguments that make a demo case one opened by hand from ``source`` (None: an inspection's)."""
    if source is None:
        return {}
    caseworker, _supervisor = _staff(session, agency)
    return {"source": source, "opened_by_id": caseworker.id, "actor": caseworker, "trigger": "open_by_hand",
            "details": {"source": source.value}}


# Demo letters are rendered for real (WeasyPrint); a few per organisation make a print run.
DEMO_LETTERS_PER_AGENCY = 4


def _drive(case: Case, target: CaseStatus, staff: tuple[User, User], kind: str, cause: Cause,
           viewed: ViewedOnPortal, linked_number: str, postal_codes: dict[Party, str], *,
           issue_letter: bool) -> None:
    """Take a new case to ``target`` through the real operations, as staff would.

    A corrected case gets a recipient for each party its letters are for, from that party's own
    facts (the record's person's from the extract, the holder's from the registry); with
    ``issue_letter`` a notified one is notified by the letters it calls for, each to its kind's
    party, otherwise recorded as mailed.
    """
    caseworker, supervisor = staff
    if target is CaseStatus.DETECTED:
        return
    operations.start_verification(case, caseworker)
    if target is CaseStatus.VERIFYING:
        return
    if target is CaseStatus.FALSE:
        # Proposed by the caseworker with a reason the verdicts allow, approved by the supervisor.
        reason = {"surname": DismissReason.SURNAME_CHANGE, "move": DismissReason.UNREPORTED_MOVE,
                  "typo": DismissReason.NOTATION_DIFFERENCE, "birth": DismissReason.OWN_DATA_ENTRY_ERROR,
                  }.get(kind, DismissReason.OTHER)
        operations.propose_dismissal(
            case, caseworker, dismiss_reason=reason,
            dismiss_reason_other="業務データに世帯員の氏名・生年月日を誤って入力していた（番号は本人のもの）"
            if reason is DismissReason.OTHER else None,
            comment="住民票の写しと申請書を照合し、本人の番号であることを確認。")
        operations.approve_dismissal(case, supervisor, comment="照合結果と確認の経緯を確認しました。")
        return
    operations.confirm_case(case, caseworker, cause=cause, viewed_on_portal=viewed,
                            viewed_what="受給者証の情報" if viewed is ViewedOnPortal.YES else None,
                            viewing_suspended=True, identity_method=IdentityMethod.ASKED_THE_PERSON,
                            identity_verified_on=today_jst(), comment="本人に電話で確認し、別人の番号と判明。")
    if target is CaseStatus.CONFIRMED:
        return
    if case.program.correction_kind is CorrectionKind.ACCOUNT_DELETION:
        operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                      outcome=CorrectionOutcome.ACCOUNT_DELETED,
                                      note="誤って登録された口座を削除し、番号の保有者に再登録を依頼。")
    else:
        outcome = CorrectionOutcome.LINKED if kind != "other" else CorrectionOutcome.UNLINKED
        facts = 4 if case.record_sex is not None else 3
        operations.propose_correction(case, caseworker, wrong_number_removed=True, outcome=outcome,
                                      linked_number=linked_number if outcome is CorrectionOutcome.LINKED else None,
                                      query_facts=facts, query_matches=1 if outcome is CorrectionOutcome.LINKED else 3,
                                      note="住基照会で1人に特定。" if outcome is CorrectionOutcome.LINKED else
                                      "住基照会で複数人が該当したため、本人特定まで紐付けを保留。")
    operations.approve_correction(case, supervisor, comment="照会結果を確認しました。")
    kinds = letter_operations.letter_kinds_for(case)
    for party in [party for party in Party if any(letter_kind.party is party for letter_kind in kinds)]:
        facts = letter_operations.party_facts(case, party)
        letter_operations.set_recipient(case, caseworker, party=party, name=facts["name"],
                                        postal_code=postal_codes[party], address=facts["address"])
    if target is CaseStatus.CORRECTED:
        return
    if issue_letter:
        for letter_kind in letter_operations.required_letter_kinds(case):
            letter_operations.issue_letter(object_session(case), caseworker, case, letter_kind)
        return
    operations.notify_case(case, caseworker, notified_on=today_jst(),
                           notification_method=NotificationMethod.MAIL)


def print_logins(url: str) -> None:
    rows = _rows("demo_users.csv")
    print()
    print(f"CaseFlow を起動します: {url}")
    print(f"デモ用ログイン（パスワードはすべて {demo_password()}）:")
    for row in rows:
        roles = "／".join(Role(r).label for r in row["roles"].split())
        print(f"  {row['login']:<22} {row['display_name']}（{roles}）")
    print("承認者とシステム管理者は、パスワードの後に確認コード（認証アプリの6桁）を入力します。"
          "初回ログイン時に表示される鍵を認証アプリに登録してください。")
    print()


if __name__ == "__main__":  # python -m caseflow.seeding --print-logins URL
    if len(sys.argv) == 3 and sys.argv[1] == "--print-logins":
        print_logins(sys.argv[2])
    else:
        raise SystemExit("usage: python -m caseflow.seeding --print-logins URL")
