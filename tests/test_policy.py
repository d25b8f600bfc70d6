"""The access policy (caseflow.policy): one rule for one object and for lists, and every
permission covered by the authorisation matrices.

For every permission, every role in every kind of organisation (its own and others), and every
object of a small world (cases of two agencies and of the Digital Agency, referred or not,
batches, print runs, jobs, inbox items, referrals, organisations, programs), ``may()`` for the
object must give what ``clause()`` selects from the list.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from caseflow import policy
from caseflow.cases.models import Case
from caseflow.errors import PermissionDenied
from caseflow.extensions import db
from caseflow.inspections.models import BatchStatus, InspectionBatch
from caseflow.jobs.models import Job, JobStatus
from caseflow.letters.models import PrintRun, PrintRunStatus
from caseflow.organizations.models import Organization, OrganizationKind, Program
from caseflow.policy import Permission, Scope
from caseflow.routing.models import InboxItem, InboxKind, Referral
from caseflow.surveys.models import InspectionObligation, SurveyRespondent
from caseflow.surveys.operations import create_survey
from caseflow.users.models import Role
from tests.api.test_authorization import API_ROUTES
from tests.surveys.test_authorization import SURVEY_ROUTES
from tests.test_authorization_matrix import ROUTES

# Permissions no page or endpoint asks, with where they are asked and tested instead.
OFF_ROUTE: dict[Permission, str] = {}


def test_every_permission_has_a_rule():
    assert set(policy.RULES) == set(Permission)


def test_every_permission_is_in_an_authorisation_matrix():
    named = {entry.permission for entry in (*ROUTES, *API_ROUTES, *SURVEY_ROUTES) if entry.permission is not None}
    missing = set(Permission) - named - set(OFF_ROUTE)
    assert not missing, "permissions without a row in the authorisation matrices: " + ", ".join(sorted(missing))
    assert not named & set(OFF_ROUTE), "a permission listed as off route is on a route: remove it from OFF_ROUTE"


@pytest.fixture
def world(make_org, make_user, make_case, agency, ministry, program, caseworker):
    """Agencies A and B, ministries M (program P) and M2 (programs P2, P3), the Digital Agency D
    (itself the linking agency of P3); a user of every role in each; objects of each kind."""
    other_agency = make_org(name="別市")
    other_ministry = make_org(OrganizationKind.MINISTRY, "別省")
    digital = make_org(OrganizationKind.DIGITAL_AGENCY, "デジタル庁（テスト）")
    program2 = Program(name="別の事務（テスト）", ministry_id=other_ministry.id)
    program3 = Program(name="公金受取口座（テスト）", ministry_id=other_ministry.id)
    db.session.add_all([program2, program3])
    db.session.flush()
    organizations = [agency, other_agency, ministry, other_ministry, digital]
    users = [make_user(role, org=org) for org in organizations for role in Role]

    cases = [make_case(), make_case(agency_=other_agency), make_case(program_=program2),
             make_case(agency_=digital, program_=program3)]
    referred = [(make_case(), ministry), (make_case(), digital), (make_case(agency_=other_agency), other_ministry)]
    referrals = []
    for case, to in referred:
        case.holder_id = to.id
        referrals.append(Referral(case=case, from_organization_id=case.agency_id, to_organization_id=to.id,
                                  question="ご確認ください。", asked_by_id=caseworker.id))
        cases.append(case)
    referrals.append(Referral(case=cases[0], from_organization_id=ministry.id, to_organization_id=agency.id,
                              question="差戻し", asked_by_id=caseworker.id))
    batches = [InspectionBatch(agency_id=org.id, program_id=prog.id, status=BatchStatus.DONE,
                               records_filename="r.csv", registry_filename="g.csv", records_sha256="0" * 64,
                               registry_sha256="1" * 64, finished_at=dt.datetime.now(dt.UTC))
               for org, prog in ((agency, program), (other_agency, program), (agency, program2),
                                 (digital, program3))]
    runs = [PrintRun(organization_id=org.id, status=PrintRunStatus.READY, letters_count=0)
            for org in (agency, other_agency, digital)]
    jobs = [Job(kind="inspection", status=JobStatus.QUEUED, created_by_id=caseworker.id, organization_id=org.id,
                params={}, progress_done=0) for org in (agency, other_agency, ministry, digital)]
    inbox = [InboxItem(organization_id=org.id, case=case, kind=InboxKind.CONFIRMED, message="確定")
             for org, case in ((agency, cases[0]), (ministry, cases[0]), (digital, cases[1]),
                               (other_ministry, cases[2]))]
    db.session.add_all([*referrals, *batches, *runs, *jobs, *inbox])
    db.session.flush()
    # A survey of M: A answers to M directly, B is gathered by A (as a prefecture gathers its municipalities).
    survey = create_survey(db.session, code="policy", title="実態調査（テスト）", ministry=ministry, sender="M",
                           programs=[program], deadline=dt.datetime.now(dt.UTC), inspection_deadline=dt.date.today(),
                           file_code="2307")
    respondents = [SurveyRespondent(survey=survey, organization_id=agency.id, kind="municipality", sheet={}, answers={}),
                   SurveyRespondent(survey=survey, organization_id=other_agency.id, kind="municipality",
                                    gatherer_id=agency.id, sheet={}, answers={})]
    db.session.add_all(respondents)
    db.session.flush()
    obligations = [InspectionObligation(survey_id=survey.id, respondent_id=r.id, organization_id=r.organization_id,
                                        program_id=prog.id, required=True, scope="all", reasons=[], rule_version=1,
                                        deadline=dt.date.today())
                   for r, prog in ((respondents[0], program), (respondents[1], program), (respondents[0], program2))]
    db.session.add_all(obligations)
    db.session.flush()
    return SimpleNamespace(users=users, rows={
        Case: cases, Referral: referrals, InspectionBatch: batches, PrintRun: runs, Job: jobs, InboxItem: inbox,
        Organization: organizations, Program: [program, program2, program3],
        SurveyRespondent: respondents, InspectionObligation: obligations,
    })


def _selected(model, rows, condition) -> set[int]:
    ids = [row.id for row in rows]
    return set(db.session.scalars(sa.select(model.id).where(model.id.in_(ids), condition)))


def _subjects(permission: Permission) -> list[type]:
    """The kinds of object a permission is asked about: its own, and those its rule is used for too."""
    subject = policy.rule(permission).subject
    extra = {Permission.REPORT_VIEW: [InspectionBatch, Program],  # figures of batches; a ministry's programs
             Permission.CASE_ACT: [Organization],  # who may hold an organisation's cases (bulk assignment)
             Permission.REFERRAL_SEND: [Organization]}  # who speaks for the organisation holding a case
    return [subject, *extra.get(permission, [])] if subject is not None else []


@pytest.mark.parametrize("permission", list(Permission), ids=str)
def test_one_object_and_the_list_agree(world, permission):
    """may(user, permission, obj) is True exactly for the rows clause(user, permission) selects."""
    checked, granted_pairs = 0, 0
    for user in world.users:
        for model in _subjects(permission):
            rows = world.rows[model]
            expected = _selected(model, rows, policy.clause(user, permission, model))
            by_object = {row.id for row in rows if policy.may(user, permission, row)}
            assert by_object == expected, (user.roles, user.organization.name, model.__name__)
            checked += len(rows)
            granted_pairs += len(by_object)
        # Without an object: whether the roles grant it at all, as the clause's true() says for role-only rules.
        granted = policy.may(user, permission)
        assert granted == bool(policy.scopes(user, permission))
        if policy.rule(permission).subject is None:
            assert granted == bool(db.session.scalar(sa.select(sa.case((policy.clause(user, permission), 1),
                                                                         else_=0))))
    # The world tells allowed from refused: some users have the permission for some objects, not all.
    assert 0 < granted_pairs < checked or policy.rule(permission).subject is None


def test_the_case_rules_read_as_before(world):
    """The rules the case pages lived by, now the policy's: staff of the holding agency act, its
    supervisors approve; a ministry sees its programs' cases, the Digital Agency all; the people's
    facts go to the agency's staff and to the organisation a case is referred to."""
    case = world.rows[Case][0]
    referred_to_ministry = world.rows[Case][4]
    for user in world.users:
        (role,) = user.roles
        own = user.organization_id == case.agency_id
        assert policy.may(user, Permission.CASE_ACT, case) == (own and role in policy.STAFF)
        assert policy.may(user, Permission.DECISION_APPROVE, case) == (own and role is Role.SUPERVISOR)
        assert policy.may(user, Permission.CASE_VIEW, case) == (
            (own and role in policy.STAFF) or role is Role.DIGITAL_AGENCY_OFFICER
            or (role is Role.MINISTRY_OFFICER and user.organization_id == case.program.ministry_id))
        assert policy.may(user, Permission.CASE_FACTS, referred_to_ministry) == (
            (user.organization_id == referred_to_ministry.agency_id and role in policy.STAFF)
            or user.organization_id == referred_to_ministry.holder_id)


