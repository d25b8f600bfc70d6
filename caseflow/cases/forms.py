"""Turn submitted form fields into operation arguments, with errors in Japanese.

Forms only parse; the rules (what is required when) live in the state
machine's guards and the operations, so they hold for every route.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

from caseflow.cases.vocabulary import (
    Cause,
    CorrectionOutcome,
    DismissReason,
    IdentityMethod,
    NotificationMethod,
    ViewedOnPortal,
)
from caseflow.core.limits import NUMBER_INPUT_MAX, REASON_MAX, TEXT_MAX
from caseflow.core.params import is_id, parse_count, parse_id
from caseflow.errors import DomainError


def _text(form: Mapping[str, str], key: str, max_length: int = TEXT_MAX) -> str | None:
    value = (form.get(key) or "").strip()
    if len(value) > max_length:
        raise DomainError(f"入力が長すぎます（{max_length}文字以内）。")
    return value or None


def _enum(form: Mapping[str, str], key: str, enum_cls: type[enum.Enum]):
    value = (form.get(key) or "").strip()
    if not value:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        raise DomainError("選択肢にない値が送信されました。画面を再読み込みしてください。") from None


def date_argument(form: Mapping[str, str], key: str, label: str) -> dt.date | None:
    """A date typed as 2026-11-23 (None when left empty); ``label`` names the field in the refusal."""
    value = (form.get(key) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{label}は 2026-11-23 の形式で入力してください。") from None


def _flag(form: Mapping[str, str], key: str) -> bool:
    return (form.get(key) or "").strip() in {"1", "on", "true", "yes"}


def version(form: Mapping[str, str]) -> int:
    """The case version the form was rendered with (optimistic locking)."""
    number = parse_count((form.get("version") or "").strip())
    if number is None:
        raise DomainError("フォームの内容が不完全です。画面を再読み込みしてください。")
    return number


def transition_arguments(trigger: str, form: Mapping[str, str]) -> dict:
    """The keyword arguments for firing ``trigger`` from a submitted form."""
    args: dict = {"comment": _text(form, "comment")}
    if trigger == "confirm":
        args.update(
            **cause_arguments(form),
            **viewed_arguments(form),
            viewing_suspended=_flag(form, "viewing_suspended"),
            identity_method=_enum(form, "identity_method", IdentityMethod),
            identity_method_other=_text(form, "identity_method_other", REASON_MAX),
            identity_verified_on=date_argument(form, "identity_verified_on", "本人確認をした日"),
        )
    elif trigger == "notify":
        args.update(
            notified_on=date_argument(form, "notified_on", "通知日"),
            notification_method=_enum(form, "notification_method", NotificationMethod),
        )
    return args


def cause_arguments(form: Mapping[str, str]) -> dict:
    """The main cause (confirming, amending)."""
    return {"cause": _enum(form, "cause", Cause), "cause_other": _text(form, "cause_other", REASON_MAX)}


def viewed_arguments(form: Mapping[str, str]) -> dict:
    """Whether, what and when the data was viewed on the Mynaportal (confirming, amending)."""
    return {
        "viewed_on_portal": _enum(form, "viewed_on_portal", ViewedOnPortal),
        "viewed_what": _text(form, "viewed_what", REASON_MAX),
        "viewed_on": date_argument(form, "viewed_on", "閲覧日"),
    }


def dismissal_arguments(form: Mapping[str, str]) -> dict:
    """A proposed dismissal: the reason (other: its text) and how it was checked."""
    return {
        "dismiss_reason": _enum(form, "dismiss_reason", DismissReason),
        "dismiss_reason_other": _text(form, "dismiss_reason_other", REASON_MAX),
        "comment": _text(form, "comment"),
    }


def correction_arguments(form: Mapping[str, str]) -> dict:
    return {
        "wrong_number_removed": _flag(form, "wrong_number_removed"),
        "outcome": _enum(form, "outcome", CorrectionOutcome),
        "linked_number": _text(form, "linked_number", NUMBER_INPUT_MAX),
        "note": _text(form, "note"),
        "query_facts": _integer(form, "query_facts", "住基照会に用いた情報"),
        "query_matches": _integer(form, "query_matches", "該当人数"),
    }


def _integer(form: Mapping[str, str], key: str, label: str) -> int | None:
    value = (form.get(key) or "").strip()
    if not value:
        return None
    number = parse_count(value)
    if number is None:
        raise DomainError(f"{label}は半角数字で入力してください。")
    return number


def comment_argument(form: Mapping[str, str]) -> str | None:
    return _text(form, "comment")


def suspended_argument(form: Mapping[str, str]) -> bool:
    return _flag(form, "suspended")


def id_argument(form: Mapping[str, str], key: str, label: str) -> int:
    """A required id chosen from a list (a staff member …)."""
    value = (form.get(key) or "").strip()
    if not value:
        raise DomainError(f"{label}を選択してください。")
    number = parse_id(value)
    if number is None:
        raise DomainError("選択肢にない値が送信されました。画面を再読み込みしてください。")
    return number


def case_ids_argument(form) -> list[int]:
    """The cases ticked in a list (``case_id`` repeated)."""
    values = form.getlist("case_id")
    if not all(is_id(v) for v in values):
        raise DomainError("選択肢にない値が送信されました。画面を再読み込みしてください。")
    return [int(v) for v in values]
