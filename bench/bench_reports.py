"""Reports benchmark: the live figures over a million cases in PostgreSQL, and the report pages.

    .venv/bin/python bench/bench_reports.py [--cases 1000000] [--agencies 300] [--reload] [--explain]

Creates the database ``caseflow_bench_reports`` (next to --admin-url's database) once, migrates
it and loads the reference data, ~300 linking agencies, inspection batches and the cases with
their events (cases through COPY). The data is kept between runs (loaded again when the case count
differs, or with --reload). Then times, as the median of 5 runs after one warm-up:
the per-program table (``live_grains`` + ``programs_in_scope`` + ``program_lines`` +
``grand_total``), ``live_causes``, ``estimate``, and GET /reports/ and /dashboard/ as a Digital
Agency officer; finally the execution time of the grains queries from EXPLAIN ANALYZE.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import sqlalchemy as sa

from caseflow import create_app
from caseflow.cases.vocabulary import CaseStatus, Cause, DismissReason, NotificationMethod
from caseflow.core.mynumber import check_digit
from caseflow.crypto.keys import keyring_of, lookup_digest
from caseflow.crypto.types import seal
from caseflow.extensions import db
from caseflow.organizations.models import Organization, OrganizationKind, Program
from caseflow.reports import campaign, figures
from caseflow.seeding import SEED_DIR, load_reference
from caseflow.users.models import Role, User
from caseflow.users.operations import create_user

DATABASE = "caseflow_bench_reports"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
AGENCY_CODE_PREFIX = "BR"
OFFICER_LOGIN = "bench-digital"
MINISTRY_LOGIN = "bench-mhlw"
MINISTRY_NAME = "厚生労働省"
OFFICER_PASSWORD = "bench-reports-password"
RUNS = 5

# Where the cases stand: most not yet verified or found to be no error, about 3% errors.
STATUS_MIX = {
    CaseStatus.DETECTED: 0.50, CaseStatus.VERIFYING: 0.12, CaseStatus.FALSE: 0.35,
    CaseStatus.CONFIRMED: 0.008, CaseStatus.CORRECTED: 0.010, CaseStatus.NOTIFIED: 0.012,
}
# The event that brought a case from detected to its status (the steps between are left out:
# the status history only needs each case to enter and leave statuses consistently).
LAST_TRIGGER = {CaseStatus.VERIFYING: "start", CaseStatus.FALSE: "dismiss", CaseStatus.CONFIRMED: "confirm",
                CaseStatus.CORRECTED: "approve", CaseStatus.NOTIFIED: "notify"}
CAUSE_WEIGHTS = {Cause.FAMILY_MEMBER_NUMBER: 25, Cause.TWO_FACT_QUERY: 20, Cause.MANUAL_TRANSCRIPTION: 15,
                 Cause.SYSTEM_INPUT_ERROR: 12, Cause.APPLICATION_MISWRITTEN: 8, Cause.EMPLOYER_MISWRITTEN: 6,
                 Cause.DUPLICATE_BUSINESS_KEY: 4, Cause.SHARED_TERMINAL_LOGOUT: 3, Cause.ADJACENT_CASE_SWAP: 2,
                 Cause.OTHER: 2}
BIRTH_SEX_SHARE = 0.05

CASE_COLUMNS = (
    "id", "version", "program_id", "agency_id", "source_record_id", "batch_id", "registered_number",
    "record_name", "record_kana", "record_birth_date", "record_sex", "record_address",
    "registry_name", "registry_kana", "registry_birth_date", "registry_sex", "registry_address",
    "grade", "field_verdicts", "grade_reason", "birth_or_sex_mismatch", "status", "due_date", "detected_at",
    "updated_at", "cause", "dismiss_reason", "viewed_on_portal", "viewing_suspended", "notified_on",
    "notification_method", "registered_number_digest",
)
_LAST_TRIGGER_SQL = " ".join(f"WHEN '{s.value}' THEN '{t}'" for s, t in LAST_TRIGGER.items())
EVENTS_SQL = f"""
INSERT INTO case_events (case_id, actor_id, created_at, trigger, from_status, to_status, details)
SELECT id, NULL::integer, detected_at, 'detect', NULL::varchar, 'detected', json_build_object('grade', grade) FROM cases
UNION ALL
SELECT id, NULL, updated_at, CASE status {_LAST_TRIGGER_SQL} END, 'detected', status, '{{}}'::json
FROM cases WHERE status <> 'detected'
ORDER BY 3
"""
# As migration 0026 fills case_states from the events: one state per status change, until the next.
STATES_SQL = """
INSERT INTO case_states (case_id, valid_from, valid_to, program_id, agency_id, holder_id, batch_id, status, cause,
                         viewed_on_portal, birth_or_sex_mismatch)
