"""Fixtures of the tries (issue 7): the authorisation matrix's world, with tokens and a printer."""

from __future__ import annotations

import pytest

from caseflow.api.operations import issue_token
from caseflow.extensions import db

# The world of the UI's authorisation matrix: agency A's cases in every status, agency B,
# ministries M (the program's) and M2, the Digital Agency, one user of each kind.
from tests.test_authorization_matrix import world  # noqa: F401


@pytest.fixture
def tokens(world):  # noqa: F811 - the fixture imported above
    """A token per logged-in actor of the world (the plaintext), committed as a real client sees it."""
    made = {}
    for name, user in world.actors.items():
        if user is not None:
            made[name] = issue_token(db.session, user, "試行")[1]
    db.session.commit()
    return made


@pytest.fixture
def report(capsys, backend):
    """report(line) prints a figure past pytest's capture, tagged with the backend."""

    def write(line: str) -> None:
        with capsys.disabled():
            print(f"\n[{backend.kind}] {line}", end="")

    return write
