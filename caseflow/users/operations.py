"""Users: creating them, checking their passwords and second factor, locking out guessers."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy.orm import Session

from caseflow.db import utcnow
from caseflow.errors import DomainError
from caseflow.organizations.models import Organization, OrganizationKind
from caseflow.policy import Permission, require
from caseflow.users import totp
from caseflow.users.models import Role, User, UserRole, new_session_token
from caseflow.users.passwords import PasswordRejected, check_password, generate_password

LOGIN_MAX = 64  # users.login
DISPLAY_NAME_MAX = 100  # users.display_name
_LOGIN = re.compile(r"[A-Za-z0-9._@-]+")

# A constant hash verified when the login is unknown (or the account locked or inactive), so
# that the response time does not tell which logins exist.
_DUMMY_HASH = None


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["PASSWORD_HASH_TIME_COST"],
        memory_cost=config["PASSWORD_HASH_MEMORY_COST"],
    )


def hash_password(password: str, *, context: tuple[str, ...] = ()) -> str:
    """argon2id hash of ``password`` after checking the rules (caseflow.users.passwords)."""
    try:
        check_password(password, context=context)
    except PasswordRejected as exc:
        raise DomainError(str(exc)) from None
    return _hasher().hash(password)


def _password_context(login: str, organization: Organization) -> tuple[str, ...]:
    return (login, organization.code)


def login_problem(login: str) -> str | None:
    """Why ``login`` cannot be a login ID (None: it can): ASCII letters, digits and . _ @ -, as typed on a command line."""
    if not login:
        return "ログインIDを入力してください。"
    if len(login) > LOGIN_MAX or not _LOGIN.fullmatch(login):
        return f"ログインIDは半角英数字と . _ @ - の{LOGIN_MAX}文字以内で入力してください。"
    return None


def display_name_problem(display_name: str) -> str | None:
    """Why ``display_name`` cannot be shown as a user's name (None: it can)."""
    if not display_name:
        return "氏名（表示名）を入力してください。"
    if len(display_name) > DISPLAY_NAME_MAX:
        return f"氏名（表示名）は{DISPLAY_NAME_MAX}文字以内で入力してください。"
    return None


# The organisations a role belongs in: staff work a linking agency's cases (the Digital Agency links
# too); officers oversee from their ministry, or from the Digital Agency, whose officers see every
# case (caseflow.policy); an administrator may sit in any organisation.
ROLE_ORGANIZATION_KINDS = {
    Role.CASEWORKER: (OrganizationKind.LINKING_AGENCY, OrganizationKind.DIGITAL_AGENCY),
    Role.SUPERVISOR: (OrganizationKind.LINKING_AGENCY, OrganizationKind.DIGITAL_AGENCY),
    Role.MINISTRY_OFFICER: (OrganizationKind.MINISTRY,),
    Role.DIGITAL_AGENCY_OFFICER: (OrganizationKind.DIGITAL_AGENCY,),
    Role.ADMINISTRATOR: tuple(OrganizationKind),
}


def roles_problem(roles: set[Role], organization: Organization) -> str | None:
    """Why a user of ``organization`` cannot hold ``roles`` (None: they can); asked where roles are given."""
    if not roles:
        return "役割を1つ以上選んでください。"
    misplaced = [role for role in sorted(roles, key=list(Role).index)
                 if organization.kind not in ROLE_ORGANIZATION_KINDS[role]]
    if misplaced:
        where = "、".join(f"{role.label}は{'・'.join(k.label for k in ROLE_ORGANIZATION_KINDS[role])}"
                         for role in misplaced)
        return f"{organization.name}（{organization.kind.label}）の利用者には選べない役割です（{where}の利用者のみ）。"
    return None


def create_user(session: Session, *, login: str, display_name: str, organization: Organization,
                roles: set[Role], password: str) -> User:
    """Create an active user with the given roles; the login, the name and the password must pass the rules."""
    for problem in (login_problem(login), display_name_problem(display_name)):
        if problem:
            raise DomainError(problem)
    if not roles:
        raise DomainError("役割を1つ以上指定してください。")
    if session.scalar(sa.select(User.id).where(User.login == login)) is not None:
        raise DomainError("そのログインIDは既に使われています。")
    user = User(login=login, display_name=display_name, organization=organization,
                password_hash=hash_password(password, context=_password_context(login, organization)),
                role_links=[UserRole(role=role) for role in sorted(roles)])
    session.add(user)
    session.flush()
    return user


