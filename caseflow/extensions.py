"""Extensions, created unbound and bound to the app in create_app()."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, scoped_session

from caseflow.db import make_engine


@dataclass
class DatabaseState:
    """Per-app database binding. Tests point ``bind`` at a connection inside a transaction."""

    engine: Engine
    bind: Engine | Connection
    join_transaction_mode: str = "conditional_savepoint"


class Database:
    """The app's engine and a session per request (one unit of work, one commit)."""

    def __init__(self) -> None:
        self.session = scoped_session(self._create_session)

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["caseflow.db"] = DatabaseState(engine=engine, bind=engine)

        @app.teardown_appcontext
        def _remove_session(_exc):
            try:
                self.session.remove()
            except sa_exc.SQLAlchemyError:
                # The database went away during the request (a restart): the pool has dropped the
                # connection; forget the session all the same, so the next request starts afresh.
                self.session.registry.clear()

    @staticmethod
    def state(app: Flask | None = None) -> DatabaseState:
        return (app or current_app).extensions["caseflow.db"]

    @property
    def engine(self) -> Engine:
        return self.state().engine

    def _create_session(self) -> Session:
        state = self.state()
        return Session(bind=state.bind, join_transaction_mode=state.join_transaction_mode,
                       expire_on_commit=True)


db = Database()
login_manager = LoginManager()
csrf = CSRFProtect()
# Throttles failed logins per client address (caseflow.users.views); storage and limit from the
# config (RATELIMIT_STORAGE_URI, LOGIN_RATE_LIMIT). Behind a reverse proxy the address is the
# proxy's unless the app is wrapped in werkzeug's ProxyFix.
limiter = Limiter(key_func=get_remote_address)
