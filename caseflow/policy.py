"""Who may do what: every permission of CaseFlow, with its rule and its refusal, in one table.

A permission is a name (``case.view``, ``letter.issue`` …) and a rule: which roles hold it, and
over which objects — those of their own organisation, those of their ministry's programs, or
all of them. The one rule answers every question asked about it:

- ``may(user, permission, obj)`` for one object (a case, a batch, a print run …); without an
  object, whether the user's roles grant it at all (a menu, a page that lists);
- ``clause(user, permission)``, the SQL condition selecting the rows the user has it for (lists);
- ``require(user, permission, obj)``: ``may``, or PermissionDenied with the refusal, which is
  written from the organisation and the role names of the rule.

Templates ask the same question: ``may('letter.print')`` (``register_template_global``).
Adding a permission is one entry in ``RULES``; giving a role a permission is one ``Grant`` in it
(a new role: its member in ``caseflow.users.models.Role``, then its grants here).
State rules (the proposer does not approve their own proposal, a case referred out keeps its status, only the
assignee releases a case …) are not permissions: they stay with the operations that check them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from caseflow.cases.models import Case
from caseflow.errors import PermissionDenied
from caseflow.inspections.models import InspectionBatch
from caseflow.jobs.models import Job
from caseflow.letters.models import PrintRun
from caseflow.organizations.models import Organization, OrganizationKind, Program
from caseflow.routing.models import InboxItem, Referral
from caseflow.surveys.models import InspectionObligation, Survey, SurveyRespondent
from caseflow.users.models import Role, User


class Permission(enum.StrEnum):
    CASE_VIEW = "case.view"
    CASE_FACTS = "case.facts"
    CASE_ACT = "case.act"
    CASE_OPEN = "case.open"
    CASE_SUPERVISE = "case.supervise"
    CASE_SEARCH = "case.search"
    CASE_SEARCH_BY_NUMBER = "case.search_by_number"
    DECISION_APPROVE = "decision.approve"
    NUMBER_REVEAL = "number.reveal"
    LETTER_ISSUE = "letter.issue"
    LETTER_PRINT = "letter.print"
    REFERRAL_SEND = "referral.send"
    REFERRAL_ANSWER = "referral.answer"
    INBOX_READ = "inbox.read"
    BATCH_VIEW = "batch.view"
    INSPECTION_START = "inspection.start"
    JOB_VIEW = "job.view"
    JOB_SELFTEST = "job.selftest"
    REPORT_VIEW = "report.view"
    REPORT_SNAPSHOT = "report.snapshot"
    USER_RESET_SECOND_FACTOR = "user.reset_second_factor"
    ADMIN_ORGANIZATIONS = "admin.organizations"
    ADMIN_PROGRAMS = "admin.programs"
    ADMIN_USERS = "admin.users"
    ADMIN_HISTORY = "admin.history"
    SURVEY_ANSWER = "survey.answer"
    SURVEY_VIEW = "survey.view"
    SURVEY_REMIND = "survey.remind"
    OBLIGATION_VIEW = "obligation.view"
    OBLIGATION_SIGN_OFF = "obligation.sign_off"
    OBLIGATION_DEADLINE = "obligation.deadline"
    OBLIGATION_RULES = "obligation.rules"


class Scope(enum.Enum):
    """Which objects a grant reaches, seen from the user's organisation."""

    ALL = "all"  # every object
    OWN = "own"  # the objects of the user's organisation
    PROGRAM = "program"  # the objects of the programs of the user's ministry
    REFERRED = "referred"  # cases referred to the user's organisation, until it answers
    HOLDER = "holder"  # cases the user's organisation holds now: its own, or those referred to it
    GATHERED = "gathered"  # survey answers the user's organisation gathers (a prefecture's municipalities)


ANYONE = None  # a grant's roles: whoever is logged in, whatever their roles


