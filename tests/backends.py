"""The databases the suite runs on: SQLite always, PostgreSQL when reachable (required in CI)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command

from caseflow.cli import alembic_config
from caseflow.db import make_engine

POSTGRES_URL = os.environ.get("CASEFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")
IN_CI = bool(os.environ.get("CI"))

# What was not run, reported at the end of the session (see conftest.pytest_terminal_summary).
NOT_RUN: dict[str, str] = {}


def migrate(url: str, revision: str = "head") -> None:
    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    alembic_command.upgrade(config, revision)


def downgrade(url: str, revision: str) -> None:
    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    alembic_command.downgrade(config, revision)


def postgres_unavailable() -> str | None:
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL に接続できません（{POSTGRES_URL}）: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


def require_service(name: str, reason: str | None) -> None:
    """Go on when ``reason`` is None; otherwise say the tests were not run (fail under CI)."""
    if reason is None:
        return
    NOT_RUN[name] = reason
    if IN_CI:
        pytest.fail(f"CI must run the {name} tests: {reason}")
    pytest.skip(f"NOT RUN ({name}): {reason}")


def require_postgres() -> None:
    require_service("PostgreSQL", postgres_unavailable())


def _admin_engine() -> sa.Engine:
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def _with_database(url: str, name: str) -> str:
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


class Backend:
    """Makes migrated databases of one kind: a template migrated once (never connected to
    afterwards, as PostgreSQL requires of a template), then cheap copies."""

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self.created: list[str] = []
        self.template_url = self.new_empty()
        migrate(self.template_url)

    def new_empty(self) -> str:
        return self._create("")

    def copy(self, of: str | None = None) -> str:
        """A new database with the migrated schema, for tests that commit for real; ``of``: a copy
        of that database of this backend instead (nothing may be connected to it)."""
        source = sa.make_url(of or self.template_url).database
        if self.kind == "sqlite":
            url = self._create("")
            shutil.copyfile(source, sa.make_url(url).database)
            return url
        return self._create(f' TEMPLATE "{source}"')

    def _create(self, template_clause: str) -> str:
        name = f"caseflow_test_{uuid.uuid4().hex[:12]}"
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        engine = _admin_engine()
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{template_clause}')
        engine.dispose()
        self.created.append(name)
        return _with_database(POSTGRES_URL, name)

    def drop_all(self) -> None:
        if self.kind != "postgresql":
            return
        engine = _admin_engine()
        with engine.connect() as conn:
            for name in self.created:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


def engine_for(url: str) -> sa.Engine:
    return make_engine(url)
