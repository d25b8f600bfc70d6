"""Search benchmark: the search box and the My Number search over a million cases in PostgreSQL.

    .venv/bin/python bench/bench_search.py [--cases 1000000] [--agencies 300] [--searches 200] [--reload] [--explain]

Creates the database ``caseflow_bench_search`` (next to --admin-url's database) once, migrates it and
loads the reference data, ~300 linking agencies and the cases: the people are the synthetic
generator's (caseflow_synthetic: names with variant kanji, kana in hiragana or half-width, the
number holders from its registry), the cases go in through COPY, encrypted as the app stores them,
and their search keys are made by the app's own bulk function (caseflow.cases.search.search_keys).
The data is kept between runs (loaded again when the case count differs, or with --reload).

Then, as a caseworker of one agency and as a Digital Agency officer, runs --searches searches of each
kind, drawn from the cases the user may see: reference (CF-0000028 and cf28), management number,
full name as written, family name alone (many matches: the count is capped), the holder's name, kana
in half-width katakana, birth date (ISO, 2001/2/3 or 平成13年2月3日), and My Number. Per kind it prints
p50/p95 in ms of the search alone (read, queried and paged in the app, with the access record of a
My Number search) and of the whole page (GET /search/?q=…, POST /search/number through the app:
login check, search, rendering; target p95 < 100 ms), the page's CPU time in this process (the
figure that does not grow when the machine is busy), the median and largest number of results,
and the execution time of each of its statements from EXPLAIN ANALYZE, flagging any that reads a
whole table (--explain prints the plans). For comparison, the same user's /search/ without a query
and /cases/. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import random
import re
import statistics
import time
import unicodedata
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path

import polars as pl
import psycopg
import sqlalchemy as sa

from caseflow import create_app
from caseflow.cases import search_queries
from caseflow.cases.models import Case
from caseflow.cases.search import search_keys
from caseflow.core.japanese import wareki
from caseflow.core.mynumber import is_valid_number
from caseflow.crypto.keys import keyring_of, lookup_digest
from caseflow.crypto.types import seal
from caseflow.extensions import db
from caseflow.organizations.models import Organization, OrganizationKind, Program
from caseflow.seeding import load_reference
from caseflow.users.models import Role, User
from caseflow.users.operations import create_user
from caseflow_synthetic.chunks import generate_chunk
from caseflow_synthetic.scenarios import normalised_shares

DATABASE = "caseflow_bench_search"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
AGENCY_CODE_PREFIX = "BS"
PASSWORD = "bench-search-password"
LOGINS = {"caseworker": "bench-search-caseworker", "digital": "bench-search-digital"}
# Fixed keys (as in the tests): the data kept between runs stays readable and findable.
CONFIG = {
    "SECRET_KEY": "bench", "PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_COST": 1024,
    "ENCRYPTION_KEYS": "bench1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "LOOKUP_KEY": "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=",
    "INSTANCE_PATH": str(Path("/tmp") / DATABASE),
}
CHUNK = 250_000
KEYS_CHUNK = 50_000
CASE_COLUMNS = (
    "id", "version", "program_id", "agency_id", "source_record_id", "registered_number", "registered_number_digest",
    "record_name", "record_kana", "record_birth_date", "record_sex", "record_address",
    "registry_name", "registry_kana", "registry_birth_date", "registry_sex", "registry_address",
    "grade", "field_verdicts", "grade_reason", "birth_or_sex_mismatch", "status", "due_date", "detected_at",
    "updated_at", "viewing_suspended",
)
EVENTS_SQL = """
INSERT INTO case_events (case_id, actor_id, created_at, trigger, from_status, to_status, details)
SELECT id, NULL::integer, detected_at, 'detect', NULL::varchar, 'detected', json_build_object('grade', grade)
FROM cases ORDER BY id
"""
SEX = {"1": "male", "2": "female", "男": "male", "女": "female"}


def _urls(admin_url: str) -> tuple[str, str]:
    """(libpq conninfo of the admin database, SQLAlchemy URL of the bench database)."""
    url = sa.make_url(admin_url)
    return (url.set(drivername="postgresql").render_as_string(hide_password=False),
            url.set(drivername="postgresql+psycopg", database=DATABASE).render_as_string(hide_password=False))


def _case_count(url: str) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM case_search_keys")) and conn.scalar(
                sa.text("SELECT count(*) FROM cases"))
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return None  # no such database, or not migrated
    finally:
        engine.dispose()


def _recreate(admin: str, url: str) -> None:
    from alembic import command

    from caseflow.cli import alembic_config

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")


# --- data -----------------------------------------------------------------------------------------


def _places(session, agencies: int, rng: random.Random) -> tuple[list[int], list[float], list[int], list[float]]:
    """Reference data and the bench agencies: (agency ids, their weights, program ids, their weights)."""
    load_reference(session)
    session.add_all(Organization(code=f"{AGENCY_CODE_PREFIX}{i:04d}", name=f"検索市{i:03d}",
                                 kind=OrganizationKind.LINKING_AGENCY, prefecture="青森県")
                    for i in range(1, agencies + 1))
    session.flush()
    agency_ids = session.scalars(sa.select(Organization.id).where(Organization.code.like(f"{AGENCY_CODE_PREFIX}%"))
                                 .order_by(Organization.id)).all()
    program_ids = session.scalars(sa.select(Program.id).order_by(Program.id)).all()
    # a few large agencies and many small ones; the first programs (the largest in 2023) weigh more
    return (agency_ids, [rng.paretovariate(1.2) for _ in agency_ids], program_ids,
            [1 / (rank + 2) for rank in range(len(program_ids))])


class _Sealer:
    """Encrypts as the app does; one ciphertext per distinct value and column (enough for a benchmark)."""

    def __init__(self, keyring) -> None:
        self.keyring, self.cache = keyring, {}

    def __call__(self, value, column: str) -> str | None:
        if value is None:
            return None
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        key = (column, text)
        if key not in self.cache:
            self.cache[key] = seal(text, f"cases.{column}", self.keyring)
        return self.cache[key]


def _people(n: int, seed: int):
    """The generator's records with their number holder's registry facts, CHUNK records at a time."""
    shares, person_offset = normalised_shares(None), 0
    for chunk, start in enumerate(range(0, n, CHUNK)):
        part = generate_chunk(min(CHUNK, n - start), seed=seed, shares=shares, chunk=chunk, record_offset=start,
                              person_offset=person_offset)
        person_offset += part.registry_rows
        holders = part.registry.select("my_number", *(pl.col(c).alias(f"reg_{c}") for c in
                                                      ("name", "name_kana", "birth_date", "sex", "address")))
        yield part.records.join(holders.unique("my_number"), on="my_number", how="left", maintain_order="left")


def _load(url: str, n: int, agencies: int) -> None:
    rng = random.Random(2026)
    app = create_app({"DATABASE_URL": url, **CONFIG})
    with app.app_context():
        agency_ids, agency_weights, program_ids, program_weights = _places(db.session, agencies, rng)
        db.session.commit()
    db.state(app).engine.dispose()
    keyring = keyring_of(app.config)
    sealed = _Sealer(keyring)
    agencies_cum, programs_cum = list(accumulate(agency_weights)), list(accumulate(program_weights))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    conninfo = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    started, case_id, keys = time.perf_counter(), 0, 0
    keys_s = 0.0
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        for frame in _people(n, seed=2026):
            facts = []
            with cur.copy(f"COPY cases ({', '.join(CASE_COLUMNS)}) FROM STDIN") as copy:
                for row in frame.iter_rows(named=True):
                    case_id += 1
                    number = (row["my_number"] or "")[:12] or None
                    detected = now - dt.timedelta(days=rng.randint(1, 180), seconds=rng.randint(0, 86_399))
                    copy.write_row((
                        case_id, 1, rng.choices(program_ids, cum_weights=programs_cum)[0],
                        rng.choices(agency_ids, cum_weights=agencies_cum)[0], row["record_id"],
                        seal(number, "cases.registered_number", keyring) if number else None,
                        lookup_digest(number, keyring=keyring) if number else None,
                        row["name"], row["name_kana"], row["birth_date"], SEX.get(row["sex"] or ""), row["address"],
                        sealed(row["reg_name"], "registry_name"), sealed(row["reg_name_kana"], "registry_kana"),
                        sealed(row["reg_birth_date"], "registry_birth_date"),
                        sealed(SEX.get(row["reg_sex"] or ""), "registry_sex"),
                        sealed(row["reg_address"], "registry_address"),
                        "C" if rng.random() < 0.3 else "B", "{}", "氏名が異なります。", False,
                        "detected" if rng.random() < 0.7 else "verifying",
                        (detected + dt.timedelta(days=rng.randint(10, 60))).date(), detected, detected, False,
                    ))
                    facts.append({"case_id": case_id, "record_name": row["name"], "record_kana": row["name_kana"],
                                  "record_birth_date": row["birth_date"], "registry_name": row["reg_name"],
                                  "registry_kana": row["reg_name_kana"], "registry_birth_date": row["reg_birth_date"]})
            keys_started = time.perf_counter()
            for start in range(0, len(facts), KEYS_CHUNK):
                found = search_keys(facts[start:start + KEYS_CHUNK], keyring)
                keys += len(found)
                with cur.copy("COPY case_search_keys (case_id, kind, digest) FROM STDIN") as copy:
                    for key in found:
                        copy.write_row((key["case_id"], key["kind"], key["digest"]))
            keys_s += time.perf_counter() - keys_started
            print(f"  {case_id:,} cases, {keys:,} search keys ({time.perf_counter() - started:.0f} s)", flush=True)
        cur.execute(EVENTS_SQL)
        cur.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), %s)", (case_id,))
        conn.commit()
    loaded_s = time.perf_counter() - started
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    print(f"loaded {case_id:,} cases and {keys:,} search keys in {loaded_s:.0f} s (of which the keys: computed "
          f"and copied in {keys_s:.0f} s, {case_id / keys_s:,.0f} cases/s), then VACUUM ANALYZE")


# --- the searches ----------------------------------------------------------------------------------

_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}
_HALF.update({unicodedata.normalize("NFKC", chr(c) + mark): chr(c) + mark for c in range(0xFF66, 0xFF9E)
              for mark in "ﾞﾟ" if len(unicodedata.normalize("NFKC", chr(c) + mark)) == 1})


def half_width(kana: str) -> str:
    """Kana as an old system writes it: half-width katakana (ﾀｶﾊｼ ｲﾁﾛｳ)."""
    katakana = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in kana)
    return "".join(_HALF.get(c, " " if c == "\u3000" else c) for c in katakana)


def _user(session, key: str, role: Role, organization: Organization) -> User:
    user = session.scalars(sa.select(User).where(User.login == LOGINS[key])).one_or_none()
    if user is None:
        user = create_user(session, login=LOGINS[key], display_name=f"検索 {organization.name}",
                           organization=organization, roles={role}, password=PASSWORD)
        session.commit()
    return user


def _users(session) -> dict[str, tuple[User, list[int]]]:
    """The caseworker of a large agency and a Digital Agency officer, each with the ids of cases they may see."""
    counts = session.execute(sa.select(Case.agency_id, sa.func.count()).group_by(Case.agency_id)
                             .order_by(sa.func.count().desc())).all()
    agency_id, _count = counts[len(counts) // 20]  # among the largest twentieth
    agency = session.get(Organization, agency_id)
    digital = session.scalars(sa.select(Organization).where(Organization.kind == OrganizationKind.DIGITAL_AGENCY)).first()
    everyone = session.execute(sa.text("SELECT max(id) FROM cases")).scalar()
    return {
        "caseworker": (_user(session, "caseworker", Role.CASEWORKER, agency),
                       session.scalars(sa.select(Case.id).where(Case.agency_id == agency_id)).all()),
        "digital": (_user(session, "digital", Role.DIGITAL_AGENCY_OFFICER, digital), list(range(1, everyone + 1))),
    }


def _queries(session, ids: list[int], count: int, rng: random.Random) -> dict[str, list[str]]:
    """``count`` searches of each kind, made from cases drawn from ``ids`` (decrypted by the ORM)."""
    chosen = rng.sample(ids, min(len(ids), count))
    cases = session.scalars(sa.select(Case).where(Case.id.in_(chosen))).all()
    rng.shuffle(cases)
    dated = [c for c in cases if c.record_birth_date]
    styles = (lambda d: d.isoformat(), lambda d: f"{d.year}/{d.month}/{d.day}", wareki)
    return {
        "reference": [c.reference if i % 2 else f"cf{c.id}" for i, c in enumerate(cases)],
        "management number": [c.source_record_id for c in cases],
        "name": [c.record_name for c in cases if c.record_name],
        "family name": [c.record_name.split("\u3000")[0] for c in cases if c.record_name],
        "holder's name": [c.registry_name for c in cases if c.registry_name],
        "kana (half-width)": [half_width(c.record_kana) for c in cases if c.record_kana],
        "birth date": [styles[i % 3](c.record_birth_date) for i, c in enumerate(dated)],
        "My Number": [c.registered_number for c in cases if is_valid_number(c.registered_number)],
    }


def _login(client, login: str) -> str:
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True))[1]
    response = client.post("/login", data={"csrf_token": token, "login": login, "password": PASSWORD})
    if response.status_code not in (302, 303):
        raise SystemExit(f"could not log in as {login}")
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/search/").get_data(as_text=True))[1]


_COUNT = re.compile(r'id="search-count">[^<]*：(?:([\d,]+)件を超え|([\d,]+)件)|の案件：(\d+)件')


def _search(client, token: str, kind: str, text: str):
    if kind == "My Number":
        return client.post("/search/number", data={"csrf_token": token, "my_number": text,
                                                    "purpose": "ベンチマーク（本人からの照会を想定）"})
    return client.get("/search/", query_string={"q": text})


def _found(page: str) -> int | None:
    match = _COUNT.search(page)
    if match is None:
        return None
    return int((match[1] or match[2] or match[3]).replace(",", ""))


def _percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _statements(engine: sa.Engine, fn: Callable[[], object]) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if "case_search_keys" in statement or "FROM cases" in statement:
            seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def _plans(engine: sa.Engine, statements: list[tuple[str, object]], full: bool) -> str:
    """Execution time of each statement and any whole-table scan of cases or case_search_keys."""
    notes = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        for statement, parameters in statements:
            plan = [row[0] for row in raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()]
            scans = sorted({m for line in plan for m in re.findall(r"Seq Scan on (cases|case_search_keys)\b", line)})
            timing = next(line for line in plan if line.startswith("Execution Time")).split(": ")[1]
            notes.append(f"{timing}{' SEQ SCAN ' + ','.join(scans) if scans else ''}")
            if full:
                print("      " + "\n      ".join(plan))
    return "; ".join(notes)


def _direct(user: User, kind: str, text: str, per_page: int) -> int:
    """The search alone, in the app (no HTTP, no template): what the page asks of the database."""
    if kind == "My Number":
        savepoint = db.session.begin_nested()  # the access records it writes are rolled back
        found = len(search_queries.search_by_number(db.session, user, number=text, purpose="ベンチマーク",
                                                    remote_addr=None))
        savepoint.rollback()
        return found
    query = search_queries.read_query(text)
    return search_queries.page_of(db.session, user, query, sort="due", page=1, per_page=per_page).page.total


def _ms(times: list[float]) -> str:
    return f"{_percentile(times, .5) * 1000:>5.0f}{_percentile(times, .95) * 1000:>5.0f}"


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def measure(url: str, searches: int, explain: bool) -> None:
    app = create_app({"DATABASE_URL": url, **CONFIG})
    engine = db.state(app).engine
    rng = random.Random(7)
    with app.app_context():
        cases = db.session.scalar(sa.text("SELECT count(*) FROM cases"))
        keys = db.session.scalar(sa.text("SELECT count(*) FROM case_search_keys"))
        size = db.session.scalar(sa.text("SELECT pg_size_pretty(pg_total_relation_size('case_search_keys'))"))
        print(f"database: {DATABASE} ({cases:,} cases, {keys:,} search keys taking {size} with their indexes; "
              f"PostgreSQL {db.session.scalar(sa.text('SHOW server_version'))})")
        users = _users(db.session)
        plan = {who: (user.id, user.login, user.organization.name, len(ids), _queries(db.session, ids, searches, rng))
                for who, (user, ids) in users.items()}
        db.session.remove()
    per_page = app.config["CASES_PER_PAGE"]
    for who, (user_id, login, organization, visible, queries) in plan.items():
        client = app.test_client()
        token = _login(client, login)
        print(f"\nas {'a caseworker of ' if who == 'caseworker' else 'a Digital Agency officer of '}{organization} "
              f"({visible:,} cases visible), {searches} searches of each kind, in ms")
        frame = _timed(lambda c=client: c.get("/search/"), 50)
        listed = _timed(lambda c=client: c.get("/cases/"), 50)
        print(f"  for comparison, p50 p95: GET /search/ without a query (the page alone) {_ms(frame)}; "
              f"GET /cases/ (the case list) {_ms(listed)}")
        print(f"  {'kind':<20}{'search':>10}{'page':>16}{'page CPU':>11}   results (median, max)   "
              "EXPLAIN ANALYZE of its statements")
        print(f"  {'':<20}{'p50  p95':>10}{'p50  p95  max':>16}{'p50  p95':>11}")
        for kind, texts in queries.items():
            with app.app_context():
                user = db.session.get(User, user_id)
                alone = []
                for text in texts:
                    started = time.perf_counter()
                    _direct(user, kind, text, per_page)
                    alone.append(time.perf_counter() - started)
                db.session.rollback()
                db.session.remove()
            _search(client, token, kind, texts[0])  # warm-up
            times, cpu, found = [], [], []
            for text in texts:
                started, used = time.perf_counter(), time.process_time()
                response = _search(client, token, kind, text)
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
                if response.status_code != 200:
                    raise SystemExit(f"{kind}: HTTP {response.status_code}")
                found.append(_found(response.get_data(as_text=True)) or 0)
            again = functools.partial(_search, client, token, kind, texts[0])
            notes = _plans(engine, _statements(engine, again), explain)
            print(f"  {kind:<20}{_ms(alone):>10}{_ms(times):>11}{max(times) * 1000:>5.0f}{_ms(cpu):>11}"
                  f"   {statistics.median(found):>7,.0f}, {max(found):>6,}     {notes}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=300)
    parser.add_argument("--searches", type=int, default=200, help="searches of each kind per user")
    parser.add_argument("--reload", action="store_true", help="drop the database and load it again")
    parser.add_argument("--explain", action="store_true", help="print the full query plans")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="an existing database to create the bench one from")
    args = parser.parse_args()
    admin, url = _urls(args.admin_url)
    if args.reload or _case_count(url) != args.cases:
        _recreate(admin, url)
        _load(url, args.cases, args.agencies)
    measure(url, args.searches, args.explain)


if __name__ == "__main__":
    main()
