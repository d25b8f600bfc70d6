"""Fixtures for manual intake: what a caseworker types in, and a program the agency does not link."""

from __future__ import annotations

import pytest

from caseflow.extensions import db
from caseflow.organizations.models import Program
from tests.api.conftest import api_as, conforms, make_token, openapi_document  # noqa: F401  (the API's fixtures)
from tests.conftest import valid_number

NUMBER = valid_number(98_765_432_101)
OTHER_NUMBER = valid_number(12_312_312_312)

# The form as a caseworker fills it in (the program is added by each test): a record whose number
# belongs to a family member (same surname and address, other given name and birth date).
FORM = {
    "source": "resident_report", "source_record_id": "A-1001", "registered_number": NUMBER,
    "record_name": "青森　太郎", "record_kana": "アオモリ　タロウ", "record_birth_date": "1970-03-02",
    "record_sex": "male", "record_address": "青森県青森市新町一丁目1番1号",
    "registry_name": "青森　次郎", "registry_kana": "アオモリ　ジロウ", "registry_birth_date": "1998-05-01",
    "registry_sex": "male", "registry_address": "青森県青森市新町1-1-1",
}
RECORD_ONLY = {key: value for key, value in FORM.items() if not key.startswith("registry_")}


@pytest.fixture
def prefecture_program(ministry):
    """A program linked only by prefectures: a municipality's staff may not open its cases."""
    program = Program(name="特定医療費（テスト）", ministry_id=ministry.id, linking_categories=["prefecture"])
    db.session.add(program)
    db.session.flush()
    return program
