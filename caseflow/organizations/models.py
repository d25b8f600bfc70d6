"""Organisations (linking agencies, ministries, the Digital Agency) and programs (事務)."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.db import Base, str_enum


class OrganizationKind(enum.StrEnum):
    LINKING_AGENCY = "linking_agency"
    MINISTRY = "ministry"
    DIGITAL_AGENCY = "digital_agency"

    @property
    def label(self) -> str:
        return {
            "linking_agency": "紐付け実施機関",
            "ministry": "制度所管省庁",
            "digital_agency": "デジタル庁",
        }[self.value]


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganizationKind] = mapped_column(str_enum(OrganizationKind, "organization_kind"))
    prefecture: Mapped[str | None] = mapped_column(sa.String(10))

    def __repr__(self) -> str:
        return f"<Organization {self.code} {self.kind.value}>"


class Program(Base):
    """A program (事務) whose records carry My Numbers, with its responsible ministry."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    code: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    ministry_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)

    ministry: Mapped[Organization] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Program {self.id}>"
