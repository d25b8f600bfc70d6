"""Issuing, revoking and checking API tokens. Functions flush; the caller commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.api.models import TOKEN_NAME_MAX, TOKEN_PREFIX_LENGTH, ApiToken
from caseflow.db import utcnow
from caseflow.errors import DomainError, NotFound
from caseflow.users.models import User

# A token's last use is written at most this often: otherwise every GET would be a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# Longer than any token we issue (43 characters); anything longer is not worth hashing.
_MAX_TOKEN_LENGTH = 200


def hash_token(plaintext: str) -> str:
    """SHA-256 (hex) of a token, as stored."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def issue_token(session: Session, user: User, name: str | None) -> tuple[ApiToken, str]:
    """A new token for ``user``, named so its owner can tell it apart.

    Returns the stored token and the token itself (plaintext), which is shown
    once and cannot be recovered afterwards.
    """
    name = (name or "").strip()
    if not name:
        raise DomainError("トークンの名前（用途）を入力してください。")
    if len(name) > TOKEN_NAME_MAX:
        raise DomainError(f"トークンの名前は{TOKEN_NAME_MAX}文字以内で入力してください。")
    if not user.active:
        raise DomainError("無効な利用者にはトークンを発行できません。")
    plaintext = secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, user=user, name=name, token_hash=hash_token(plaintext),
                     prefix=plaintext[:TOKEN_PREFIX_LENGTH])
    session.add(token)
    session.flush()
    return token, plaintext


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they show when they stopped)."""
    return list(session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def get_own_token(session: Session, user: User, token_id: int) -> ApiToken:
    """One of ``user``'s tokens; anyone else's is 'not found'."""
    token = session.scalars(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)).one_or_none()
    if token is None:
        raise NotFound("トークンが見つかりません。")
    return token


def revoke_token(session: Session, token: ApiToken) -> None:
    """Stop a token from working, at once and for good (the row stays, to show when)."""
    if token.revoked_at is not None:
        raise DomainError("このトークンは既に無効化されています。")
    token.revoked_at = utcnow()
    session.flush()


def authenticate_token(session: Session, plaintext: str | None) -> User | None:
    """The active user a valid, unrevoked token belongs to, or None.

    The token is found by its hash, so no comparison runs over the secret and
    the time taken says nothing about how close a guess was.
    """
    if not plaintext or len(plaintext) > _MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(plaintext)
    now = utcnow()
    # Record the use first, as the transaction's first statement: on SQLite a transaction
    # that reads and only then writes fails if another wrote in between, and an API read
    # must not fail for that. Written once a minute at most.
    session.execute(
        sa.update(ApiToken)
        .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None),
               sa.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION))
        .values(last_used_at=now)
    )
    token = session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == digest)).one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token.user
