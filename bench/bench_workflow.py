"""Workflow benchmark: load N cases with their allowed actions, and fire transitions.

    .venv/bin/python bench/bench_workflow.py [--cases 10000] [--database-url URL]

Prints figures; asserts nothing. Default database: a fresh SQLite file in a temp folder.
With --database-url, the database must be empty (it is migrated and filled).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow import create_app
from caseflow.cases import kernel, operations
from caseflow.cases.models import Case
from caseflow.cases.vocabulary import FieldVerdict, Grade, Sex
from caseflow.cli import alembic_config
from caseflow.core.mynumber import check_digit
from caseflow.extensions import db
from caseflow.organizations.models import Organization, Program
from caseflow.seeding import load_reference
from caseflow.users.models import Role
from caseflow.users.operations import create_user


def _number(n: int) -> str:
    first = f"{n:011d}"
    return first + str(check_digit(first))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--transitions", type=int, default=1_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_COST": 1024})
    from alembic import command

    command.upgrade(alembic_config(url), "head")
    with app.app_context():
        session = db.session
        load_reference(session)
        agency = session.scalars(sa.select(Organization).where(Organization.code == "022012")).one()
        program = session.scalars(sa.select(Program).order_by(Program.id)).first()
        worker = create_user(session, login="bench", display_name="計測", organization=agency,
                             roles={Role.CASEWORKER}, password="bench-password")
        started = time.perf_counter()
        for i in range(args.cases):
            kernel.open_case(
                session, program=program, agency=agency, source_record_id=f"B{i:07d}",
                registered_number=_number(10_000_000_000 + i), grade=Grade.B if i % 3 else Grade.C,
                record_name="山田　太郎", record_kana="ヤマダ　タロウ", record_birth_date=dt.date(1970, 3, 2),
                record_sex=Sex.MALE, record_address="青森県青森市新町一丁目1番1号",
                registry_name="山田　太朗", registry_kana="ヤマダ　タロウ", registry_birth_date=dt.date(1970, 3, 2),
                registry_sex=Sex.MALE, registry_address="青森県青森市新町1-1-1",
                field_verdicts={"name": FieldVerdict.MISMATCH.value}, due_date=dt.date.today(),
            )
            if i % 1000 == 999:
                session.commit()
        session.commit()
        insert_s = time.perf_counter() - started
        worker_id = worker.id

    engine = db.state(app).engine
    def load_all() -> int:
        with Session(engine) as session:
            user = session.get(type(worker), worker_id)
            cases = session.scalars(sa.select(Case)).all()
            actions = [operations.available_actions(case, user) for case in cases]
            assert all(actions)
            return len(cases)

    with app.test_request_context():
        started = time.perf_counter()
        loaded = load_all()
        load_s = time.perf_counter() - started
        tracemalloc.start()  # a second pass for memory: tracing slows Python down several times
        load_all()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert loaded == args.cases

        started = time.perf_counter()
        with Session(engine) as session:
            user = session.get(type(worker), worker_id)
            for case in session.scalars(sa.select(Case).limit(args.transitions)):
                operations.start_verification(case, user)
            session.commit()
        fire_s = time.perf_counter() - started

    print(f"database: {engine.dialect.name}")
    print(f"open {args.cases} cases (with detection events): {insert_s:.2f} s")
    print(f"load {args.cases} cases + allowed actions per case: {load_s:.2f} s, "
          f"peak Python memory {peak / 2**20:.1f} MiB")
    print(f"start_verification on {args.transitions} cases (event + version check each), one commit: "
          f"{fire_s:.2f} s = {args.transitions / fire_s:.0f} transitions/s")
    engine.dispose()


if __name__ == "__main__":
    main()
