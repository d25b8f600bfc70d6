"""The authorisation matrix of the JSON API: the UI's matrix (tests/test_authorization_matrix.py),
its world and its expectations, with a token in place of a login.

Each endpoint is declared with who may use it, as the UI's routes are, and must give the
UI's answer: the same actors allowed, the others denied (403, or 404 for a case they may
not see); without a token, 401 where the UI sends the user to the login page.
"""

from __future__ import annotations

import pytest

from caseflow.core.json_errors import API_PREFIX
from caseflow.policy import Permission as P  # short: the table names each endpoint's permission
from tests.api.conftest import bearer
from tests.conftest import undone
from tests.test_authorization_matrix import (
    ACTORS,
    AGENCY_STAFF,
    LOGGED_IN,
    REPORTERS,
    SEES_A,
    STAFF_A,
    Route,
    _expected,
    route,
)

API_ROUTES: tuple[Route, ...] = (
    route("api.openapi_document", "GET", set(ACTORS), lambda w: f"{API_PREFIX}/openapi.json", public=True),
    route("api.list_cases", "GET", LOGGED_IN, lambda w: f"{API_PREFIX}/cases", permission=P.CASE_VIEW),
    route("api.list_cases", "GET", REPORTERS, lambda w: f"{API_PREFIX}/cases?q=%E5%B1%B1%E7%94%B0", variant="search",
          permission=P.CASE_SEARCH),
    route("api.search_by_number", "POST", REPORTERS, lambda w: f"{API_PREFIX}/cases/search",
          lambda w: {"my_number": w.verifying.registered_number, "purpose": "本人からの照会に回答するため"},
          permission=P.CASE_SEARCH_BY_NUMBER),
    route("api.get_case", "GET", SEES_A, lambda w: f"{API_PREFIX}/cases/{w.verifying.id}", permission=P.CASE_VIEW),
    route("api.fire_transition", "POST", STAFF_A,
          lambda w: f"{API_PREFIX}/cases/{w.detected.id}/transitions/start_verification",
          lambda w: {"version": w.detected.version}, permission=P.CASE_ACT),
    route("api.add_comment", "POST", SEES_A, lambda w: f"{API_PREFIX}/cases/{w.verifying.id}/comments",
          lambda w: {"comment": "確認しました。"}, permission=P.CASE_VIEW),
    route("api.propose_correction", "POST", STAFF_A, lambda w: f"{API_PREFIX}/cases/{w.confirmed.id}/correction",
          lambda w: {"version": w.confirmed.version, "wrong_number_removed": True, "outcome": "unlinked"},
          permission=P.CASE_ACT),
    # The pending correction was proposed by the caseworker: the supervisor is the second person.
    route("api.approve_correction", "POST", {"supervisor"},
          lambda w: f"{API_PREFIX}/cases/{w.pending.id}/correction/approve",
          lambda w: {"version": w.pending.version}, permission=P.DECISION_APPROVE),
    route("api.return_correction", "POST", {"supervisor"},
          lambda w: f"{API_PREFIX}/cases/{w.pending.id}/correction/return",
          lambda w: {"version": w.pending.version, "comment": "照会結果を添付してください。"}, permission=P.DECISION_APPROVE),
    # Only the proposer withdraws (the pending correction and dismissal are the caseworker's).
    route("api.withdraw_correction", "POST", {"caseworker"},
          lambda w: f"{API_PREFIX}/cases/{w.pending.id}/correction/withdraw",
          lambda w: {"version": w.pending.version, "comment": "登録し直します。"}, permission=P.CASE_ACT),
    route("api.propose_dismissal", "POST", STAFF_A, lambda w: f"{API_PREFIX}/cases/{w.verifying.id}/dismissal",
          lambda w: {"version": w.verifying.version, "dismiss_reason": "other", "dismiss_reason_other": "本人と確認"},
          permission=P.CASE_ACT),
    route("api.approve_dismissal", "POST", {"supervisor"},
          lambda w: f"{API_PREFIX}/cases/{w.pending_dismissal.id}/dismissal/approve",
          lambda w: {"version": w.pending_dismissal.version}, permission=P.DECISION_APPROVE),
    route("api.return_dismissal", "POST", {"supervisor"},
          lambda w: f"{API_PREFIX}/cases/{w.pending_dismissal.id}/dismissal/return",
          lambda w: {"version": w.pending_dismissal.version, "comment": "経緯を記入してください。"},
          permission=P.DECISION_APPROVE),
    route("api.withdraw_dismissal", "POST", {"caseworker"},
          lambda w: f"{API_PREFIX}/cases/{w.pending_dismissal.id}/dismissal/withdraw",
          lambda w: {"version": w.pending_dismissal.version, "comment": "確認し直します。"}, permission=P.CASE_ACT),
    route("api.amend_viewed", "POST", STAFF_A, lambda w: f"{API_PREFIX}/cases/{w.confirmed.id}/viewed",
          lambda w: {"version": w.confirmed.version, "viewed_on_portal": "yes", "viewed_what": "資格情報",
                     "comment": "アクセスログで確認"}, permission=P.CASE_ACT),
    route("api.amend_cause", "POST", STAFF_A, lambda w: f"{API_PREFIX}/cases/{w.confirmed.id}/cause",
          lambda w: {"version": w.confirmed.version, "cause": "two_fact_query", "comment": "照会記録で確認"},
          permission=P.CASE_ACT),
    route("api.refer_case", "POST", STAFF_A, lambda w: f"{API_PREFIX}/cases/{w.verifying.id}/referrals",
          lambda w: {"version": w.verifying.version, "to": w.ministry.id, "question": "ご確認ください。"},
          permission=P.REFERRAL_SEND),
    route("api.answer_referral", "POST", {"ministry"},
          lambda w: f"{API_PREFIX}/cases/{w.referral.case_id}/referrals/answer",
          lambda w: {"version": w.referral.case.version, "answer": "確認しました。"}, permission=P.REFERRAL_ANSWER),
    route("api.set_viewing", "POST", STAFF_A, lambda w: f"{API_PREFIX}/cases/{w.confirmed.id}/viewing",
          lambda w: {"version": w.confirmed.version, "suspended": not w.confirmed.viewing_suspended},
          permission=P.CASE_ACT),
    route("api.reveal_personal_facts", "POST", SEES_A, lambda w: f"{API_PREFIX}/cases/{w.verifying.id}/facts",
          lambda w: {"purpose": "照会への回答のため"}, permission=P.CASE_FACTS),
    # Manual intake: agency staff open cases for their own organisation (the number here is refused: 422).
    route("api.open_case", "POST", AGENCY_STAFF, lambda w: f"{API_PREFIX}/cases",
          lambda w: {"program": w.detected.program_id, "source": "resident_report", "registered_number": "1"},
          permission=P.CASE_OPEN),
    # Reports: the pages' rights (caseflow.reports.api); the published figures for anyone logged in.
    route("api.program_report", "GET", REPORTERS, lambda w: f"{API_PREFIX}/reports/programs",
          permission=P.REPORT_VIEW),
    route("api.program_report", "GET", LOGGED_IN, lambda w: f"{API_PREFIX}/reports/programs?dataset=2023",
          variant="published"),
    route("api.program_report", "GET", REPORTERS, lambda w: f"{API_PREFIX}/reports/programs?snapshot={w.snapshot.id}",
          variant="snapshot", permission=P.REPORT_VIEW),
    route("api.agency_report", "GET", SEES_A,
          lambda w: f"{API_PREFIX}/reports/programs/{w.confirmed.program_id}/agencies", permission=P.REPORT_VIEW),
    route("api.campaign_report", "GET", REPORTERS, lambda w: f"{API_PREFIX}/reports/campaign",
          permission=P.REPORT_VIEW),
    route("api.enter_registry", "POST", STAFF_A, lambda w: f"{API_PREFIX}/cases/{w.verifying.id}/registry",
          lambda w: {"version": w.verifying.version, "registry_name": "山田　次郎"}, permission=P.CASE_ACT),
)


