"""Who may use each survey page: the respondent's staff, its prefecture, the ministry, the Digital Agency.

The survey pages have a world of their own (tests/surveys/conftest.py); the general matrix
(tests/test_authorization_matrix.py) counts these entries as its own for "every route is listed",
and tests/test_policy.py for "every permission is on a route".
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from caseflow.extensions import db
from caseflow.policy import Permission as P
from caseflow.surveys import operations
from caseflow.surveys.models import InspectionObligation
from tests.conftest import undone
from tests.surveys.conftest import KNOWN_CAUSE, SHEET
from tests.test_authorization_matrix import Route, met, route

ACTORS = ("aomori", "aomori_boss", "hirosaki", "prefecture", "hokkaido", "ministry", "other_ministry", "digital",
          "admin", "anonymous")
LOGGED_IN = set(ACTORS) - {"anonymous"}
AOMORI = {"aomori", "aomori_boss"}
# Who sees the survey at all: a respondent, a gathering prefecture, the ministry, the Digital Agency.
SEES_SURVEY = LOGGED_IN - {"other_ministry", "admin"}
SEES_AOMORI = AOMORI | {"prefecture", "ministry", "digital"}
OVERSEES = LOGGED_IN - {"admin"}


def _answer(w) -> str:
    return f"/surveys/answers/{w.respondent(w.aomori).id}"


def _obligation(w) -> str:
    return f"/surveys/obligations/{w.obligation.id}"


SURVEY_ROUTES: tuple[Route, ...] = (
    route("surveys.index", "GET", LOGGED_IN, lambda w: "/surveys/"),  # lists only what the user sees
    route("surveys.gathering", "GET", SEES_SURVEY, lambda w: f"/surveys/{w.survey.id}", permission=P.SURVEY_VIEW),
    route("surveys.gathered_list", "GET", SEES_SURVEY, lambda w: f"/surveys/{w.survey.id}/list.xlsx",
          permission=P.SURVEY_VIEW),
    route("surveys.remind", "POST", {"prefecture", "hokkaido", "ministry", "digital"},
          lambda w: f"/surveys/{w.survey.id}/remind", lambda w: {}, permission=P.SURVEY_REMIND),
    route("surveys.answer", "GET", SEES_AOMORI, _answer, permission=P.SURVEY_VIEW),
    route("surveys.answer", "POST", AOMORI, _answer, lambda w: {"intent": "draft", "answer-3": "②"},
          permission=P.SURVEY_ANSWER),
    route("surveys.reached", "POST", AOMORI, lambda w: _answer(w) + "/reached", lambda w: {"answer-3": "②"},
          permission=P.SURVEY_ANSWER),
    route("surveys.answer_workbook", "GET", SEES_AOMORI, lambda w: _answer(w) + "/form.xlsx",
          permission=P.SURVEY_VIEW),
    route("surveys.upload_workbook", "POST", AOMORI, lambda w: _answer(w) + "/upload", lambda w: {},
          permission=P.SURVEY_ANSWER),
    route("surveys.add_attachment", "POST", AOMORI, lambda w: _answer(w) + "/attachments",
          lambda w: {"item_key": "8-1概要"}, permission=P.SURVEY_ANSWER),
    route("surveys.attachment", "GET", SEES_AOMORI, lambda w: _answer(w) + f"/attachments/{w.attachment.id}",
          permission=P.SURVEY_VIEW),
    route("surveys.obligation_list", "GET", OVERSEES, lambda w: "/surveys/obligations", permission=P.OBLIGATION_VIEW),
    route("surveys.obligation", "GET", AOMORI | {"ministry", "digital"}, _obligation, permission=P.OBLIGATION_VIEW),
    route("surveys.sign_off", "POST", {"aomori_boss"}, lambda w: _obligation(w) + "/sign-off", lambda w: {},
          permission=P.OBLIGATION_SIGN_OFF),
    route("surveys.change_deadline", "POST", {"ministry", "digital"}, lambda w: _obligation(w) + "/deadline",
          lambda w: {"deadline": "2099-12-28", "reason": "改修のため"}, permission=P.OBLIGATION_DEADLINE),
    route("surveys.rule_table", "GET", OVERSEES, lambda w: "/surveys/rules", permission=P.OBLIGATION_VIEW),
    route("surveys.change_rules", "POST", {"digital"}, lambda w: "/surveys/rules",
          lambda w: {"table": "{}", "note": "試し"}, permission=P.OBLIGATION_RULES),
)


@pytest.fixture
def world(survey_world):
    w = survey_world
    respondent = w.respondent(w.aomori)
    operations.save_answers(db.session, respondent, None, sheet=SHEET, answers=KNOWN_CAUSE, submit=True)
    w.obligation = db.session.scalars(sa.select(InspectionObligation).where(
        InspectionObligation.respondent_id == respondent.id)).one()
    w.attachment = operations.attach(db.session, respondent, w.users["aomori"], "8-1概要", "方法.pdf", b"%PDF-1.7 x")
    return w


def _expected(world, entry: Route, actor: str) -> str:
    return "login" if world.users.get(actor) is None else ("ok" if actor in entry.allowed else "denied")


@pytest.mark.parametrize("entry", [pytest.param(entry, id=f"{entry.method} {entry.endpoint}") for entry in SURVEY_ROUTES])
def test_survey_matrix(app, world, new_client, entry: Route):
    """Every actor on one route, on the same world, each actor's doing undone before the next."""
    found = {}
    for actor in ACTORS:
        with undone(app):
            found[actor] = met(new_client(), world, entry, world.users.get(actor), _expected(world, entry, actor),
                               form_page="/surveys/")
    assert found == {actor: _expected(world, entry, actor) for actor in ACTORS}