@dataclass(frozen=True)
class Grant:
    """``roles`` (ANYONE: any user) have the permission over ``scope``; with ``kinds``, only in
    organisations of those kinds (a ministry's staff account does not speak for a linking agency)."""

    roles: frozenset[Role] | None
    scope: Scope
    kinds: frozenset[OrganizationKind] | None = None

    def applies_to(self, user: User) -> bool:
        """Whether the user's roles (and organisation's kind) are those of this grant, whatever the object."""
        if self.roles is not ANYONE and not user.has_role(*self.roles):
            return False
        return self.kinds is None or user.organization.kind in self.kinds


def grant(roles, scope: Scope, kinds=None) -> Grant:
    """A Grant from plain collections (the table below reads shorter with sets and tuples)."""
    return Grant(None if roles is ANYONE else frozenset(roles), scope,
                 None if kinds is None else frozenset(kinds))


@dataclass(frozen=True)
class Owned:
    """Figures already loaded (a snapshot's grains): whose they are, for ``may``."""

    organization_id: int
    ministry_id: int | None = None


@dataclass(frozen=True)
class Subject:
    """How the policy reads one kind of object: whose it is, as attributes and as columns.

    ``owner``, ``program``, ``referred`` and ``gatherer`` name attributes that are also the model's
    columns; ``ministry`` reads the object's ministry (its program's), and ``ministry_column`` is
    the same as a column for lists where the object has no program; ``names`` say in refusals which
    organisation a scope means. An object that is never referred (an organisation) is held by
    its owner: ``may(user, Permission.REFERRAL_SEND, holding_organisation)``.
    """

    owner: str | None
    names: dict[Scope, str]
    program: str | None = None
    referred: str | None = None
    ministry: Callable[[object], int | None] | None = None
    gatherer: str | None = None
    ministry_column: Callable[[], sa.ColumnElement] | None = None


def _program_ministry(obj) -> int | None:
    return obj.program.ministry_id if obj.program is not None else None


SUBJECTS: dict[type, Subject] = {
    Case: Subject("agency_id", {Scope.OWN: "案件を保有する紐付け実施機関",
                                Scope.PROGRAM: "案件の事務を所管する省庁",
                                Scope.REFERRED: "案件の照会を受けている機関",
                                Scope.HOLDER: "案件を現在保有している機関"},
                  program="program_id", referred="holder_id", ministry=_program_ministry),
    InspectionBatch: Subject("agency_id", {Scope.OWN: "点検を登録した紐付け実施機関",
                                           Scope.PROGRAM: "点検した事務を所管する省庁"},
                             program="program_id", ministry=_program_ministry),
    PrintRun: Subject("organization_id", {Scope.OWN: "通知文書を発行した機関"}),
    Job: Subject("organization_id", {Scope.OWN: "処理を開始した機関"}),
    InboxItem: Subject("organization_id", {Scope.OWN: "受信した機関"}),
    Referral: Subject("to_organization_id", {Scope.OWN: "照会を受けた機関"}),
    Organization: Subject("id", {Scope.OWN: "当該機関"}),
    Program: Subject(None, {Scope.PROGRAM: "事務を所管する省庁"}, program="id", ministry=lambda p: p.ministry_id),
    SurveyRespondent: Subject("organization_id", {Scope.OWN: "回答する団体", Scope.GATHERED: "回答を取りまとめる都道府県",
                                                  Scope.PROGRAM: "調査を行う省庁"},
                              gatherer="gatherer_id", ministry=lambda r: r.survey.ministry_id,
                              ministry_column=lambda: sa.select(Survey.ministry_id)
                              .where(Survey.id == SurveyRespondent.survey_id).scalar_subquery()),
    InspectionObligation: Subject("organization_id", {Scope.OWN: "点検を行う団体", Scope.PROGRAM: "事務を所管する省庁"},
                                  program="program_id", ministry=_program_ministry),
    Owned: Subject("organization_id", {Scope.OWN: "紐付け実施機関", Scope.PROGRAM: "事務を所管する省庁"},
                   ministry=lambda o: o.ministry_id),
}


