"""API tokens: a user's credentials for the JSON API, stored only as their SHA-256."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.core.free_text import free_text
from caseflow.db import Base, UTCDateTime, utcnow
from caseflow.users.models import User

TOKEN_NAME_MAX = 100
TOKEN_PREFIX_LENGTH = 8


class ApiToken(Base):
    """One token of one user. The token itself is shown once, at issue, and never stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = free_text(sa.String(TOKEN_NAME_MAX))
    # SHA-256 (hex) of the token: a token is 256 random bits, so a fast hash is enough,
    # and the look-up by hash compares no secret character by character.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The token's first characters, shown so that its owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(TOKEN_PREFIX_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id}>"
