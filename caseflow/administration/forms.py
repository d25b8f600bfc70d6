"""Turn the administration forms' fields into operation arguments, with errors in Japanese.

Forms only parse (as caseflow.cases.forms): what a code, a letterhead, a program's profile or a
user must be is checked by the operations, with the rules of caseflow.organizations.rules and
caseflow.users, so that it holds for every way in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from werkzeug.datastructures import MultiDict

from caseflow.administration.listing import SEARCH_MAX, OrganizationFilters, UserFilters
from caseflow.core.params import parse_count, parse_id
from caseflow.errors import DomainError
from caseflow.organizations.models import LETTERHEAD_FIELDS, OrganizationCategory
from caseflow.users.models import Role

UNKNOWN_CHOICE = "選択肢にない値が送信されました。画面を再読み込みしてください。"


def _text(form: Mapping[str, str], key: str) -> str:
    return (form.get(key) or "").strip()


def _enum(form: Mapping[str, str], key: str, enum_cls: type[enum.Enum]):
    value = _text(form, key)
    if not value:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        raise DomainError(UNKNOWN_CHOICE) from None


def _enums(form: MultiDict, key: str, enum_cls: type[enum.Enum]) -> list:
    try:
        return [enum_cls(value) for value in form.getlist(key)]
    except ValueError:
        raise DomainError(UNKNOWN_CHOICE) from None


def _flag(form: Mapping[str, str], key: str) -> bool:
    return _text(form, key) in {"1", "on", "true", "yes"}


def organization_arguments(form: MultiDict) -> dict:
    """``code``, ``name``, ``category`` and ``prefecture`` of the organisation form."""
    return {"code": _text(form, "code"), "name": _text(form, "name"),
            "category": _enum(form, "category", OrganizationCategory), "prefecture": _text(form, "prefecture") or None}


def letterhead_arguments(form: MultiDict) -> dict[str, str]:
    """The letterhead's lines, by LETTERHEAD_FIELDS' keys."""
    return {key: _text(form, key) for key in LETTERHEAD_FIELDS}


def program_arguments(form: MultiDict) -> dict:
    """The program form: the facts held, the linking categories, the holder notice and the retention period."""
    years = _text(form, "retention_years")
    retention_years = parse_count(years, minimum=1) if years else None
    if years and retention_years is None:
        raise DomainError("保存年数は1以上の半角数字で入力してください（既定の期間にするには空欄）。")
    return {"facts_held": form.getlist("facts_held"), "linking_categories": form.getlist("linking_categories"),
            "holder_notice": _flag(form, "holder_notice"), "retention_years": retention_years}


def organization_id(form: Mapping[str, str]) -> int | None:
    """The organisation chosen in a user form (None: none or not an id)."""
    return parse_id(_text(form, "organization"))


def account_arguments(form: MultiDict) -> dict:
    """The new-user form (without the organisation, which the view loads): login, name, roles, password."""
    return {"login": _text(form, "login"), "display_name": _text(form, "display_name"),
            "roles": set(_enums(form, "roles", Role)), "password": form.get("password") or None}


def account_update_arguments(form: MultiDict) -> dict:
    return {"display_name": _text(form, "display_name"), "roles": set(_enums(form, "roles", Role))}


def page_number(args: Mapping[str, str]) -> int:
    return parse_count(_text(args, "page"), minimum=1) or 1


def organization_filters(args: MultiDict) -> OrganizationFilters:
    return OrganizationFilters(q=_text(args, "q")[:SEARCH_MAX], category=_enum(args, "category", OrganizationCategory),
                               prefecture=_text(args, "prefecture"), letterhead_missing=_flag(args, "letterhead"))


def user_filters(args: MultiDict) -> UserFilters:
    """The user list's filters; by default the active users (``active=all`` for every one, ``0`` the deactivated)."""
    active = {"1": True, "0": False, "all": None}.get(_text(args, "active") or "1", True)
    return UserFilters(q=_text(args, "q")[:SEARCH_MAX], organization_id=parse_id(_text(args, "organization")),
                       role=_enum(args, "role", Role), active=active, locked=_flag(args, "locked"),
                       without_second_factor=_flag(args, "no_second_factor"))