@dataclass(frozen=True)
class Rule:
    """``action`` is what a refusal names (「…は、…のみが行えます。」); ``subject`` the kind of object
    the permission is about (None: the role alone decides)."""

    action: str
    subject: type | None
    grants: tuple[Grant, ...]


STAFF = (Role.CASEWORKER, Role.SUPERVISOR)  # a linking agency's staff: they work the cases
AGENCIES = (OrganizationKind.LINKING_AGENCY, OrganizationKind.DIGITAL_AGENCY)  # the Digital Agency links too


def _speakers(scope: Scope) -> tuple[Grant, ...]:
    """Who acts for an organisation in routing: its staff, or its officers if a ministry or the Digital Agency."""
    return (grant(STAFF, scope, AGENCIES),
            grant({Role.MINISTRY_OFFICER}, scope, {OrganizationKind.MINISTRY}),
            grant({Role.DIGITAL_AGENCY_OFFICER}, scope, {OrganizationKind.DIGITAL_AGENCY}))


# Staff see their organisation's cases, a ministry officer those of the ministry's programs, the
# Digital Agency's officers all; every figure follows the cases it counts.
_OVERSIGHT = (grant(STAFF, Scope.OWN), grant({Role.MINISTRY_OFFICER}, Scope.PROGRAM),
              grant({Role.DIGITAL_AGENCY_OFFICER}, Scope.ALL))

_ADMINISTRATORS = (grant({Role.ADMINISTRATOR}, Scope.ALL),)

