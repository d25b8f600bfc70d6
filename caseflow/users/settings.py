"""Login and session settings from the environment (CASEFLOW_*); create_app() applies them as defaults."""

from __future__ import annotations

from collections.abc import Mapping


def _shared_store(env: Mapping[str, str]) -> str:
    queue = env.get("CASEFLOW_QUEUE_URL") or ""
    return queue if queue.startswith(("redis://", "rediss://", "unix://")) else "memory://"


def login_settings(env: Mapping[str, str]) -> dict:
    """Defaults for the login, lock-out and session settings; create_app's ``config`` overrides them."""
    return {
        # A session ends after this long without a request, and in any case this long after login.
        "SESSION_IDLE_MINUTES": int(env.get("CASEFLOW_SESSION_IDLE_MINUTES", "30")),
        "SESSION_ABSOLUTE_HOURS": float(env.get("CASEFLOW_SESSION_ABSOLUTE_HOURS", "12")),
        # Per account: this many failed logins (password or code) in a row lock it for this long.
        "LOGIN_MAX_FAILURES": int(env.get("CASEFLOW_LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(env.get("CASEFLOW_LOGIN_LOCKOUT_MINUTES", "15")),
        # Per client address: failed logins allowed (Flask-Limiter notation). Only failures count,
        # so an office behind one address is not shut out at nine o'clock.
        "LOGIN_RATE_LIMIT": env.get("CASEFLOW_LOGIN_RATE_LIMIT", "10 per minute"),
        # Where the failed logins per address are counted: shared by every process and host. By
        # default the Redis of the job queue when there is one (CASEFLOW_QUEUE_URL=redis://…),
        # else memory:// (one process: the embedded set-up).
        "RATELIMIT_STORAGE_URI": env.get("CASEFLOW_RATELIMIT_STORAGE_URI") or _shared_store(env),
        # Kept apart per installation, like the queue's name, when several share one Redis.
        "RATELIMIT_KEY_PREFIX": f"{env.get('CASEFLOW_QUEUE_NAME') or 'caseflow'}-login",
        # Redis unreachable: the login page still answers (the per-account lock-out, kept in the
        # database, still counts), rather than a 500 for everyone.
        "RATELIMIT_SWALLOW_ERRORS": True,
        # The name authenticator apps show beside the account.
        "TOTP_ISSUER": env.get("CASEFLOW_TOTP_ISSUER", "CaseFlow"),
    }
