"""Configuration from the environment (CASEFLOW_*), never from values in the code."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


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
        # Background jobs: None = a SQLite file <instance>/queue.sqlite3; or redis://host:6379/0.
        "QUEUE_URL": env.get("CASEFLOW_QUEUE_URL") or None,
        # Keeps two installations (or test runs) sharing one Redis apart.
        "QUEUE_NAME": env.get("CASEFLOW_QUEUE_NAME") or "caseflow",
        # argon2id cost; tests lower it through create_app(config=...).
        "PASSWORD_HASH_TIME_COST": int(env.get("CASEFLOW_PASSWORD_TIME_COST", "3")),
        "PASSWORD_HASH_MEMORY_COST": int(env.get("CASEFLOW_PASSWORD_MEMORY_COST", "65536")),
    }
    config.update(overrides)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = env.get("CASEFLOW_SECRET_KEY") or _instance_secret(instance)
    return config


def _instance_secret(instance: Path) -> str:
    """A key generated once per installation and kept in the instance folder.

    Lets a fresh install run without configuration while keeping the key out of
    the repository; production sets CASEFLOW_SECRET_KEY instead.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
