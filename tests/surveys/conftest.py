"""A survey world: a ministry's survey of one program, answered by 青森県's municipalities and a union."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from caseflow.core.japanese import JST
from caseflow.extensions import db
from caseflow.organizations.models import Organization, OrganizationCategory, OrganizationKind, Program
from caseflow.surveys.models import Survey, SurveyRespondent
from caseflow.surveys.operations import add_respondents, create_survey
from caseflow.users.models import Role, User

SHEET = {"department": "介護保険課", "responsible_title": "介護保険課長", "responsible_name": "青森 太郎",
         "contact_name": "青森 花子", "phone": "017-000-0000", "email": "kaigo@example.jp"}
# 青森市's answers as the seed's known cause: kana and birth date without the address (点検 要).
KNOWN_CAUSE = {"1-1": "②", "2": "①", "3": "①", "4": "③", "5": "②", "6": "①②", "7-1": "①", "7-2": "①",
               "7-3": "①", "7-4": "②③", "8-1": "③", "9": "①", "10": "①", "11": "①", "12": "②"}
# Every number from the person's own documents (Q5 ① → Q10): nothing to inspect.
SAFE = {"1-1": "②", "2": "①", "3": "①", "4": "①", "5": "①", "10": "①", "11": "①", "12": "②"}


@dataclass
class SurveyWorld:
    survey: Survey
    program: Program
    ministry: Organization
    other_ministry: Organization
    digital: Organization
    prefecture: Organization
    aomori: Organization
    hirosaki: Organization
    sapporo: Organization  # 北海道: another prefecture's municipality (and a designated city)
    union: Organization
    member: Organization
    users: dict[str, User]

    def respondent(self, org: Organization) -> SurveyRespondent:
        return db.session.scalars(sa.select(SurveyRespondent).where(
            SurveyRespondent.survey_id == self.survey.id, SurveyRespondent.organization_id == org.id)).one()


def _org(code, name, kind=OrganizationKind.LINKING_AGENCY, category=None, prefecture=None) -> Organization:
    org = db.session.scalars(sa.select(Organization).where(Organization.code == code)).one_or_none()
    if org is None:
        org = Organization(code=code, name=name, kind=kind, category=category, prefecture=prefecture)
        db.session.add(org)
        db.session.flush()
    return org


@pytest.fixture
def survey_world(app, make_user) -> SurveyWorld:
    m = OrganizationCategory.MUNICIPALITY
    ministry = _org("t-mhlw", "厚生労働省（調査）", OrganizationKind.MINISTRY, OrganizationCategory.MINISTRY)
    other_ministry = _org("t-cfa", "こども家庭庁（調査）", OrganizationKind.MINISTRY, OrganizationCategory.MINISTRY)
    digital = _org("t-digital", "デジタル庁（調査）", OrganizationKind.DIGITAL_AGENCY, OrganizationCategory.DIGITAL_AGENCY)
    prefecture = _org("020001", "青森県", category=OrganizationCategory.PREFECTURE, prefecture="青森県")
    aomori = _org("022012", "青森市", category=m, prefecture="青森県")
    hirosaki = _org("022021", "弘前市", category=m, prefecture="青森県")
    sapporo = _org("011002", "札幌市", category=m, prefecture="北海道")
    union = _org("u01-sorachi-chubu", "空知中部広域連合", category=OrganizationCategory.UNION, prefecture="北海道")
    member = _org("012271", "歌志内市", category=m, prefecture="北海道")
    hokkaido = _org("010006", "北海道", category=OrganizationCategory.PREFECTURE, prefecture="北海道")
    program = Program(name="介護保険資格・給付情報（調査）", code="t-long-term-care", ministry_id=ministry.id,
                      linking_categories=["municipality", "union"])
    db.session.add(program)
    db.session.flush()
    survey = create_survey(db.session, code="t-2307", title="マイナンバー情報連携関係実態調査（テスト）", ministry=ministry,
                           sender="厚生労働省老健局", programs=[program],
                           deadline=dt.datetime.now(JST).replace(microsecond=0) + dt.timedelta(days=14),
                           inspection_deadline=dt.date.today() + dt.timedelta(days=120), file_code="2307",
                           additions=("介護保険",))
    add_respondents(db.session, survey, [(aomori, None, prefecture), (hirosaki, None, prefecture),
                                         (sapporo, None, None), (union, None, hokkaido), (member, union, hokkaido)])
    users = {
        "aomori": make_user(Role.CASEWORKER, org=aomori, name="青森 担当"),
        "aomori_boss": make_user(Role.SUPERVISOR, org=aomori, name="青森 課長"),
        "hirosaki": make_user(Role.CASEWORKER, org=hirosaki, name="弘前 担当"),
        "prefecture": make_user(Role.CASEWORKER, org=prefecture, name="県 担当"),
        "hokkaido": make_user(Role.CASEWORKER, org=hokkaido, name="道 担当"),
        "ministry": make_user(Role.MINISTRY_OFFICER, org=ministry, name="厚労 担当"),
        "other_ministry": make_user(Role.MINISTRY_OFFICER, org=other_ministry, name="こ家 担当"),
        "digital": make_user(Role.DIGITAL_AGENCY_OFFICER, org=digital, name="デジ 担当"),
        "admin": make_user(Role.ADMINISTRATOR, org=digital, name="管理者"),
    }
    return SurveyWorld(survey, program, ministry, other_ministry, digital, prefecture, aomori, hirosaki, sapporo,
                       union, member, users)
