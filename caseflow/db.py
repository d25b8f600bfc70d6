"""Declarative base, column types and engine set-up shared by every area."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.exc import StaleDataError

from caseflow.errors import STALE_MESSAGE, Conflict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware.

    SQLite keeps no time zone, so storing naive UTC everywhere keeps both
    backends identical.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use utcnow()")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def str_enum(enum_cls, name: str) -> sa.Enum:
    """An Enum column stored as its values in a VARCHAR with a named CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def make_engine(url: str, **kwargs) -> sa.Engine:
    """Create the engine; on SQLite, make transactions and savepoints behave like PostgreSQL."""
    # A statement's values (My Numbers not yet encrypted among them) stay out of error messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = sa.create_engine(url, **kwargs)

        # pysqlite's own transaction handling breaks SAVEPOINT and defers BEGIN;
        # take it over (SQLAlchemy's documented recipe).
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted or overwritten content is zeroed in the file, not left in free space: personal
            # data disposed of at the end of its retention period is gone from the file itself.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN")

        return engine
    engine = sa.create_engine(url, **kwargs)
    _ping_after_idle(engine)
    return engine


class Statements:
    """Statements built once per process and run again and again with other values (bind parameters).

    Building an ORM statement and computing its cache key (SQLAlchemy's key for its compiled form)
    cost more of a page's CPU than running it: the statements every request runs (its user, the inbox
    badge, the case of a case page) took ~15 % of a web process's CPU under bench_load.py. A statement
    kept here computes its key once. ``key`` names everything the statement depends on (for a
    statement about what a user may see: ``caseflow.policy.audience``); the values that change from
    one request to the next are bind parameters, passed when it runs. At most ``size`` are kept, the
    least recently used going first."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._built: OrderedDict[Hashable, sa.Executable] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], sa.Executable]) -> sa.Executable:
        with self._lock:
            found = self._built.get(key)
            if found is not None:
                self._built.move_to_end(key)
                return found
        built = build()  # outside the lock: two threads may build the same statement once each
        with self._lock:
            self._built[key] = built
            if len(self._built) > self._size:
                self._built.popitem(last=False)
        return built


# A pooled connection unused for longer than this is checked before it is handed out.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_after_idle(engine: sa.Engine) -> None:
    """Check a connection that has sat in the pool for a while before it is used, and replace it if
    the database has gone away meanwhile (a restart): the user of a quiet host never sees it.

    Not every checkout, as ``pool_pre_ping`` would: under load a connection goes back into use at
    once, and a round trip per request cost ~4 % of the requests a host answers (bench_load.py).
    A restart under load is met by the requests in flight (a 503 page, caseflow.errors); the
    first of them invalidates the whole pool, and the next requests connect afresh."""

    @event.listens_for(engine, "checkin")
    def _note_return(_dbapi_connection, record):
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return  # new, or back in use at once
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool throws the connection away and tries another (SQLAlchemy's documented recipe).
            raise sa.exc.DisconnectionError() from exc


def reclaim_deleted_space(engine: sa.Engine, tables: tuple[str, ...]) -> None:
    """After deleting personal data, leave no old copy in the database's files.

    SQLite (with secure_delete on) has zeroed the old content in the database file; the write-ahead
    log still holds old pages until it is checkpointed and truncated. PostgreSQL keeps old row
    versions until VACUUM removes them (a dump never holds them); VACUUM runs outside a transaction.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        elif connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("VACUUM " + ", ".join(tables))


def is_write_conflict(exc: sa.exc.DBAPIError) -> bool:
    """True when the database refused a write because another transaction wrote first.

    SQLite in WAL mode refuses a write from a transaction whose snapshot is
    older than another's commit ("database is locked", SQLITE_BUSY_SNAPSHOT)
    before any version check can run; PostgreSQL reports serialization failures.
    """
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40001", "40P01"):
        return True
    return "database is locked" in str(exc.orig)


@contextmanager
def write_conflicts_as_409() -> Iterator[None]:
    """Within it, a concurrent write of the same rows (a stale version, a refused write) becomes a
    Conflict (HTTP 409, 「他の職員が先に更新しました…」): around a flush or a commit."""
    try:
        yield
    except StaleDataError as exc:
        raise Conflict(STALE_MESSAGE) from exc
    except sa.exc.DBAPIError as exc:
        if is_write_conflict(exc):
            raise Conflict(STALE_MESSAGE) from exc
        raise


# --- append-only tables (audit trails): triggers that refuse UPDATE and DELETE ------------------


def create_append_only_triggers(bind: sa.Connection, table: str) -> None:
    """Make ``table`` append-only in the database itself: UPDATE and DELETE fail with '<table> is append-only'.

    For migrations (``op.get_bind()``); the same names on both backends for every such table.
    """
    message = f"{table} is append-only"
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                             f"BEGIN RAISE EXCEPTION '{message}'; END $$")
        bind.exec_driver_sql(f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                             f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            bind.exec_driver_sql(f"CREATE TRIGGER trg_{table}_no_{action.lower()} BEFORE {action} ON {table} "
                                 f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def drop_append_only_triggers(bind: sa.Connection, table: str) -> None:
    """Undo ``create_append_only_triggers`` (a migration that must rewrite rows puts them back after)."""
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    else:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_no_update")
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_no_delete")
