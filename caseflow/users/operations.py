"""Users: creating them, checking their passwords and second factor, locking out guessers."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy.orm import Session

from caseflow.db import utcnow
from caseflow.errors import DomainError
from caseflow.organizations.models import Organization
from caseflow.policy import Permission, require
from caseflow.users import totp
from caseflow.users.models import Role, User, UserRole, new_session_token
from caseflow.users.passwords import PasswordRejected, check_password

# A constant hash verified when the login is unknown (or the account locked or inactive), so
# that the response time does not tell which logins exist.
_DUMMY_HASH = None


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["PASSWORD_HASH_TIME_COST"],
        memory_cost=config["PASSWORD_HASH_MEMORY_COST"],
    )


def hash_password(password: str, *, context: tuple[str, ...] = ()) -> str:
    """argon2id hash of ``password`` after checking the rules (caseflow.users.passwords)."""
    try:
        check_password(password, context=context)
    except PasswordRejected as exc:
        raise DomainError(str(exc)) from None
    return _hasher().hash(password)


def _password_context(login: str, organization: Organization) -> tuple[str, ...]:
    return (login, organization.code)


def create_user(session: Session, *, login: str, display_name: str, organization: Organization,
                roles: set[Role], password: str) -> User:
    """Create an active user with the given roles; the password must pass the rules."""
    if not roles:
        raise DomainError("役割を1つ以上指定してください。")
    if session.scalar(sa.select(User.id).where(User.login == login)) is not None:
        raise DomainError("そのログインIDは既に使われています。")
    user = User(login=login, display_name=display_name, organization=organization,
                password_hash=hash_password(password, context=_password_context(login, organization)),
                role_links=[UserRole(role=role) for role in sorted(roles)])
    session.add(user)
    session.flush()
    return user


def _verify_dummy(hasher: PasswordHasher, password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hasher.hash("caseflow-dummy-password")
    try:
        hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def authenticate(session: Session, login: str, password: str, *, now: dt.datetime | None = None) -> User | None:
    """The active, unlocked user with this login and password, or None.

    A wrong password counts towards the account's lock-out (``record_failed_login``). Every
    refusal costs one argon2 verification, whether the login exists or not, so neither the
    answer nor its timing tells an unknown login from a locked account or a wrong password.
    The caller commits either way (the failure count must be kept).
    """
    now = now or utcnow()
    user = session.scalars(sa.select(User).where(User.login == login)).one_or_none()
    hasher = _hasher()
    if user is None or not user.active or user.is_locked(now):
        _verify_dummy(hasher, password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        record_failed_login(session, user, now=now)
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def record_failed_login(session: Session, user: User, *, now: dt.datetime | None = None) -> None:
    """Count one failed login (password or code); at LOGIN_MAX_FAILURES the account locks for a while."""
    now = now or utcnow()
    config = current_app.config
    if user.locked_until is not None and user.locked_until <= now:
        user.failed_logins, user.locked_until = 0, None  # the last lock-out is over: count afresh
        session.flush()
    # Incremented in SQL: two guesses at the same moment both count.
    user.failed_logins = User.failed_logins + 1
    session.flush()
    session.refresh(user, ["failed_logins"])
    if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
        user.failed_logins = 0
        user.locked_until = now + dt.timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    session.flush()


def login_succeeded(session: Session, user: User) -> None:
    """The user passed every step: the count of failures starts again."""
    user.failed_logins, user.locked_until = 0, None
    session.flush()


def end_all_sessions(session: Session, user: User) -> None:
    """Every session of ``user`` ends, copies of its cookie included (the id kept in them changes)."""
    user.session_token = new_session_token()
    session.flush()


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one (a wrong one counts towards the lock-out).

    Ends the user's other sessions; the caller renews the current one.
    """
    if user.is_locked(utcnow()):
        raise DomainError("パスワードを続けて誤ったため、しばらくの間変更できません。時間をおいてからやり直してください。")
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        record_failed_login(session, user)
        raise DomainError("現在のパスワードが正しくありません。") from None
    if new_password == current_password:
        raise DomainError("新しいパスワードは現在のパスワードと違うものにしてください。")
    try:
        check_password(new_password, context=_password_context(user.login, user.organization))
    except PasswordRejected as exc:
        raise DomainError(str(exc)) from None
    user.password_hash = hasher.hash(new_password)
    login_succeeded(session, user)
    end_all_sessions(session, user)


def start_second_factor_enrolment(session: Session, user: User) -> str:
    """The secret to enrol in an authenticator app: a new one, or the one shown before and not yet confirmed."""
    if user.has_second_factor:
        raise DomainError("確認コードの設定は済んでいます。")
    if user.totp_secret is None:
        user.totp_secret = totp.new_secret()
        session.flush()
    return user.totp_secret


def confirm_second_factor(session: Session, user: User, code: str, *, now: float | None = None) -> bool:
    """Finish the enrolment with a first code from the app; False (and a failure counted) if it is wrong."""
    if user.has_second_factor or user.totp_secret is None:
        raise DomainError("確認コードの設定をやり直してください。")
    if not _accept_code(session, user, code, now=now):
        return False
    user.totp_confirmed_at = utcnow()
    session.flush()
    return True


def verify_second_factor(session: Session, user: User, code: str, *, now: float | None = None) -> bool:
    """True if ``code`` is the user's current code and was not used before; a wrong one counts as a failure."""
    if not user.has_second_factor:
        raise DomainError("確認コードが設定されていません。")
    return _accept_code(session, user, code, now=now)


def _accept_code(session: Session, user: User, code: str, *, now: float | None) -> bool:
    step = totp.matching_step(user.totp_secret, code, last_step=user.totp_last_step, now=now)
    if step is None:
        record_failed_login(session, user)
        return False
    user.totp_last_step = step
    session.flush()
    return True


def reset_second_factor(session: Session, user: User, actor: User | None = None) -> None:
    """Forget the user's TOTP secret (lost phone): they enrol again at their next login.

    ``actor`` is an administrator, or None from the command line.
    """
    if actor is not None:
        require(actor, Permission.USER_RESET_SECOND_FACTOR)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    end_all_sessions(session, user)
