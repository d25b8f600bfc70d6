"""Configuration from the environment (CASEFLOW_*), never from values in the code."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from caseflow.crypto import keys
from caseflow.instance import kept_in_instance


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Settings from CASEFLOW_* variables, then ``overrides`` (create_app's argument) on top."""
    overrides = overrides or {}
    env = os.environ
    instance = Path(instance_path)
    config: dict = {
        "DATABASE_URL": env.get("CASEFLOW_DATABASE_URL")
        or f"sqlite:///{instance / 'caseflow.sqlite3'}",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("CASEFLOW_SECURE_COOKIES", "0")),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "CASES_PER_PAGE": int(env.get("CASEFLOW_CASES_PER_PAGE", "50")),
        # The largest request the app reads (forms, the API); a larger one is a Japanese 413 page.
        "MAX_CONTENT_LENGTH": int(env.get("CASEFLOW_MAX_REQUEST_BYTES", str(1024**2))),
        # The largest upload (the files of one form together) on the pages that take files.
        "MAX_UPLOAD_BYTES": int(env.get("CASEFLOW_MAX_UPLOAD_BYTES", str(2 * 1024**3))),
        # Files every host reads (uploads, results, print runs): None = the instance folder, for one
        # host; with several hosts a folder mounted on all of them (caseflow.core.storage).
        "STORAGE_PATH": env.get("CASEFLOW_STORAGE_PATH") or None,
        # Background jobs: None = a SQLite file <instance>/queue.sqlite3; or redis://host:6379/0.
        "QUEUE_URL": env.get("CASEFLOW_QUEUE_URL") or None,
        # Keeps two installations (or test runs) sharing one Redis apart.
        "QUEUE_NAME": env.get("CASEFLOW_QUEUE_NAME") or "caseflow",
        # How many years a closed case keeps its people's facts, when its program sets no period
        # (caseflow.retention; `caseflow retention purge` deletes them afterwards).
        "RETENTION_YEARS": int(env.get("CASEFLOW_RETENTION_YEARS", "5")),
        # How many reverse proxies stand before the app (deploy/nginx): their X-Forwarded-For,
        # -Proto and -Host are then trusted (werkzeug's ProxyFix); 0 trusts none.
        "PROXY_FIX": int(env.get("CASEFLOW_PROXY_FIX", "0")),
        # argon2id cost; tests lower it through create_app(config=...).
        "PASSWORD_HASH_TIME_COST": int(env.get("CASEFLOW_PASSWORD_TIME_COST", "3")),
        "PASSWORD_HASH_MEMORY_COST": int(env.get("CASEFLOW_PASSWORD_MEMORY_COST", "65536")),
    }
    config.update(overrides)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = env.get("CASEFLOW_SECRET_KEY") or _instance_secret(instance)
    # ENCRYPTION_KEYS and LOOKUP_KEY, checked. create_app() is the one place configuration is
    # loaded: the keys it loads are also the ones used without an app context (a migration run
    # by Alembic, a script).
    keys.load_settings(config, env, instance)
    keys.configure(config)
    return config


def _instance_secret(instance: Path) -> str:
    """A key generated once per installation and kept in the instance folder.

    Lets a fresh install run without configuration while keeping the key out of
    the repository; production sets CASEFLOW_SECRET_KEY instead.
    """
    return kept_in_instance(instance, "secret_key", lambda: secrets.token_urlsafe(48))
