"""Organisations (linking agencies, ministries, the Digital Agency) and programs (事務)."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from caseflow.core.free_text import free_text
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


class OrganizationCategory(enum.StrEnum):
    """What kind of body an organisation is (組織区分): decides which programs it may link."""

    PREFECTURE = "prefecture"
    MUNICIPALITY = "municipality"
    UNION = "union"
    INSURER = "insurer"
    MUTUAL_AID = "mutual_aid"
    LABOUR_OFFICE = "labour_office"
    MINISTRY = "ministry"
    DIGITAL_AGENCY = "digital_agency"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "prefecture": "都道府県",
            "municipality": "市区町村",
            "union": "広域連合・一部事務組合",
            "insurer": "医療保険者（健康保険組合・協会けんぽ等）",
            "mutual_aid": "共済組合",
            "labour_office": "労働局・労働基準監督署",
            "ministry": "府省庁",
            "digital_agency": "デジタル庁",
            "other": "その他",
        }[self.value]


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[OrganizationKind] = mapped_column(str_enum(OrganizationKind, "organization_kind"))
    prefecture: Mapped[str | None] = mapped_column(sa.String(10))
    # 組織区分 (None: not recorded; such an organisation links only programs that name no categories).
    category: Mapped[OrganizationCategory | None] = mapped_column(
        str_enum(OrganizationCategory, "organization_category"))
    # What its letters print (see LETTERHEAD_FIELDS); None for organisations that send none.
    letterhead: Mapped[dict | None] = free_text(sa.JSON)  # typed by an administrator (caseflow.administration)

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


# The four facts (基本4情報, the name in kanji and in kana) a program's records may hold.
FACTS = ("name", "kana", "birth_date", "sex", "address")


class CorrectionKind(enum.StrEnum):
    """How a program's linkage error is corrected."""

    RELINK = "relink"  # the wrong number removed; the right one linked, or left until the person is identified
    ACCOUNT_DELETION = "account_deletion"  # 公金受取口座: the account deleted, the holder asked to register again


class Program(Base):
    """A program (事務) whose records carry My Numbers, with its responsible ministry.

    It declares which facts its records hold (``facts_held``: a 3-fact registry query is the rule
    where there is no sex), which kinds of organisation link it (``linking_categories``; None: any
    linking agency) and how its errors are corrected.
    """

    __tablename__ = "programs"
    __table_args__ = (sa.CheckConstraint("retention_years >= 1", name="retention_years_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    code: Mapped[str | None] = mapped_column(sa.String(60), unique=True)
    ministry_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    # How many years a notified case keeps its people's facts (caseflow.retention); None: the
    # installation's default (CASEFLOW_RETENTION_YEARS).
    retention_years: Mapped[int | None]
    facts_held: Mapped[list[str]] = mapped_column(sa.JSON, default=lambda: list(FACTS))
    linking_categories: Mapped[list[str] | None] = mapped_column(sa.JSON)
    correction_kind: Mapped[CorrectionKind] = mapped_column(
        str_enum(CorrectionKind, "correction_kind"), default=CorrectionKind.RELINK,
        server_default=CorrectionKind.RELINK.value)
    # Whether the number's holder (番号の保有者) gets a notice of their own (caseflow.letters, the
    # holder_notice kind); 公金受取口座 does not: its holder gets the bank-account request instead.
    holder_notice: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    ministry: Mapped[Organization] = relationship(lazy="joined")

    def holds(self, fact: str) -> bool:
        """Whether the program's records carry ``fact`` (one of FACTS)."""
        return fact in (self.facts_held if self.facts_held is not None else FACTS)

    def is_linked_by(self, organization: Organization) -> bool:
        """Whether ``organization`` is of a kind that links this program (and so may inspect it)."""
        if organization.kind is OrganizationKind.MINISTRY:
            return False
        if not self.linking_categories:
            return organization.kind is OrganizationKind.LINKING_AGENCY
        return organization.category is not None and organization.category.value in self.linking_categories

    @property
    def linking_labels(self) -> str:
        """The kinds of organisation that link the program, as people read them (一覧の表示用)."""
        if not self.linking_categories:
            return OrganizationKind.LINKING_AGENCY.label
        return "・".join(OrganizationCategory(c).label for c in self.linking_categories)

    def __repr__(self) -> str:
        return f"<Program {self.id}>"


class ReferenceStamp(Base):
    """One row: a stamp that changes whenever a program or an organisation is written, by any
    process on any host (database triggers, in the writer's transaction: migration 0028). Each
    process checks its cache of them against it (caseflow.organizations.reference)."""

    __tablename__ = "reference_stamps"

    id: Mapped[int] = mapped_column(primary_key=True)
    stamp: Mapped[int] = mapped_column(sa.BigInteger())
