"""Creating users and checking their passwords."""

from __future__ import annotations

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy.orm import Session

from caseflow.errors import DomainError
from caseflow.organizations.models import Organization
from caseflow.users.models import Role, User, UserRole

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

# A constant hash verified when the login is unknown, so that the response time
# does not tell which logins exist.
_DUMMY_HASH = None


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["PASSWORD_HASH_TIME_COST"],
        memory_cost=config["PASSWORD_HASH_MEMORY_COST"],
    )


def hash_password(password: str) -> str:
    """argon2id hash of ``password`` after checking the length rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください。")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(f"パスワードは{MAX_PASSWORD_LENGTH}文字以下にしてください。")
    return _hasher().hash(password)


def create_user(session: Session, *, login: str, display_name: str, organization: Organization,
                roles: set[Role], password: str) -> User:
    """Create an active user with the given roles."""
    if not roles:
        raise DomainError("役割を1つ以上指定してください。")
    if session.scalar(sa.select(User.id).where(User.login == login)) is not None:
        raise DomainError("そのログインIDは既に使われています。")
    user = User(login=login, display_name=display_name, organization=organization,
                password_hash=hash_password(password),
                role_links=[UserRole(role=role) for role in sorted(roles)])
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active user with this login and password, or None."""
    global _DUMMY_HASH
    user = session.scalars(sa.select(User).where(User.login == login)).one_or_none()
    hasher = _hasher()
    if user is None or not user.active:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hasher.hash("caseflow-dummy-password")
        try:
            hasher.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user
