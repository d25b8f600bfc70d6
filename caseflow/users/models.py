"""Users and their roles."""

from __future__ import annotations

import datetime as dt
import enum
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.crypto.types import EncryptedString
from caseflow.db import Base, UTCDateTime, str_enum, utcnow
from caseflow.organizations.models import Organization


class Role(enum.StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    MINISTRY_OFFICER = "ministry_officer"
    DIGITAL_AGENCY_OFFICER = "digital_agency_officer"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return {
            "caseworker": "担当職員",
            "supervisor": "承認者",
            "ministry_officer": "制度所管省庁職員",
            "digital_agency_officer": "デジタル庁職員",
            "administrator": "システム管理者",
        }[self.value]


# Roles that approve, or administer, get a second factor (TOTP) after the password.
SECOND_FACTOR_ROLES = (Role.SUPERVISOR, Role.ADMINISTRATOR)


def new_session_token() -> str:
    """A random token for User.session_token."""
    return secrets.token_hex(16)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Lock-out: failed logins in a row, and the time until which the account refuses any login.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Second factor: the TOTP secret (encrypted at rest; loaded, and decrypted, only when a login
    # needs it), when its enrolment was confirmed, and the last time step used (a code is accepted once).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString("users.totp_secret", 32), deferred=True)
    totp_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger())
    # Part of the id kept in the session cookie: changing it (logout, password change) ends
    # every session of the user, including copies of the cookie.
    session_token: Mapped[str | None] = mapped_column(sa.String(32), default=new_session_token)

    organization: Mapped[Organization] = relationship(lazy="joined")
    role_links: Mapped[list[UserRole]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(link.role for link in self.role_links)

    def has_role(self, *roles: Role) -> bool:
        return any(link.role in roles for link in self.role_links)

    @property
    def needs_second_factor(self) -> bool:
        return self.has_role(*SECOND_FACTOR_ROLES)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed_at is not None  # set only once a secret was confirmed

    def is_locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token or ''}"

    def __repr__(self) -> str:
        return f"<User {self.login}>"
