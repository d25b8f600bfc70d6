"""What an administrator changes: organisations and their letterheads, programs' profiles, users.

Each operation takes the acting administrator, checks the permission (caseflow.policy) and the
rules (caseflow.organizations.rules, caseflow.users), changes the object, records the change with
its values before and after (caseflow.administration.records) and flushes; the view commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.administration.models import ChangeAction, ChangeSubject
from caseflow.administration.records import changed, record_change
from caseflow.cases.models import Case
from caseflow.core.japanese import jst
from caseflow.db import utcnow
from caseflow.errors import DomainError
from caseflow.letters.postal import lookup_postal_code, normalize_postal_code
from caseflow.organizations.models import (
    FACTS,
    LETTERHEAD_FIELDS,
    Organization,
    OrganizationCategory,
    Program,
)
from caseflow.organizations.rules import (
    LETTER_SENDERS,
    kind_of,
    letterhead_problems,
    organization_problems,
    program_profile_problems,
)
from caseflow.policy import Permission, require
from caseflow.users import operations as users
from caseflow.users.models import Role, User, UserRole

RETENTION_YEARS_MAX = 100


def _refuse(problems: list[str | None]) -> None:
    problems = [p for p in problems if p]
    if problems:
        raise DomainError(" ".join(problems))


# --- organisations ---------------------------------------------------------------------------------


def organization_values(org: Organization) -> dict:
    """What the record keeps of an organisation (plain values)."""
    return {"code": org.code, "name": org.name, "category": org.category.value if org.category else None,
            "kind": org.kind.value, "prefecture": org.prefecture}


def organization_label(org: Organization) -> str:
    return f"{org.name}（{org.code}）"


def _check_organization(session: Session, org_id: int | None, *, code: str, name: str,
                        category: OrganizationCategory | None, prefecture: str | None) -> None:
    if category is None:
        raise DomainError("組織区分を選んでください。")
    _refuse(organization_problems(code=code, name=name, kind=kind_of(category), category=category,
                                  prefecture=prefecture))
    taken = session.scalar(sa.select(Organization.id).where(Organization.code == code, Organization.id != org_id))
    if taken is not None:
        raise DomainError(f"組織コード {code} は既に使われています。")


def create_organization(session: Session, actor: User, *, code: str, name: str,
                        category: OrganizationCategory | None, prefecture: str | None) -> Organization:
    """A new organisation; its kind (linking agency, ministry, Digital Agency) follows from its category."""
    require(actor, Permission.ADMIN_ORGANIZATIONS)
    _check_organization(session, None, code=code, name=name, category=category, prefecture=prefecture)
    org = Organization(code=code, name=name, category=category, kind=kind_of(category), prefecture=prefecture)
    session.add(org)
    session.flush()
    record_change(session, actor, ChangeSubject.ORGANIZATION, org.id, organization_label(org), ChangeAction.CREATED,
                  changed({}, organization_values(org)))
    return org


def update_organization(session: Session, actor: User, org: Organization, *, code: str, name: str,
                        category: OrganizationCategory | None, prefecture: str | None) -> dict:
    """Change an organisation's code, name, category and prefecture; returns what changed.

    Its kind (from the category) changes only while it has no case and no program, and while its
    users' roles fit the new kind.
    """
    require(actor, Permission.ADMIN_ORGANIZATIONS)
    _check_organization(session, org.id, code=code, name=name, category=category, prefecture=prefecture)
    before = organization_values(org)
    if kind_of(category) is not org.kind:
        _check_kind_change(session, org, Organization(name=name, kind=kind_of(category)))
    org.code, org.name, org.category, org.kind, org.prefecture = code, name, category, kind_of(category), prefecture
    changes = changed(before, organization_values(org))
    if not changes:
        raise DomainError("変更された項目がありません。")
    session.flush()
    record_change(session, actor, ChangeSubject.ORGANIZATION, org.id, organization_label(org), ChangeAction.UPDATED,
                  changes)
    return changes


def _check_kind_change(session: Session, org: Organization, changed_to: Organization) -> None:
    """An organisation changes kind only without cases or programs (opened for the kind it was) and
    when its active users' roles fit the new kind (``changed_to``, not added to the session)."""
    if session.scalar(sa.select(sa.exists().where(Case.agency_id == org.id)
                                | sa.exists().where(Program.ministry_id == org.id))):
        raise DomainError(f"{org.name}には案件または所管する事務があるため、組織の種類（{org.kind.label}）は変更できません。"
                          f"同じ種類の組織区分から選んでください。")
    members = session.scalars(sa.select(User).where(User.organization_id == org.id, User.active.is_(True)))
    misfits = [member.display_name for member in members if users.roles_problem(member.roles, changed_to)]
    if misfits:
        raise DomainError(f"利用者（{'、'.join(misfits)}）の役割が{changed_to.kind.label}に合わないため、組織の種類は"
                          f"変更できません。先に利用者の役割か所属組織を変更してください。")


