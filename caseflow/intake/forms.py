"""The intake form's fields (and the API's, as a form: caseflow.api.views.as_form) read into an entry.

Only reading: a value that cannot be read (a date not written 2026-11-23, a choice not offered)
becomes one of the entry's ``unreadable`` problems; what is required, and when, is checked by
caseflow.intake.operations, for the pages, the API and lists alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from caseflow.cases.vocabulary import CaseSource, Sex
from caseflow.intake.operations import FACT_LABELS, IntakeEntry
from caseflow.matching.by_hand import Facts
from caseflow.organizations.models import Program

SIDES = {"record": "業務データ", "registry": "住民基本台帳"}
# The fields of one side: record_name, record_kana … registry_address.
FACT_KEYS = tuple(FACT_LABELS)


def _text(form: Mapping[str, str], key: str) -> str | None:
    return (form.get(key) or "").strip() or None


def facts_argument(form: Mapping[str, str], side: str, unreadable: list[str]) -> Facts:
    """One side's facts (``record`` or ``registry``); what cannot be read is added to ``unreadable``."""
    label = SIDES[side]
    birth_date = None
    typed = _text(form, f"{side}_birth_date")
    if typed:
        try:
            birth_date = dt.date.fromisoformat(typed)
        except ValueError:
            unreadable.append(f"{label}の生年月日は 1970-03-02 の形式で入力してください。")
    sex = _text(form, f"{side}_sex")
    if sex is not None and sex not in {s.value for s in Sex}:
        unreadable.append(f"{label}の性別は選択肢から選んでください。")
        sex = None
    return Facts(name=_text(form, f"{side}_name"), kana=_text(form, f"{side}_kana"), birth_date=birth_date,
                 sex=sex, address=_text(form, f"{side}_address"))


def entry_argument(form: Mapping[str, str], program: Program | None) -> IntakeEntry:
    """The case typed in (``program``: the one chosen, found by the view)."""
    unreadable: list[str] = []
    source = None
    typed = _text(form, "source")
    if typed is not None:
        try:
            source = CaseSource(typed)
        except ValueError:
            unreadable.append("発見の経緯は選択肢から選んでください。")
    number = _text(form, "registered_number")  # checked (never echoed) by the operation
    record = facts_argument(form, "record", unreadable)
    registry = facts_argument(form, "registry", unreadable)
    return IntakeEntry(program=program, source=source, number=number, record=record,
                       registry=None if registry.is_empty() else registry, source_other=_text(form, "source_other"),
                       source_record_id=_text(form, "source_record_id"), unreadable=tuple(unreadable))


def flag_argument(form: Mapping[str, str], key: str) -> bool:
    return (form.get(key) or "").strip() in {"1", "on", "true", "yes"}
