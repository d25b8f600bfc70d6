"""Reference data for surveys: every local government as an organisation, and the seed's survey.

Every prefecture and municipality (全国地方公共団体コード, seed/local_governments.csv) and the
unions of seed/survey_unions.csv become organisations, so that any of them can be a respondent.
The seed's survey is 厚生労働省老健局's 「介護保険関係事務における個人番号の紐付けの点検について」
(seed 001): its respondents are the organisations that link its program (municipalities and
unions; a union's members answer too, by Q13), gathered by their prefecture except the
designated cities (指定都市), which answer the ministry directly.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.core.japanese import JST
from caseflow.organizations.models import Organization, OrganizationCategory, OrganizationKind, Program
from caseflow.surveys import local_governments
from caseflow.surveys.models import Survey, SurveyRespondent
from caseflow.surveys.obligations import current_rule_table
from caseflow.surveys.operations import add_respondents, create_survey

SEED_SURVEY_CODE = "2307-kaigo"
SEED_SURVEY = {
    "code": SEED_SURVEY_CODE,
    "title": "マイナンバー情報連携関係実態調査（介護保険関係事務）",
    "sender": "厚生労働省老健局",
    "ministry": "厚生労働省",
    "program_code": "long-term-care",
    "deadline": dt.datetime(2023, 7, 21, 17, 0, tzinfo=JST),  # 令和5年7月21日（金）17時
    "inspection_deadline": dt.date(2023, 11, 30),  # 原則11月末
    "file_code": "2307",
    "additions": ("介護保険",),
}


def load_organizations(session: Session) -> tuple[int, int]:
    """Every local government and union as an organisation (by code; loading twice changes nothing).
    Returns (created, existing)."""
    orgs = {o.code: o for o in session.scalars(sa.select(Organization))}
    created = existing = 0
    for row in local_governments.load_local_governments():
        category = OrganizationCategory.PREFECTURE if row.kind == "prefecture" else OrganizationCategory.MUNICIPALITY
        org = orgs.get(row.code)
        if org is None:
            org = Organization(code=row.code, name=row.name, kind=OrganizationKind.LINKING_AGENCY,
                               category=category, prefecture=row.prefecture)
            session.add(org)
            orgs[row.code] = org
            created += 1
        else:
            existing += 1
            if org.category is None:
                org.category = category
            org.prefecture = org.prefecture or row.prefecture
    for union in local_governments.load_unions():
        if union.code in orgs:
            existing += 1
            continue
        org = Organization(code=union.code, name=union.name, kind=OrganizationKind.LINKING_AGENCY,
                           category=OrganizationCategory.UNION, prefecture=union.prefecture)
        session.add(org)
        orgs[union.code] = org
        created += 1
    session.flush()
    return created, existing


def respondents_of(session: Session, programs: list[Program]) -> list[tuple[Organization, Organization | None,
                                                                            Organization | None]]:
    """(organisation, union, gatherer) for every organisation that links one of ``programs``: a
    municipality's gatherer is its prefecture (none for a designated city), a union's too; a
    prefecture answers the ministry directly."""
    orgs = list(session.scalars(sa.select(Organization).where(Organization.kind == OrganizationKind.LINKING_AGENCY)
                                .order_by(Organization.code)))
    prefectures = {o.prefecture: o for o in orgs if o.category is OrganizationCategory.PREFECTURE}
    by_code = {o.code: o for o in orgs}
    union_of: dict[str, Organization] = {}
    for union in local_governments.load_unions():
        if union.code in by_code:
            for member in union.members:
                union_of[member] = by_code[union.code]
    designated = {row.code for row in local_governments.load_local_governments() if row.designated_city}
    entries = []
    for org in orgs:
        if not any(p.is_linked_by(org) for p in programs):
            continue
        if org.category is OrganizationCategory.PREFECTURE:
            gatherer = None
        elif org.code in designated:
            gatherer = None
        else:
            gatherer = prefectures.get(org.prefecture)
        entries.append((org, union_of.get(org.code), gatherer))
    return entries


def seed_survey(session: Session) -> Survey:
    """The seed's survey with its respondents (loading twice changes nothing)."""
    survey = session.scalars(sa.select(Survey).where(Survey.code == SEED_SURVEY_CODE)).one_or_none()
    if survey is None:
        ministry = session.scalars(sa.select(Organization).where(Organization.name == SEED_SURVEY["ministry"])).one()
        program = session.scalars(sa.select(Program).where(Program.code == SEED_SURVEY["program_code"])).one()
        survey = create_survey(session, code=SEED_SURVEY_CODE, title=SEED_SURVEY["title"], ministry=ministry,
                               sender=SEED_SURVEY["sender"], programs=[program], deadline=SEED_SURVEY["deadline"],
                               inspection_deadline=SEED_SURVEY["inspection_deadline"],
                               file_code=SEED_SURVEY["file_code"], additions=SEED_SURVEY["additions"])
    add_respondents(session, survey, respondents_of(session, list(survey.programs)))
    return survey


def load_survey_reference(session: Session, summary=None) -> tuple[Survey, int]:
    """Every local government as an organisation, the rule table, and the seed's survey with its
    respondents (``caseflow seed reference``; loading twice changes nothing). Returns the survey
    and how many respondents it has."""
    created, existing = load_organizations(session)
    if summary is not None:
        summary.created["organizations"] += created
    current_rule_table(session)
    survey = seed_survey(session)
    count = session.scalar(sa.select(sa.func.count(SurveyRespondent.id))
                           .where(SurveyRespondent.survey_id == survey.id))
    return survey, count