def set_letterhead(session: Session, actor: User, org: Organization, values: dict[str, str]) -> dict:
    """Set what the organisation's letters print as their sender (差出人): every line of LETTERHEAD_FIELDS,
    or none (the letterhead is removed and its letters cannot be issued). Returns what changed."""
    require(actor, Permission.ADMIN_ORGANIZATIONS)
    if org.kind not in LETTER_SENDERS:
        raise DomainError(f"{org.kind.label}は住民に通知文書を送らないため、差出人の情報は登録しません。")
    values = {key: (values.get(key) or "").strip() for key in LETTERHEAD_FIELDS}
    letterhead = None
    if any(values.values()):
        _refuse(letterhead_problems(values))
        postal_code = normalize_postal_code(values["postal_code"])
        if postal_code is None or lookup_postal_code(postal_code) is None:
            raise DomainError("問い合わせ先の郵便番号は、日本郵便の郵便番号（例 030-8555）を入力してください。")
        letterhead = values | {"postal_code": postal_code}
    before = {f"letterhead.{key}": value for key, value in (org.letterhead or {}).items()}
    after = {f"letterhead.{key}": value for key, value in (letterhead or {}).items()}
    changes = changed(before, dict.fromkeys(before) | after)
    if not changes:
        raise DomainError("変更された項目がありません。")
    org.letterhead = letterhead
    session.flush()
    record_change(session, actor, ChangeSubject.ORGANIZATION, org.id, organization_label(org),
                  ChangeAction.LETTERHEAD, changes)
    return changes


# --- programs --------------------------------------------------------------------------------------


def program_values(program: Program) -> dict:
    return {"facts_held": list(program.facts_held if program.facts_held is not None else FACTS),
            "linking_categories": list(program.linking_categories or []),
            "holder_notice": program.holder_notice, "retention_years": program.retention_years}


def update_program(session: Session, actor: User, program: Program, *, facts_held: list[str],
                   linking_categories: list[str], holder_notice: bool, retention_years: int | None) -> dict:
    """Change what a program's records hold, which kinds of organisation link it, whether the number's
    holder gets a notice, and its retention period (None: the installation's default). Returns what changed."""
    require(actor, Permission.ADMIN_PROGRAMS)
    _refuse(program_profile_problems(facts_held, linking_categories))
    if retention_years is not None and not 1 <= retention_years <= RETENTION_YEARS_MAX:
        raise DomainError(f"保存年数は1以上{RETENTION_YEARS_MAX}以下で入力してください（既定の期間にするには空欄）。")
    before = program_values(program)
    program.facts_held = [fact for fact in FACTS if fact in facts_held]
    program.linking_categories = [c.value for c in OrganizationCategory if c.value in linking_categories]
    program.holder_notice = holder_notice
    program.retention_years = retention_years
    changes = changed(before, program_values(program))
    if not changes:
        raise DomainError("変更された項目がありません。")
    session.flush()
    record_change(session, actor, ChangeSubject.PROGRAM, program.id, program.name, ChangeAction.UPDATED, changes)
    return changes


# --- users -----------------------------------------------------------------------------------------


def user_values(user: User) -> dict:
    """What the record keeps of a user: never the password, the second factor's key or the session token."""
    return {"login": user.login, "display_name": user.display_name,
            "organization": organization_label(user.organization),
            "roles": sorted(role.value for role in user.roles), "active": user.active}


def _user_label(user: User) -> str:
    return f"{user.display_name}（{user.login}）"


def create_account(session: Session, actor: User, *, login: str, display_name: str,
                   organization: Organization | None, roles: set[Role], password: str | None) -> tuple[User, str | None]:
    """A new active user. Without ``password`` one is generated: returned to be shown once (else None).

    Supervisors and administrators enrol their second factor at their first login.
    """
    require(actor, Permission.ADMIN_USERS)
    if organization is None:
        raise DomainError("所属組織を選んでください。")
    _refuse([users.login_problem(login), users.display_name_problem(display_name),
             users.roles_problem(roles, organization)])
    generated = None if password else users.initial_password(login, organization)
    user = users.create_user(session, login=login, display_name=display_name, organization=organization,
                             roles=roles, password=password or generated)
    record_change(session, actor, ChangeSubject.USER, user.id, _user_label(user), ChangeAction.CREATED,
                  changed({}, user_values(user)))
    return user, generated


