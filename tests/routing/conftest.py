"""Routing's organisations and officers; the API's token fixtures (pages and the API hide the same facts)."""

import pytest

from caseflow.organizations.models import OrganizationKind
from caseflow.users.models import Role
from tests.api.conftest import api_as, make_token  # noqa: F401


@pytest.fixture
def digital(make_org):
    return make_org(OrganizationKind.DIGITAL_AGENCY, "デジタル庁（テスト）")


@pytest.fixture
def officer(make_user, ministry):
    return make_user(Role.MINISTRY_OFFICER, org=ministry, name="省 職員")