RULES: dict[Permission, Rule] = {
    Permission.CASE_VIEW: Rule("案件の閲覧", Case, _OVERSIGHT),
    # PPC 必要最小限: the people's facts to the staff who work the case, and to an organisation
    # while the case is referred to it; others state a purpose (caseflow.audit).
    Permission.CASE_FACTS: Rule("本人の情報の閲覧", Case, (grant(STAFF, Scope.OWN), grant(ANYONE, Scope.REFERRED))),
    Permission.CASE_ACT: Rule("この操作", Case, (grant(STAFF, Scope.OWN),)),
    # Opening a case by hand (caseflow.intake), for the staff's own organisation, which must link the program.
    Permission.CASE_OPEN: Rule("案件の登録", Organization, (grant(STAFF, Scope.OWN, AGENCIES),)),
    Permission.CASE_SUPERVISE: Rule("担当者の変更", Case, (grant({Role.SUPERVISOR}, Scope.OWN),)),
    # Searching finds only what the searcher may see (caseflow.cases.search): whoever sees cases searches them.
    Permission.CASE_SEARCH: Rule("案件の検索", Case, _OVERSIGHT),
    # By My Number: the same people, each search with its purpose in the access records (caseflow.audit).
    Permission.CASE_SEARCH_BY_NUMBER: Rule("個人番号による案件の検索", Case, _OVERSIGHT),
    # The second person of a decision: approving or returning a correction or a dismissal, reopening a
    # confirmation (the proposer never decides their own proposal: caseflow.cases.machine).
    Permission.DECISION_APPROVE: Rule("訂正内容・誤りなしの判断の承認", Case, (grant({Role.SUPERVISOR}, Scope.OWN),)),
    Permission.NUMBER_REVEAL: Rule("個人番号の全桁の表示", Case, (grant(STAFF, Scope.OWN),)),
    Permission.LETTER_ISSUE: Rule("通知文書の取扱い", Case, (grant(STAFF, Scope.OWN),)),
    Permission.LETTER_PRINT: Rule("印刷", PrintRun, (grant(STAFF, Scope.OWN),)),
    Permission.REFERRAL_SEND: Rule("照会", Case, _speakers(Scope.HOLDER)),
    Permission.REFERRAL_ANSWER: Rule("照会への回答", Referral, _speakers(Scope.OWN)),
    Permission.INBOX_READ: Rule("受信箱の閲覧", InboxItem, (grant(ANYONE, Scope.OWN),)),
    Permission.BATCH_VIEW: Rule("点検結果の閲覧", InspectionBatch,
                                (grant(STAFF, Scope.OWN), grant({Role.DIGITAL_AGENCY_OFFICER}, Scope.ALL))),
    Permission.INSPECTION_START: Rule("点検の登録", Organization, (grant(STAFF, Scope.OWN),)),
    Permission.JOB_VIEW: Rule("処理の閲覧", Job, (grant(ANYONE, Scope.OWN),)),
    Permission.JOB_SELFTEST: Rule("動作確認", None, (grant({Role.ADMINISTRATOR}, Scope.ALL),)),
    Permission.REPORT_VIEW: Rule("集計の閲覧", Case, _OVERSIGHT),
    # A snapshot holds the national figures: only those who see them all take one.
    Permission.REPORT_SNAPSHOT: Rule("月末の集計の確定", None,
                                     (grant({Role.DIGITAL_AGENCY_OFFICER, Role.ADMINISTRATOR}, Scope.ALL),)),
    Permission.USER_RESET_SECOND_FACTOR: Rule("確認コードの再設定", None, _ADMINISTRATORS),
    # Administration (caseflow.administration): organisations and their letterheads, programs'
    # profiles, users and their roles, and the record of those changes.
    Permission.ADMIN_ORGANIZATIONS: Rule("組織と差出人情報の管理", None, _ADMINISTRATORS),
    Permission.ADMIN_PROGRAMS: Rule("事務の設定の管理", None, _ADMINISTRATORS),
    Permission.ADMIN_USERS: Rule("利用者の管理", None, _ADMINISTRATORS),
    Permission.ADMIN_HISTORY: Rule("管理の変更履歴の閲覧", None, _ADMINISTRATORS),
    # Surveys (caseflow.surveys): the respondent's staff answer; its prefecture gathers and reminds;
    # the ministry that sends the survey sees every answer, the Digital Agency every ministry's.
    Permission.SURVEY_ANSWER: Rule("調査への回答", SurveyRespondent, (grant(STAFF, Scope.OWN, AGENCIES),)),
    Permission.SURVEY_VIEW: Rule("調査の回答の閲覧", SurveyRespondent,
                                 (grant(STAFF, Scope.OWN), grant(STAFF, Scope.GATHERED),
                                  grant({Role.MINISTRY_OFFICER}, Scope.PROGRAM),
                                  grant({Role.DIGITAL_AGENCY_OFFICER}, Scope.ALL))),
    Permission.SURVEY_REMIND: Rule("回答の督促", SurveyRespondent,
                                   (grant(STAFF, Scope.GATHERED), grant({Role.MINISTRY_OFFICER}, Scope.PROGRAM),
                                    grant({Role.DIGITAL_AGENCY_OFFICER}, Scope.ALL))),
    Permission.OBLIGATION_VIEW: Rule("点検義務の閲覧", InspectionObligation, _OVERSIGHT),
    # 「本人確認作業が終了」: the organisation's section chief answers for it.
    Permission.OBLIGATION_SIGN_OFF: Rule("本人確認作業の終了の報告", InspectionObligation,
                                         (grant({Role.SUPERVISOR}, Scope.OWN),)),
    Permission.OBLIGATION_DEADLINE: Rule("点検期限の変更", InspectionObligation,
                                         (grant({Role.MINISTRY_OFFICER}, Scope.PROGRAM),
                                          grant({Role.DIGITAL_AGENCY_OFFICER}, Scope.ALL))),
    Permission.OBLIGATION_RULES: Rule("点検要否の判定規則の変更", None, (grant({Role.DIGITAL_AGENCY_OFFICER}, Scope.ALL),)),
}

