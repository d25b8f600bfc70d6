"""Alembic environment: the URL and engine come from CaseFlow itself."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import caseflow.models  # noqa: F401  (registers every table on Base.metadata)
from caseflow.crypto.types import EncryptedType
from caseflow.db import Base, UTCDateTime, make_engine

config = context.config
if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return url
    from caseflow import create_app

    return create_app().config["DATABASE_URL"]


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_database_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _render_item(type_, obj, autogen_context):
    """Render CaseFlow's own column types as plain SQLAlchemy ones, so migrations don't import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if type_ == "type" and isinstance(obj, EncryptedType):
        return f"sa.String(length={obj.impl.length})"
    return False


def _run(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        # Batch migrations rebuild a SQLite table (copy, drop, rename). With rows in other tables
        # referring to it, enforced foreign keys would refuse the drop: off while migrating
        # (it can only be switched outside a transaction), and every reference checked at the end.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} rows referring to missing rows: {broken[:5]}")
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    raise SystemExit("オフラインモード（SQL の出力）には対応していません。")
run_migrations_online()