def _verify_dummy(hasher: PasswordHasher, password: str) -> None:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hasher.hash("caseflow-dummy-password")
    try:
        hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def authenticate(session: Session, login: str, password: str, *, now: dt.datetime | None = None) -> User | None:
    """The active, unlocked user with this login and password, or None.

    A wrong password counts towards the account's lock-out (``record_failed_login``). Every
    refusal costs one argon2 verification, whether the login exists or not, so neither the
    answer nor its timing tells an unknown login from a locked account or a wrong password.
    The caller commits either way (the failure count must be kept).
    """
    now = now or utcnow()
    user = session.scalars(sa.select(User).where(User.login == login)).one_or_none()
    hasher = _hasher()
    if user is None or not user.active or user.is_locked(now):
        _verify_dummy(hasher, password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        record_failed_login(session, user, now=now)
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def record_failed_login(session: Session, user: User, *, now: dt.datetime | None = None) -> None:
    """Count one failed login (password or code); at LOGIN_MAX_FAILURES the account locks for a while."""
    now = now or utcnow()
    config = current_app.config
    if user.locked_until is not None and user.locked_until <= now:
        user.failed_logins, user.locked_until = 0, None  # the last lock-out is over: count afresh
        session.flush()
    # Incremented in SQL: two guesses at the same moment both count.
    user.failed_logins = User.failed_logins + 1
    session.flush()
    session.refresh(user, ["failed_logins"])
    if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
        user.failed_logins = 0
        user.locked_until = now + dt.timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    session.flush()


def login_succeeded(session: Session, user: User) -> None:
    """The user passed every step: the count of failures starts again."""
    user.failed_logins, user.locked_until = 0, None
    session.flush()


def end_all_sessions(session: Session, user: User) -> None:
    """Every session of ``user`` ends, copies of its cookie included (the id kept in them changes)."""
    user.session_token = new_session_token()
    session.flush()


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one (a wrong one counts towards the lock-out).

    Ends the user's other sessions; the caller renews the current one.
    """
    if user.is_locked(utcnow()):
        raise DomainError("パスワードを続けて誤ったため、しばらくの間変更できません。時間をおいてからやり直してください。")
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        record_failed_login(session, user)
        raise DomainError("現在のパスワードが正しくありません。") from None
    if new_password == current_password:
        raise DomainError("新しいパスワードは現在のパスワードと違うものにしてください。")
    try:
        check_password(new_password, context=_password_context(user.login, user.organization))
    except PasswordRejected as exc:
        raise DomainError(str(exc)) from None
    user.password_hash = hasher.hash(new_password)
    login_succeeded(session, user)
    end_all_sessions(session, user)


def set_password(session: Session, user: User, password: str | None = None) -> str:
    """Give ``user`` a new password without asking for the current one (an administrator's reset);
    without ``password``, a generated one. Every session of the user ends. Returns the password,
    to be shown once to whoever passes it on."""
    context = _password_context(user.login, user.organization)
    password = password or generate_password(context=context)
    user.password_hash = hash_password(password, context=context)
    end_all_sessions(session, user)
    return password


def initial_password(login: str, organization: Organization) -> str:
    """A generated password for a new user, passing the rules for their login and organisation."""
    return generate_password(context=_password_context(login, organization))


def start_second_factor_enrolment(session: Session, user: User) -> str:
    """The secret to enrol in an authenticator app: a new one, or the one shown before and not yet confirmed."""
    if user.has_second_factor:
        raise DomainError("確認コードの設定は済んでいます。")
    if user.totp_secret is None:
        user.totp_secret = totp.new_secret()
        session.flush()
    return user.totp_secret


def confirm_second_factor(session: Session, user: User, code: str, *, now: float | None = None) -> bool:
    """Finish the enrolment with a first code from the app; False (and a failure counted) if it is wrong."""
    if user.has_second_factor or user.totp_secret is None:
        raise DomainError("確認コードの設定をやり直してください。")
    if not _accept_code(session, user, code, now=now):
        return False
    user.totp_confirmed_at = utcnow()
    session.flush()
    return True


def verify_second_factor(session: Session, user: User, code: str, *, now: float | None = None) -> bool:
    """True if ``code`` is the user's current code and was not used before; a wrong one counts as a failure."""
    if not user.has_second_factor:
        raise DomainError("確認コードが設定されていません。")
    return _accept_code(session, user, code, now=now)


def _accept_code(session: Session, user: User, code: str, *, now: float | None) -> bool:
    step = totp.matching_step(user.totp_secret, code, last_step=user.totp_last_step, now=now)
    if step is None:
        record_failed_login(session, user)
        return False
    user.totp_last_step = step
    session.flush()
    return True


def reset_second_factor(session: Session, user: User, actor: User | None = None) -> None:
    """Forget the user's TOTP secret (lost phone): they enrol again at their next login.

    ``actor`` is an administrator, or None from the command line.
    """
    if actor is not None:
        require(actor, Permission.USER_RESET_SECOND_FACTOR)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    end_all_sessions(session, user)