SELECT e.case_id, e.created_at, lead(e.created_at) OVER (PARTITION BY e.case_id ORDER BY e.id), c.program_id, c.agency_id, c.holder_id, c.batch_id, e.to_status,
       CASE WHEN e.to_status IN ('confirmed', 'corrected', 'notified') THEN c.cause END,
       CASE WHEN e.to_status IN ('confirmed', 'corrected', 'notified') THEN c.viewed_on_portal END,
       c.birth_or_sex_mismatch
FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.to_status IS NOT NULL ORDER BY e.id
"""
BATCH_COLUMNS = (
    "id", "agency_id", "program_id", "created_at", "finished_at", "status", "records_filename", "registry_filename",
    "records_sha256", "registry_sha256", "records_inspected", "count_a", "count_b", "count_c", "cases_opened",
    "cases_already_open", "problems",
)
VERDICTS = {
    False: '{"name": "mismatch", "kana": "mismatch", "birth_date": "match", "sex": "match", "address": "match"}',
    True: '{"name": "match", "kana": "match", "birth_date": "mismatch", "sex": "match", "address": "match"}',
}


def _urls(admin_url: str) -> tuple[str, str]:
    """(libpq conninfo of the admin database, SQLAlchemy URL of the bench database)."""
    url = sa.make_url(admin_url)
    return (url.set(drivername="postgresql").render_as_string(hide_password=False),
            url.set(drivername="postgresql+psycopg", database=DATABASE).render_as_string(hide_password=False))


def _case_count(url: str) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM cases"))
    except sa.exc.OperationalError:
        return None  # no such database
    except sa.exc.ProgrammingError:
        return None  # not migrated
    finally:
        engine.dispose()


def _recreate(admin: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _migrate(url: str) -> None:
    from alembic import command

    from caseflow.cli import alembic_config

    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


# --- data -----------------------------------------------------------------------------------------

def _published() -> list[dict]:
    import csv

    with open(SEED_DIR / "programs_2023_inspection.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _number(n: int) -> str:
    first = f"{n:011d}"
    return first + str(check_digit(first))


def _reference(session, agencies: int) -> tuple[dict[int, str], list[int]]:
    """Reference data and the bench agencies; (program id → name, agency ids)."""
    load_reference(session)
    prefectures = ["青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "東京都", "大阪府", "福岡県", "沖縄県"]
    session.add_all(
        Organization(code=f"{AGENCY_CODE_PREFIX}{i:04d}", name=f"計測市{i:03d}", kind=OrganizationKind.LINKING_AGENCY,
                     prefecture=prefectures[i % len(prefectures)])
        for i in range(1, agencies + 1)
    )
    session.flush()
    programs = dict(session.execute(sa.select(Program.id, Program.name).order_by(Program.id)).all())
    agency_ids = session.scalars(sa.select(Organization.id).where(Organization.code.like(f"{AGENCY_CODE_PREFIX}%"))
                                 .order_by(Organization.id)).all()
    return programs, agency_ids


def _plan(programs: dict[int, str], agency_ids: list[int], cases: int, rng: random.Random
          ) -> dict[tuple[int, int], int]:
    """Cases per (program, agency): programs weighted by their 2023 records, as many agencies as in 2023."""
    published = {row["program_name"]: row for row in _published()}
    weights = {pid: int(published[name]["inspected_records"]) ** 0.6 for pid, name in programs.items()}
    scale = cases / sum(weights.values())
    plan: dict[tuple[int, int], int] = {}
    for program_id, name in programs.items():
        n_agencies = max(1, min(len(agency_ids), int(published[name]["inspected_institutions"])))
        chosen = rng.sample(agency_ids, n_agencies)
        # a few large agencies and many small ones
        shares = [rng.paretovariate(1.2) for _ in chosen]
        program_cases = max(n_agencies, round(weights[program_id] * scale))
        for agency_id, share in zip(chosen, shares, strict=True):
            plan[(program_id, agency_id)] = max(1, round(program_cases * share / sum(shares)))
    excess = sum(plan.values()) - cases  # rounding: trim the largest pairs to the exact total
    for key in sorted(plan, key=plan.get, reverse=True):
        if excess == 0:
            break
        take = min(excess, plan[key] - 1) if excess > 0 else excess
        plan[key] -= take
        excess -= take
    return plan


def _load(url: str, cases: int, agencies: int) -> None:
    rng = random.Random(2023)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_COST": 1024})
    with app.app_context():
        programs, agency_ids = _reference(db.session, agencies)
        db.session.commit()
    db.state(app).engine.dispose()
    plan = _plan(programs, agency_ids, cases, rng)
    published = {row["program_name"]: row for row in _published()}
    records_of = {pid: int(published[name]["inspected_records"]) for pid, name in programs.items()}
    agencies_of: dict[int, int] = {}
    for program_id, _agency_id in plan:
        agencies_of[program_id] = agencies_of.get(program_id, 0) + 1

    statuses, status_weights = list(STATUS_MIX), list(STATUS_MIX.values())
    causes, cause_weights = list(CAUSE_WEIGHTS), list(CAUSE_WEIGHTS.values())
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    started = time.perf_counter()
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    # Encrypted as the app stores them (caseflow.crypto); the registry facts are the same in every
    # case, so one ciphertext each serves them all.
    keyring = keyring_of(app.config)
    registry = {name: seal(value, f"cases.{name}", keyring) for name, value in (
        ("registry_name", "山田　次郎"), ("registry_kana", "ヤマダ　ジロウ"), ("registry_sex", "male"),
        ("registry_address", "青森県青森市新町一丁目1番1号"))}
    born = {differs: seal(day, "cases.registry_birth_date", keyring)
            for differs, day in ((True, "1972-05-01"), (False, "1970-03-02"))}
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        batch_id = case_id = 0
        with cur.copy(f"COPY inspection_batches ({', '.join(BATCH_COLUMNS)}) FROM STDIN") as copy:
            batches_of: dict[tuple[int, int], int] = {}
            for (program_id, agency_id), n in plan.items():
                records = max(n * 20, records_of[program_id] // agencies_of[program_id])
                count_c = round(n * 0.3)
                count_b = n - count_c + records // 200
                finished = now - dt.timedelta(days=rng.randint(30, 200))
                sha = f"{program_id:08x}{agency_id:08x}".ljust(64, "0")
                runs = [("done", sha)]
                if rng.random() < 0.05:
                    runs.append(("done", sha))  # the same extract inspected again: counted once
                if rng.random() < 0.03:
                    runs.append(("refused", sha[:-1] + "f"))
                for status, digest in runs:
                    batch_id += 1
                    batches_of.setdefault((program_id, agency_id), batch_id)
                    done = status == "done"
                    copy.write_row((
                        batch_id, agency_id, program_id, finished - dt.timedelta(minutes=10), finished, status,
                        "records.csv", "registry.csv", digest, "e" * 64, records if done else 0,
                        records - count_b - count_c if done else 0, count_b if done else 0, count_c if done else 0,
                        n if done else 0, 0, "[]",
                    ))
        with cur.copy(f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
            for (program_id, agency_id), n in plan.items():
                for status in rng.choices(statuses, status_weights, k=n):
                    case_id += 1
                    birth_sex = rng.random() < BIRTH_SEX_SHARE
                    detected = now - dt.timedelta(days=rng.randint(1, 180), seconds=rng.randint(0, 86_399))
                    error = status in (CaseStatus.CONFIRMED, CaseStatus.CORRECTED, CaseStatus.NOTIFIED)
                    cause = rng.choices(causes, cause_weights)[0].value if error and rng.random() > 0.05 else None
                    viewed = (rng.choices(("yes", "no", "unknown"), (2, 90, 8))[0] if error else None)
                    changed = detected + dt.timedelta(days=rng.randint(1, 30))
                    changed = min(changed, now)
                    number = _number(10_000_000_000 + case_id)
                    copy.write_row((
                        case_id, 1, program_id, agency_id, f"R{case_id:09d}", batches_of[(program_id, agency_id)],
                        seal(number, "cases.registered_number", keyring), "山田　太郎", "ヤマダ　タロウ",
                        dt.date(1970, 3, 2), "male", "青森県青森市新町一丁目1番1号", registry["registry_name"],
                        registry["registry_kana"], born[birth_sex], registry["registry_sex"], registry["registry_address"],
                        "C" if birth_sex or rng.random() < 0.25 else "B", VERDICTS[birth_sex],
                        "氏名が異なります。", birth_sex, status.value, (detected + dt.timedelta(days=30)).date(),
                        detected, changed if status is not CaseStatus.DETECTED else detected, cause,
                        DismissReason.SURNAME_CHANGE.value if status is CaseStatus.FALSE else None, viewed, False,
                        changed.date() if status is CaseStatus.NOTIFIED else None,
                        NotificationMethod.MAIL.value if status is CaseStatus.NOTIFIED else None,
                        lookup_digest(number, keyring=keyring),
                    ))
        # The events follow from the cases: made in the database, not sent over.
        cur.execute(EVENTS_SQL)
        events = cur.execute("SELECT count(*) FROM case_events").fetchone()[0]
        cur.execute(STATES_SQL)  # the reported facts' history, as migration 0026 fills it from the events
        states = cur.execute("SELECT count(*) FROM case_states").fetchone()[0]
        for table, last in (("cases", case_id), ("inspection_batches", batch_id)):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (last,))
        conn.commit()
    copy_s = time.perf_counter() - started
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"loaded {case_id:,} cases, {events:,} events, {states:,} case states, {batch_id:,} batches over {len(plan):,} "
          f"(program, agency) pairs: COPY {copy_s:.1f} s, then VACUUM ANALYZE")


# --- timing ---------------------------------------------------------------------------------------

def _officer(session, login: str, role: Role, organization: Organization) -> User:
    user = session.scalars(sa.select(User).where(User.login == login)).one_or_none()
    if user is None:
        user = create_user(session, login=login, display_name=f"計測 {organization.name}", organization=organization,
                           roles={role}, password=OFFICER_PASSWORD)
        session.commit()
    return user


def _officers(session) -> tuple[User, User]:
    """A Digital Agency officer and a ministry officer (made on the first run)."""
    digital = session.scalars(sa.select(Organization).where(Organization.kind == OrganizationKind.DIGITAL_AGENCY)
                              ).first()
    ministry = session.scalars(sa.select(Organization).where(Organization.name == MINISTRY_NAME)).one()
    return (_officer(session, OFFICER_LOGIN, Role.DIGITAL_AGENCY_OFFICER, digital),
            _officer(session, MINISTRY_LOGIN, Role.MINISTRY_OFFICER, ministry))


def _median(fn: Callable[[], object], runs: int = RUNS) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _table(session):
    grains = figures.live_grains(session, None)
    causes = figures.live_causes(session, None)
    lines = figures.program_lines(figures.programs_in_scope(session, None, grains), grains, causes)
    return lines, figures.grand_total(lines, grains)


def _capture(engine: sa.Engine, fn: Callable[[], object]) -> list[tuple[str, object]]:
    """The SQL statements (with their parameters) that ``fn`` sends."""
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def _explain(session, statements: list[tuple[str, object]], full: bool) -> None:
    raw = session.connection().connection.driver_connection
    for statement, parameters in statements:
        if "GROUP BY" not in statement:  # the aggregates, not the loading of the user or programs
            continue
        rows = raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
        plan = [row[0] for row in rows]
        first = re.sub(r"\s+", " ", statement.split("FROM", 1)[1].split("WHERE", 1)[0])[:60].strip()
        timing = next(line for line in plan if line.startswith("Execution Time"))
        print(f"  FROM {first}…: {timing}; top: {plan[0].strip()[:110]}")
        if full:
            print("    " + "\n    ".join(plan))


def _page(client, path: str) -> str:
    response = client.get(path)
    if response.status_code == 404:
        return "not available (404)"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    elapsed, _ = _median(lambda: client.get(path))
    return f"{elapsed * 1000:.0f} ms ({len(response.data) / 1024:.0f} KiB)"


def _login(client) -> bool:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    if token is None:
        return False
    response = client.post("/login", data={"csrf_token": token.group(1), "login": OFFICER_LOGIN,
                                            "password": OFFICER_PASSWORD})
    return response.status_code in (302, 303)


def _time_exports(lines, total, causes, estimate) -> None:
    from caseflow.reports import exports, tables

    shown = tables.published_layout(lines)
    context = {"title": "点検結果（全国）", "lines": shown, "total": total, "causes": figures.cause_table(causes),
               "estimate": estimate, "generated_on": dt.date.today()}
    for name, fn in (("xlsx", lambda: exports.programs_xlsx("点検結果（全国）", shown, total, all_lines=lines)),
                     ("csv", lambda: exports.programs_csv(lines, total)),
                     ("pdf", lambda: exports.report_pdf(context))):
        elapsed, body = _median(fn)
        print(f"export {name} of the live table, median of {RUNS}: {elapsed * 1000:.0f} ms ({len(body) / 1024:.0f} KiB)")


def measure(url: str, explain: bool) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_COST": 1024, "INSTANCE_PATH": str(Path("/tmp") / DATABASE)})
    engine = db.state(app).engine
    with app.app_context():
        session = db.session
        cases = session.scalar(sa.text("SELECT count(*) FROM cases"))
        print(f"database: {DATABASE} ({cases:,} cases; PostgreSQL "
              f"{session.scalar(sa.text('SHOW server_version'))})")
        grains_s, grains = _median(lambda: figures.live_grains(session, None))
        table_s, (lines, total) = _median(lambda: _table(session))
        causes_s, causes = _median(lambda: figures.live_causes(session, None))
        estimate_s, estimate = _median(lambda: figures.estimate(grains))
        print(f"per-program table (live_grains + live_causes + programs_in_scope + program_lines + grand_total), median of {RUNS}: "
              f"{table_s * 1000:.0f} ms")
        print(f"  of which live_grains: {grains_s * 1000:.0f} ms ({len(grains):,} grains); "
              f"live_causes: {causes_s * 1000:.0f} ms ({len(causes):,} rows)")
        print(f"estimate: {estimate_s * 1e6:.0f} µs (about {estimate.expected_rounded:,} errors expected among "
              f"{estimate.unverified:,} unverified cases)")
        print(f"  total line: {total.records_text} inspected, {total.errors_text} errors, {total.rate_text}, "
              f"{total.agencies} agencies, {len(lines)} programs")
        moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=60)
        as_of_s, past = _median(lambda: figures.live_grains(session, None, moment))
        as_of_causes_s, _ = _median(lambda: figures.live_causes(session, None, moment))
        print(f"as-of table (live_grains + live_causes as of 60 days ago, from case_states), median of {RUNS}: "
              f"{(as_of_s + as_of_causes_s) * 1000:.0f} ms (grains {as_of_s * 1000:.0f} ms, {len(past):,} grains, "
              f"{sum(g.cases for g in past):,} cases then)")
        campaign_s, rows = _median(lambda: campaign.campaign_rows(session, None))
        print(f"campaign view (campaign_rows: grains + obligations' progress), median of {RUNS}: "
              f"{campaign_s * 1000:.0f} ms ({len(rows):,} rows)")
        print("EXPLAIN ANALYZE of the queries of live_grains(session, None):")
        _explain(session, _capture(engine, lambda: figures.live_grains(session, None)), explain)
        _digital, ministry = _officers(session)
        print(f"EXPLAIN ANALYZE of the queries of live_grains as a ministry officer ({MINISTRY_NAME}):")
        _explain(session, _capture(engine, lambda: figures.live_grains(session, ministry)), explain)
        session.rollback()
        _time_exports(lines, total, causes, estimate)
    client = app.test_client()
    if not _login(client):
        print("could not log in as the Digital Agency officer: pages not timed")
    else:
        for path in ("/reports/", "/reports/campaign", "/reports/campaign?program=1", "/dashboard/"):
            print(f"GET {path} as a Digital Agency officer, median of {RUNS}: {_page(client, path)}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=300)
    parser.add_argument("--reload", action="store_true", help="drop the database and load it again")
    parser.add_argument("--explain", action="store_true", help="print the full query plans")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="an existing database to create the bench one from")
    args = parser.parse_args()
    admin, url = _urls(args.admin_url)
    if args.reload or _case_count(url) != args.cases:
        _recreate(admin)
        _migrate(url)
        _load(url, args.cases, args.agencies)
    measure(url, args.explain)


if __name__ == "__main__":
    main()
