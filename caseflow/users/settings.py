"""Login and session settings from the environment (CASEFLOW_*); create_app() applies them as defaults."""

from __future__ import annotations

from collections.abc import Mapping


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
        # memory:// is per process: with several gunicorn workers, use redis://host:6379/1.
        "RATELIMIT_STORAGE_URI": env.get("CASEFLOW_RATELIMIT_STORAGE_URI") or "memory://",
        "RATELIMIT_KEY_PREFIX": "caseflow-login",
        # The name authenticator apps show beside the account.
        "TOTP_ISSUER": env.get("CASEFLOW_TOTP_ISSUER", "CaseFlow"),
    }