def update_account(session: Session, actor: User, user: User, *, display_name: str,
                   organization: Organization | None, roles: set[Role]) -> dict:
    """Change a user's name, organisation and roles; returns what changed.

    A new organisation or new roles end the user's sessions (they log in again, with a second factor
    if a new role calls for one). An administrator keeps their own administrator role.
    """
    require(actor, Permission.ADMIN_USERS)
    if organization is None:
        raise DomainError("所属組織を選んでください。")
    _refuse([users.display_name_problem(display_name), users.roles_problem(roles, organization)])
    if Role.ADMINISTRATOR in user.roles and Role.ADMINISTRATOR not in roles:
        _keep_an_administrator(session, actor, user)
    before = user_values(user)
    user.display_name = display_name
    user.organization_id, user.organization = organization.id, organization
    if roles != user.roles:
        user.role_links = [link for link in user.role_links if link.role in roles] + [
            UserRole(role=role) for role in sorted(roles - user.roles)]
    changes = changed(before, user_values(user))
    if not changes:
        raise DomainError("変更された項目がありません。")
    session.flush()
    if ({"organization", "roles"} & changes.keys()) and user.id != actor.id:
        users.end_all_sessions(session, user)
    record_change(session, actor, ChangeSubject.USER, user.id, _user_label(user), ChangeAction.UPDATED, changes)
    return changes


def _keep_an_administrator(session: Session, actor: User, user: User) -> None:
    """Refuse to take the administrator ``user`` out of the administrators (their role removed, or
    deactivated) if that is the actor, or if no other active administrator would remain (their
    rows are locked: two administrators removing each other at once cannot leave none)."""
    if user.id == actor.id:
        raise DomainError("自分自身のシステム管理者の役割は外せません。")
    others = session.scalars(
        sa.select(User.id).where(User.active.is_(True), User.id != user.id,
                                 User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == Role.ADMINISTRATOR)))
        .with_for_update()).all()
    if not others:
        raise DomainError("有効なシステム管理者がいなくなるため、この操作はできません。")


def deactivate_account(session: Session, actor: User, user: User) -> None:
    """The user can no longer log in nor use an API token; their sessions end. Not oneself."""
    require(actor, Permission.ADMIN_USERS)
    if not user.active:
        raise DomainError(f"{user.display_name}さんは既に無効です。")
    if user.id == actor.id:
        raise DomainError("自分自身を無効にすることはできません。")
    if Role.ADMINISTRATOR in user.roles:
        _keep_an_administrator(session, actor, user)
    user.active = False
    users.end_all_sessions(session, user)
    record_change(session, actor, ChangeSubject.USER, user.id, _user_label(user), ChangeAction.DEACTIVATED,
                  {"active": [True, False]})


def reactivate_account(session: Session, actor: User, user: User) -> None:
    """A deactivated user may log in again (with their password and second factor as they were)."""
    require(actor, Permission.ADMIN_USERS)
    if user.active:
        raise DomainError(f"{user.display_name}さんは有効です。")
    user.active = True
    session.flush()
    record_change(session, actor, ChangeSubject.USER, user.id, _user_label(user), ChangeAction.REACTIVATED,
                  {"active": [False, True]})


def _lock_values(user: User) -> dict:
    return {"locked_until": jst(user.locked_until) or None, "failed_logins": user.failed_logins}


def reset_account_second_factor(session: Session, actor: User, user: User) -> None:
    """Forget the user's authenticator key (a lost phone): they enrol again at their next login.
    A lock-out from wrong codes ends with it, as with ``caseflow users reset-second-factor``."""
    require(actor, Permission.ADMIN_USERS)
    if user.totp_secret is None and not user.has_second_factor:
        raise DomainError(f"{user.display_name}さんの確認コードは設定されていません。")
    before = {"second_factor": user.has_second_factor, **_lock_values(user)}
    users.reset_second_factor(session, user, actor)
    users.login_succeeded(session, user)
    record_change(session, actor, ChangeSubject.USER, user.id, _user_label(user), ChangeAction.SECOND_FACTOR_RESET,
                  changed(before, {"second_factor": False, **_lock_values(user)}) or {"second_factor": [False, False]})


def unlock_account(session: Session, actor: User, user: User) -> None:
    """Lift a lock-out after failed logins (and forget the failures counted so far)."""
    require(actor, Permission.ADMIN_USERS)
    if not user.is_locked(utcnow()) and not user.failed_logins:
        raise DomainError(f"{user.display_name}さんはロックされていません。")
    before = _lock_values(user)
    users.login_succeeded(session, user)
    record_change(session, actor, ChangeSubject.USER, user.id, _user_label(user), ChangeAction.UNLOCKED,
                  changed(before, _lock_values(user)))


def reset_account_password(session: Session, actor: User, user: User) -> str:
    """A new generated password for the user, to be shown once and passed on; every session of theirs ends.
    The record says that the password was reset, never what it is."""
    require(actor, Permission.ADMIN_USERS)
    if user.id == actor.id:
        raise DomainError("自分のパスワードは「パスワード変更」で変更してください。")
    password = users.set_password(session, user)
    record_change(session, actor, ChangeSubject.USER, user.id, _user_label(user), ChangeAction.PASSWORD_RESET)
    return password