def test_a_refusal_names_the_organisation_and_the_roles(world):
    outsider = next(u for u in world.users if u.organization_id != world.rows[Case][0].agency_id
                    and u.roles == {Role.SUPERVISOR})
    with pytest.raises(PermissionDenied) as refused:
        policy.require(outsider, Permission.CASE_ACT, world.rows[Case][0])
    assert refused.value.message == "この操作は、案件を保有する紐付け実施機関の担当職員または承認者のみが行えます。"
    assert policy.refusal(Permission.DECISION_APPROVE, action="訂正の差戻し") == (
        "訂正の差戻しは、案件を保有する紐付け実施機関の承認者（課長級）のみが行えます。")
    assert policy.refusal(Permission.REPORT_SNAPSHOT) == (
        "月末の集計の確定は、デジタル庁職員またはシステム管理者のみが行えます。")


def test_templates_ask_by_name_and_anonymous_users_may_nothing(world):
    digital_officer = next(u for u in world.users if u.roles == {Role.DIGITAL_AGENCY_OFFICER})
    assert policy.may(digital_officer, "batch.view", world.rows[InspectionBatch][1])
    assert policy.unrestricted(digital_officer, Permission.CASE_VIEW)
    assert policy.scopes(digital_officer, Permission.CASE_ACT) == frozenset()
    assert Scope.PROGRAM in policy.scopes(next(u for u in world.users if u.roles == {Role.MINISTRY_OFFICER}),
                                          Permission.REPORT_VIEW)
    assert not policy.may(None, Permission.JOB_VIEW)
    with pytest.raises(ValueError):
        policy.may(digital_officer, "case.veiw")
