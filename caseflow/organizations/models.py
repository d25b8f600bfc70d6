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
    # What its letters print (see LETTERHEAD_FIELDS); None for organisations that send none.
    letterhead: Mapped[dict | None] = mapped_column(sa.JSON)

    def __repr__(self) -> str:
        return f"<Organization {self.code} {self.kind.value}>"


# The letterhead of an organisation's letters: document-number prefix (青市民 → 青市民第1234号),
# the issuer, and the contact box.
LETTERHEAD_FIELDS = {
    "prefix": "文書番号の記号",
    "issuer_title": "発信者の職名",
    "issuer_name": "発信者の氏名",
    "department": "問い合わせ先（担当課）",
    "place": "窓口の場所",
    "postal_code": "問い合わせ先の郵便番号",
    "address": "問い合わせ先の住所",
    "phone": "電話番号",
    "hours": "受付時間",
}


class Program(Base):
    """A program (事務) whose records carry My Numbers, with its responsible ministry."""

    __tablename__ = "programs"
    __table_args__ = (sa.CheckConstraint("retention_years >= 1", name="retention_years_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    code: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    ministry_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    # How many years a notified case keeps its people's facts (caseflow.retention); None: the
    # installation's default (CASEFLOW_RETENTION_YEARS).
    retention_years: Mapped[int | None]

    ministry: Mapped[Organization] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Program {self.id}>"