# How a refusal names a role when the rule names it alone (an approver is a section chief).
_TITLES = {Role.SUPERVISOR: "承認者（課長級）"}


# --- the questions ---------------------------------------------------------------------------------


def rule(permission: Permission | str) -> Rule:
    """The rule of ``permission`` (a Permission, or its name as templates write it)."""
    return RULES[Permission(permission)]


def _actual(user):
    """The user behind a proxy (flask_login's ``current_user``), which would look the user up again
    at each of the attributes a check reads (~90 look-ups on a case page); anything else as it is."""
    unwrap = getattr(user, "_get_current_object", None)
    return unwrap() if unwrap is not None else user


def _grants(user: User | None, permission: Permission | str) -> list[Grant]:
    user = _actual(user)
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [g for g in rule(permission).grants if g.applies_to(user)]


def may(user: User | None, permission: Permission | str, obj: object | None = None) -> bool:
    """Whether ``user`` has ``permission`` for ``obj``; without ``obj``, whether their roles grant
    it over anything (menus, pages that list what the user has it for)."""
    user = _actual(user)
    subject = rule(permission).subject
    for g in _grants(user, permission):
        if obj is None or subject is None or g.scope is Scope.ALL or _holds(g.scope, user, obj):
            return True
    return False


def require(user: User, permission: Permission | str, obj: object | None = None, *,
            action: str | None = None) -> None:
    """``may``, or PermissionDenied with the refusal (``action`` names the act refused, when the
    permission's own name for it is too general: 「訂正内容の登録」 for ``case.act``)."""
    if not may(user, permission, obj):
        raise PermissionDenied(refusal(permission, action=action))


