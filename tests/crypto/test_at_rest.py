"""What the database holds: ciphertext for My Numbers and the registry facts, on both backends."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.cases import operations
from caseflow.cases.models import Case, Correction
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome, Sex
from caseflow.crypto.keys import lookup_digest
from caseflow.crypto.types import DecryptionError
from caseflow.extensions import db
from caseflow.inspections.operations import run_inspection, start_inspection
from tests.backends import require_service
from tests.conftest import valid_number
from tests.crypto.conftest import REGISTRY_ADDRESS, REGISTRY_KANA, REGISTRY_NAME
from tests.inspections.test_inspections import PEOPLE, records_file, registry_file

ENCRYPTED = ("registered_number", "registry_name", "registry_kana", "registry_birth_date", "registry_sex",
             "registry_address")


def _raw(session, case_id: int) -> dict:
    row = session.execute(sa.text(f"SELECT {', '.join(ENCRYPTED)}, registered_number_digest FROM cases "
                                  "WHERE id = :id"), {"id": case_id}).one()
    return dict(row._mapping)


def test_the_orm_reads_back_what_it_wrote_and_the_database_holds_ciphertext(session, make_case, caseworker):
    case = make_case(CaseStatus.CONFIRMED, registry_name=REGISTRY_NAME, registry_kana=REGISTRY_KANA,
                     registry_birth_date=dt.date(1980, 2, 29), registry_sex=Sex.FEMALE,
                     registry_address=REGISTRY_ADDRESS)
    correction = operations.propose_correction(case, caseworker, wrong_number_removed=True,
                                               outcome=CorrectionOutcome.LINKED, linked_number=valid_number(4242),
                                               query_facts=4, query_matches=1)
    number = case.registered_number
    session.expire_all()
    loaded = session.get(Case, case.id)
    assert (loaded.registered_number, loaded.registry_name, loaded.registry_kana, loaded.registry_birth_date,
            loaded.registry_sex, loaded.registry_address) == (number, REGISTRY_NAME, REGISTRY_KANA,
                                                              dt.date(1980, 2, 29), Sex.FEMALE, REGISTRY_ADDRESS)
    assert session.get(Correction, correction.id).linked_number == valid_number(4242)

    raw = _raw(session, case.id)
    assert all(raw[name].startswith("v1:test1:") for name in ENCRYPTED)
    assert number not in raw["registered_number"] and REGISTRY_NAME not in raw["registry_name"]
    assert raw["registered_number_digest"] == lookup_digest(number) and len(raw["registered_number_digest"]) == 64
    linked = session.execute(sa.text("SELECT linked_number FROM corrections WHERE id = :id"),
                             {"id": correction.id}).scalar_one()
    assert linked.startswith("v1:test1:") and valid_number(4242) not in linked


def test_changing_the_number_keeps_the_digest_in_step(session, make_case):
    case = make_case()
    case.registered_number = valid_number(777)
    session.flush()
    assert _raw(session, case.id)["registered_number_digest"] == lookup_digest(valid_number(777))


def test_cases_inserted_in_bulk_by_an_inspection_are_encrypted_too(app, session, agency, program, caseworker):
    batch = start_inspection(session, caseworker, agency=agency, program=program,
                             records=("records.csv", records_file()), registry=("registry.csv", registry_file()),
                             root=app.instance_path)
    run_inspection(session, batch, root=app.instance_path)
    session.flush()
    session.expire_all()
    cases = {c.source_record_id: c for c in session.scalars(sa.select(Case).where(Case.batch_id == batch.id))}
    assert sorted(cases) == ["R2", "R3", "R4"]
    family = cases["R2"]  # the wife's record with the husband's number: his registry facts
    husband = PEOPLE[0]
    assert (family.registered_number, family.registry_name, family.registry_kana, family.registry_birth_date,
            family.registry_sex, family.registry_address) == (husband[0], husband[1], husband[2],
                                                              dt.date(1970, 3, 2), Sex.MALE, husband[5])
    for case in cases.values():
        raw = _raw(session, case.id)
        assert raw["registered_number"].startswith("v1:test1:")
        assert all(raw[name] is None or raw[name].startswith("v1:test1:") for name in ENCRYPTED)
        assert raw["registered_number_digest"] == lookup_digest(case.registered_number)


def test_a_value_moved_to_another_column_fails_to_load_with_a_clear_error(session, make_case):
    case = make_case(registry_name=REGISTRY_NAME)
    number = case.registered_number
    session.execute(sa.text("UPDATE cases SET registry_kana = registry_name WHERE id = :id"), {"id": case.id})
    session.expire_all()
    with pytest.raises(DecryptionError, match=r"cases\.registry_kana \(key test1\): the value was altered or "
                                              "belongs to another column") as moved:
        session.get(Case, case.id)
    assert REGISTRY_NAME not in str(moved.value) and number not in str(moved.value)


def test_an_altered_value_fails_to_load_with_a_clear_error(session, make_case):
    case = make_case()
    number = case.registered_number
    stored = _raw(session, case.id)["registered_number"]
    altered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    session.execute(sa.text("UPDATE cases SET registered_number = :v WHERE id = :id"), {"v": altered, "id": case.id})
    session.expire_all()
    with pytest.raises(DecryptionError, match=r"cases\.registered_number \(key test1\)") as tampered:
        session.get(Case, case.id)
    assert number not in str(tampered.value) and stored[9:] not in str(tampered.value)


def test_the_database_files_hold_no_my_number_nor_registry_fact(world, tmp_path):
    """SQLite: the file's bytes; PostgreSQL: a pg_dump of the database."""
    url = sa.make_url(world.app.config["DATABASE_URL"])
    db.state(world.app).engine.dispose()  # SQLite: the last connection out checkpoints the WAL
    if url.get_backend_name() == "sqlite":
        path = Path(url.database)
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    else:
        require_service("pg_dump", None if shutil.which("pg_dump") else "pg_dump が見つかりません")
        env = {**os.environ, "PGHOST": url.host or "", "PGPORT": str(url.port or 5432),
               "PGUSER": url.username or "", "PGDATABASE": url.database}
        if url.password:
            env["PGPASSWORD"] = url.password
        stored = subprocess.run(["pg_dump", "--no-owner", "--no-privileges"], env=env, check=True,
                                capture_output=True).stdout
    assert b"v1:test1:" in stored and "山田　太郎".encode() in stored  # the rows are there (record side in clear)
    for number in world.numbers:
        assert number.encode() not in stored
    for fact in (REGISTRY_NAME, REGISTRY_KANA, REGISTRY_ADDRESS):
        assert fact.encode() not in stored