def _outcome(response) -> str:
    """What the program met: 401 is the API's "log in first"; a refused input (409, 422) still
    means the action was open to the actor."""
    if response.status_code == 401:
        return "login"
    if response.status_code in (403, 404):
        return "denied"
    if response.status_code < 400 or response.status_code in (409, 422):
        return "ok"
    return f"status {response.status_code}"


def _met(client, world, make_token, entry: Route, actor: str) -> str:
    user = world.actors[actor]
    headers = bearer(make_token(user)) if user is not None else {}
    response = client.open(entry.path(world), method=entry.method, headers=headers,
                           json=entry.data(world) if entry.data else None)
    assert response.mimetype == "application/json"
    met = _outcome(response)
    return met if met == _expected(entry, actor) else f"{met}: {response.get_data(as_text=True)[:300]}"


@pytest.mark.parametrize("entry", [pytest.param(entry, id=" ".join(filter(None, (entry.method, entry.endpoint, entry.variant))))
                                   for entry in API_ROUTES])
def test_api_matrix(app, world, new_client, make_token, entry: Route):
    """Every actor on one route, on the same world, each actor's doing undone before the next."""
    met = {}
    for actor in ACTORS:
        with undone(app):
            met[actor] = _met(new_client(), world, make_token, entry, actor)
    assert met == {actor: _expected(entry, actor) for actor in ACTORS}


def test_every_api_route_is_in_the_matrix(app):
    listed = {(entry.endpoint, entry.method) for entry in API_ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in listed:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "API routes without an authorisation entry: " + ", ".join(missing)