def clause(user: User | None, permission: Permission | str, model: type | None = None,
           **columns: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL condition selecting the rows ``user`` has ``permission`` for: the rows of ``model`` (by
    default the permission's subject), or of the given ``owner``/``program``/``referred`` columns
    (figures grouped by agency and program). A scope whose column is not given selects nothing."""
    entity = model or rule(permission).subject  # a model, or an alias of one (two sets of the same rows)
    subject_model = entity if entity is None or isinstance(entity, type) else sa.inspect(entity).mapper.class_
    if not columns and subject_model is not None:
        subject = SUBJECTS[subject_model]
        columns = {key: getattr(entity, name) for key in ("owner", "program", "referred", "gatherer")
                   if (name := getattr(subject, key)) is not None}
        if subject.ministry_column is not None:
            columns["ministry"] = subject.ministry_column()
    grants, organization_id = audience(user, permission)
    parts = []
    for g in grants:
        if g.scope is Scope.ALL:
            return sa.true()
        part = _scope_clause(g.scope, organization_id, columns)
        if part is not None:
            parts.append(part)
    return sa.or_(*parts) if parts else sa.false()


def audience(user: User | None, permission: Permission | str) -> tuple[tuple[Grant, ...], int | None]:
    """All that ``clause(user, permission, …)`` depends on of the user: the grants that apply to them and
    their organisation. Users with the same audience get the same condition, so a statement built on it
    is kept under it and run again for any of them (``caseflow.db.Statements``)."""
    user = _actual(user)
    return tuple(_grants(user, permission)), getattr(user, "organization_id", None)


def scopes(user: User | None, permission: Permission | str) -> frozenset[Scope]:
    """The scopes over which ``user`` has ``permission`` (a page names its range: 全国, 所管の事務 …)."""
    return frozenset(g.scope for g in _grants(user, permission))


def unrestricted(user: User | None, permission: Permission | str) -> bool:
    """True when ``user`` has ``permission`` over everything: a query for them needs no condition."""
    return Scope.ALL in scopes(user, permission)


def roles_with(permission: Permission | str) -> frozenset[Role]:
    """The roles a grant of ``permission`` names (for queries over users: who may hold a case)."""
    roles: set[Role] = set()
    for g in rule(permission).grants:
        roles |= set(Role) if g.roles is ANYONE else g.roles
    return frozenset(roles)


def refusal(permission: Permission | str, *, action: str | None = None) -> str:
    """The Japanese refusal: what was refused, and whom the rule allows, by organisation and role."""
    return f"{action or rule(permission).action}は、{who(permission)}のみが行えます。"


def who(permission: Permission | str) -> str:
    """Whom ``permission``'s rule allows, in words: 「案件を保有する紐付け実施機関の担当職員または承認者」."""
    current = rule(permission)
    names = SUBJECTS[current.subject].names if current.subject is not None else {}
    by_place: dict[str, list[Role | None]] = {}
    for g in current.grants:
        roles = [None] if g.roles is ANYONE else sorted(g.roles, key=list(Role).index)
        listed = by_place.setdefault(names.get(g.scope, "") if g.scope is not Scope.ALL else "", [])
        listed.extend(r for r in roles if r not in listed)
    parts = [f"{place}の{_role_names(roles)}" if place else _role_names(roles) for place, roles in by_place.items()]
    return parts[0] if len(parts) == 1 else "、".join(parts[:-1]) + "、または" + parts[-1]


def _role_names(roles: list[Role | None]) -> str:
    if roles == [None]:
        return "職員"
    if len(roles) == 1:
        return _TITLES.get(roles[0], roles[0].label)
    labels = [r.label if r is not None else "職員" for r in roles]
    return "、".join(labels[:-1]) + "または" + labels[-1]


# --- one object, and the same for rows -------------------------------------------------------------


def _subject_of(obj: object) -> Subject:
    for cls in type(obj).__mro__:
        if cls in SUBJECTS:
            return SUBJECTS[cls]
    raise TypeError(f"the access policy does not know objects of type {type(obj).__name__}")


def _holds(scope: Scope, user: User, obj: object) -> bool:
    subject = _subject_of(obj)
    organization_id = user.organization_id
    owner = getattr(obj, subject.owner) if subject.owner else None
    referred = getattr(obj, subject.referred) if subject.referred else None
    if scope is Scope.OWN:
        return owner is not None and owner == organization_id
    if scope is Scope.PROGRAM:
        return subject.ministry is not None and subject.ministry(obj) == organization_id
    if scope is Scope.REFERRED:
        return referred is not None and referred == organization_id
    if scope is Scope.HOLDER:
        holder = referred if referred is not None else owner
        return holder is not None and holder == organization_id
    if scope is Scope.GATHERED:
        gatherer = getattr(obj, subject.gatherer) if subject.gatherer else None
        return gatherer is not None and gatherer == organization_id
    return scope is Scope.ALL


def _scope_clause(scope: Scope, organization_id: int | None, columns: dict) -> sa.ColumnElement[bool] | None:
    owner, program, referred = columns.get("owner"), columns.get("program"), columns.get("referred")
    if scope is Scope.OWN:
        return None if owner is None else owner == organization_id
    if scope is Scope.PROGRAM:
        if program is None:
            ministry = columns.get("ministry")
            return None if ministry is None else ministry == organization_id
        return program.in_(sa.select(Program.id).where(Program.ministry_id == organization_id))
    if scope is Scope.GATHERED:
        gatherer = columns.get("gatherer")
        return None if gatherer is None else gatherer == organization_id
    if scope is Scope.REFERRED:
        return None if referred is None else referred == organization_id
    if scope is Scope.HOLDER:  # an object that is never referred (an organisation) is held by its owner
        if owner is None:
            return None
        return (owner if referred is None else sa.func.coalesce(referred, owner)) == organization_id
    return sa.true()


def register_template_global(app) -> None:
    """Templates ask the policy as views do: ``{% if may('letter.print') %}``, ``may('batch.view', batch)``."""
    from flask_login import current_user

    app.jinja_env.globals["may"] = lambda permission, obj=None: may(current_user, permission, obj)
