"""Configuration from the environment (CASEFLOW_*), never from values in the code."""

from __future__ import annotations

import os
import secrets
import tempfile
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
        # The largest request the app reads (forms, the API); a larger one is a Japanese 413 page.
        "MAX_CONTENT_LENGTH": int(env.get("CASEFLOW_MAX_REQUEST_BYTES", str(1024**2))),
        # The largest upload (the files of one form together) on the pages that take files.
        "MAX_UPLOAD_BYTES": int(env.get("CASEFLOW_MAX_UPLOAD_BYTES", str(2 * 1024**3))),
        # Background jobs: None = a SQLite file <instance>/queue.sqlite3; or redis://host:6379/0.
        "QUEUE_URL": env.get("CASEFLOW_QUEUE_URL") or None,
        # Keeps two installations (or test runs) sharing one Redis apart.
        "QUEUE_NAME": env.get("CASEFLOW_QUEUE_NAME") or "caseflow",
        # How many years a closed case keeps its people's facts, when its program sets no period
        # (caseflow.retention; `caseflow retention purge` deletes them afterwards).
        "RETENTION_YEARS": int(env.get("CASEFLOW_RETENTION_YEARS", "5")),
        # argon2id cost; tests lower it through create_app(config=...).
        "PASSWORD_HASH_TIME_COST": int(env.get("CASEFLOW_PASSWORD_TIME_COST", "3")),
        "PASSWORD_HASH_MEMORY_COST": int(env.get("CASEFLOW_PASSWORD_MEMORY_COST", "65536")),
    }
    config.update(overrides)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = env.get("CASEFLOW_SECRET_KEY") or _instance_secret(instance)
    _encryption_keys(config, env, instance)
    return config


def _instance_secret(instance: Path) -> str:
    """A key generated once per installation and kept in the instance folder.

    Lets a fresh install run without configuration while keeping the key out of
    the repository; production sets CASEFLOW_SECRET_KEY instead.
    """
    return _kept_in_instance(instance, "secret_key", lambda: secrets.token_urlsafe(48))


def _encryption_keys(config: dict, env, instance: Path) -> None:
    """ENCRYPTION_KEYS and LOOKUP_KEY (caseflow.crypto.keys), checked, and the keyring made current.

    Without CASEFLOW_ENCRYPTION_KEYS, both are generated once into the instance folder
    (``encryption_keys``, same format as the variable, and ``lookup_key``). With it, the look-up
    key must be configured as well (CASEFLOW_LOOKUP_KEY), or already be in the instance folder:
    one generated silently on another server would not find the same numbers.
    """
    from caseflow.crypto import keys

    from_instance = not config.get("ENCRYPTION_KEYS") and not env.get("CASEFLOW_ENCRYPTION_KEYS")
    if not config.get("ENCRYPTION_KEYS"):
        config["ENCRYPTION_KEYS"] = env.get("CASEFLOW_ENCRYPTION_KEYS") or _kept_in_instance(
            instance, "encryption_keys", lambda: f"{keys.new_kid()}:{keys.new_key()}")
    if not config.get("LOOKUP_KEY"):
        config["LOOKUP_KEY"] = env.get("CASEFLOW_LOOKUP_KEY") or _kept_in_instance(
            instance, "lookup_key", keys.new_key if from_instance else None)
    if not config["LOOKUP_KEY"]:
        raise keys.KeyConfigError("CASEFLOW_LOOKUP_KEY is not set: configure it together with "
                                  "CASEFLOW_ENCRYPTION_KEYS (base64 of 32 random bytes, never changed)")
    # create_app() is the one place configuration is loaded: the keys it loads are also the ones
    # used without an app context (a migration run by Alembic, a script).
    keys.configure(config)


def _kept_in_instance(instance: Path, name: str, make) -> str:
    """The content of ``instance/name``, written once (mode 0600) from ``make()``; "" when absent and no ``make``.

    Written under a temporary name and linked into place, so two processes starting at once
    read the same value, never a half-written file.
    """
    path = instance / name
    if not path.exists() and make is not None:
        instance.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=instance, prefix=f".{name}.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(make() + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its value
        finally:
            os.unlink(temporary)
    return path.read_text().strip() if path.exists() else ""
