"""Inputs that crashed the app (500) in the tries of issue 7, each as a repro.

Found by the API fuzzing (tests/tries/test_api_fuzz.py) and then tried on the pages: an
id or count beyond the database's integer, a digit that ``str.isdigit()`` accepts but
``int()`` does not (², ①), U+0000 in text (PostgreSQL refuses it), a lone surrogate in a
JSON string. A request with such input must get a 4xx answer, never a crash.

All are fixed: ids are read by caseflow.core.params (ASCII digits, at most 2**31 - 1, in the
routes' ``int`` converter too), the API's integers are bounded, and a request holding a control
character or a lone surrogate is refused before any view runs. Each entry names what crashed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from flask import g
from werkzeug.routing import IntegerConverter

from caseflow.extensions import db
from tests.conftest import csrf_token, login

INT32_OVER = 2**31  # one above PostgreSQL's integer
INT64_OVER = 2**63  # one above SQLite's integer
# The text parts of routes, filled so that the route reaches its view.
TEXT_ARGUMENTS = {"trigger": "start_verification", "name": "manifest", "step": "printed"}


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: object  # world -> path
    body: object = None  # world -> JSON body (API) or form data (pages)
    crashed: str = ""  # what answered 500 before the fix, on which backend


def _version_body(case, **fields) -> dict:
    return {"version": case.version, **fields}


API = (
    Hostile("referral to beyond int32", "POST", lambda w: f"/api/v1/cases/{w.verifying.id}/referrals",
            lambda w: _version_body(w.verifying, to=INT32_OVER, question="ご確認ください。"),
            "db.session.get(Organization, body['to']) with an unbounded integer (routing/api.py)"),
    Hostile("referral to beyond int64", "POST", lambda w: f"/api/v1/cases/{w.verifying.id}/referrals",
            lambda w: _version_body(w.verifying, to=INT64_OVER, question="ご確認ください。"),
            "the same; SQLite raises OverflowError"),
    Hostile("query_matches beyond int32", "POST", lambda w: f"/api/v1/cases/{w.confirmed.id}/correction",
            lambda w: _version_body(w.confirmed, wrong_number_removed=True, outcome="unlinked", query_facts=4,
                                    query_matches=INT32_OVER),
            "query_matches stored unbounded (cases/operations.py _check_registry_query has no upper bound)"),
    Hostile("query_matches beyond int64", "POST", lambda w: f"/api/v1/cases/{w.confirmed.id}/correction",
            lambda w: _version_body(w.confirmed, wrong_number_removed=True, outcome="unlinked", query_facts=4,
                                    query_matches=INT64_OVER), "the same"),
    Hostile("comment with a lone surrogate", "POST", lambda w: f"/api/v1/cases/{w.verifying.id}/comments",
            lambda w: '{"comment": "a\\udb33b"}',
            "JSON \\udb33 decodes to a str UTF-8 cannot encode; stored as is"),
    Hostile("comment with NUL", "POST", lambda w: f"/api/v1/cases/{w.verifying.id}/comments",
            lambda w: {"comment": "a\x00b"}, "PostgreSQL text cannot hold U+0000"),
    Hostile("confirm with NUL in cause_other", "POST",
            lambda w: f"/api/v1/cases/{w.verifying.id}/transitions/confirm",
            lambda w: _version_body(w.verifying, cause="other", cause_other="a\x00b", viewed_on_portal="no"),
            "PostgreSQL text cannot hold U+0000"),
    Hostile("list per_page=²", "GET", lambda w: "/api/v1/cases?per_page=%C2%B2", None,
            "_int_arg: '²'.isdigit() is True, int('²') raises (api/cases.py)"),
    Hostile("list program=①", "GET", lambda w: "/api/v1/cases?program=%E2%91%A0", None, "the same"),
    # Refused properly today: kept so that they stay so.
    Hostile("case id beyond int32", "GET", lambda w: f"/api/v1/cases/{INT32_OVER}"),
    Hostile("version beyond int64", "POST", lambda w: f"/api/v1/cases/{w.verifying.id}/transitions/reopen",
            lambda w: {"version": INT64_OVER, "comment": "理由"}),
    Hostile("full-width page number", "GET", lambda w: "/api/v1/cases?page=%EF%BC%91"),
)


@pytest.mark.parametrize("entry", API, ids=[entry.name for entry in API])
def test_api_refuses_hostile_input(request, backend, world, client, tokens, entry: Hostile):
    body = entry.body(world) if entry.body else None
    data = body if isinstance(body, str) or body is None else json.dumps(body)
    db.session.commit()
    g.__dict__.clear()
    response = client.open(entry.path(world), method=entry.method, data=data,
                           headers={"Authorization": f"Bearer {tokens['caseworker']}",
                                    "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.status_code
    assert response.is_json and response.json["error"]["message"]


PAGES = (
    Hostile("case page id beyond int32", "GET", lambda w: f"/cases/{INT32_OVER}", None,
            "<int:case_id> has no upper bound: every <int:…> route (see the sweep below)"),
    Hostile("case list program=²", "GET", lambda w: "/cases/?program=%C2%B2", None,
            "cases/views.py: filters checked with str.isdigit(), then int()"),
    Hostile("case list assignee=²", "GET", lambda w: "/cases/?assignee=%C2%B2", None, "the same"),
    Hostile("case list program beyond int32", "GET", lambda w: f"/cases/?program={INT32_OVER}", None,
            "filter ids unbounded (program, batch, agency, assignee)"),
    Hostile("case list batch beyond int32", "GET", lambda w: f"/cases/?batch={INT32_OVER}", None, "the same"),
    Hostile("case list agency beyond int32", "GET", lambda w: f"/cases/?agency={INT32_OVER}", None, "the same"),
    Hostile("comment with NUL", "POST", lambda w: f"/cases/{w.verifying.id}/comments",
            lambda w: {"comment": "a\x00b"}, "PostgreSQL text cannot hold U+0000"),
    Hostile("referral to ²", "POST", lambda w: f"/cases/{w.verifying.id}/referrals",
            lambda w: _version_body(w.verifying, to="²", question="q"),
            "routing/views.py: int(target_id) if target_id.isdigit()"),
    Hostile("referral to beyond int32", "POST", lambda w: f"/cases/{w.verifying.id}/referrals",
            lambda w: _version_body(w.verifying, to=str(INT32_OVER), question="q"), "unbounded id"),
    Hostile("correction query_matches beyond int32", "POST", lambda w: f"/cases/{w.confirmed.id}/correction",
            lambda w: _version_body(w.confirmed, wrong_number_removed="1", outcome="unlinked", query_facts="4",
                                    query_matches=str(INT32_OVER)), "query_matches unbounded"),
    Hostile("saved filter name with NUL", "POST", lambda w: "/cases/filters",
            lambda w: {"name": "x\x00", "query": "status=detected", "return_to": "list"},
            "PostgreSQL text cannot hold U+0000"),
    Hostile("token name with NUL", "POST", lambda w: "/account/tokens", lambda w: {"name": "a\x00b"},
            "PostgreSQL text cannot hold U+0000"),
    Hostile("inbox item beyond int32", "POST", lambda w: "/inbox/read", lambda w: {"item": str(INT32_OVER)},
            "routing/views.py mark_read: ids unbounded"),
    # Refused or ignored properly today.
    Hostile("case list page=²", "GET", lambda w: "/cases/?page=%C2%B2"),
    Hostile("report snapshot=²", "GET", lambda w: "/reports/?snapshot=%C2%B2"),
    Hostile("version ²", "POST", lambda w: f"/cases/{w.verifying.id}/transitions/confirm",
            lambda w: {"version": "²", "cause": "other"}),
)


@pytest.mark.parametrize("entry", PAGES, ids=[entry.name for entry in PAGES])
def test_pages_refuse_hostile_input(request, backend, world, client, entry: Hostile):
    login(client, world.actors["caseworker"])
    if entry.method == "GET":
        response = client.get(entry.path(world))
    else:
        response = client.post(entry.path(world), data={"csrf_token": csrf_token(client, "/cases/"),
                                                        **entry.body(world)})
    assert response.status_code < 500


def test_no_int_route_crashes_beyond_the_database_integer(request, app, backend, world, client):
    """Every page route with an <int:…> part, given 2**31 there, answers 4xx (or a redirect)."""
    login(client, world.actors["caseworker"])
    token = csrf_token(client, "/cases/")
    crashed = []
    for rule in app.url_map.iter_rules():
        ints = [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]
        if not ints or rule.endpoint.startswith("api."):
            continue
        values = {name: INT32_OVER if name in ints else TEXT_ARGUMENTS.get(name, "x") for name in rule.arguments}
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            try:
                response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
                response.close()
                if response.status_code >= 500:
                    crashed.append(f"{method} {path}: {response.status_code}")
            except Exception as exc:  # noqa: BLE001 - a crash is what is looked for
                db.session.rollback()
                crashed.append(f"{method} {path}: {type(exc).__name__}")
    assert not crashed, crashed


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\x7fb"], ids=["NUL", "ESC", "DEL"])
def test_a_comment_with_a_control_character_is_refused_in_japanese_and_not_kept(world, client, text):
    import sqlalchemy as sa

    from caseflow.cases.models import CaseEvent

    case = world.verifying
    before = db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))
    db.session.commit()
    login(client, world.actors["caseworker"])
    response = client.post(f"/cases/{case.id}/comments",
                           data={"csrf_token": csrf_token(client, "/cases/"), "comment": text})
    assert response.status_code == 400
    assert "入力に使用できない文字" in response.get_data(as_text=True)
    after = db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id))
    assert after == before
    # Tabs and line breaks are ordinary text.
    response = client.post(f"/cases/{case.id}/comments",
                           data={"csrf_token": csrf_token(client, "/cases/"), "comment": "一行目\r\n\t二行目"})
    assert response.status_code == 302
