"""The OpenAPI document: public, valid, and describing every /api/v1 route and nothing else."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from caseflow.core.json_errors import API_PREFIX

_IGNORED_METHODS = {"HEAD", "OPTIONS"}  # added by Flask to every rule


def _document(client) -> dict:
    response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.json


def test_the_document_is_public_and_valid(client):
    document = _document(client)
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": API_PREFIX}]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "利用者ごとの APIトークン（発行時に一度だけ表示されます）"}
    for name in ("Case", "CaseSummary", "CaseList", "Error", "TransitionRequest", "CorrectionRequest"):
        assert name in document["components"]["schemas"]


def _app_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule == API_PREFIX or rule.rule.startswith(API_PREFIX + "/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API_PREFIX):])
            routes |= {(path, method) for method in rule.methods - _IGNORED_METHODS}
    return routes


def test_every_route_is_documented_and_every_entry_is_a_route(app, client):
    document = _document(client)
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routes = _app_routes(app)
    assert routes, "no /api/v1 routes found"
    assert routes - documented == set(), "undocumented API routes"
    assert documented - routes == set(), "documented routes that do not exist"


def test_every_operation_says_how_it_fails(client):
    document = _document(client)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if path == "/openapi.json":
                assert operation["security"] == []
            else:
                assert "401" in responses and "security" not in operation, (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= set(responses), (method, path)
                name = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
                assert document["components"]["schemas"][name]["additionalProperties"] is False
            if "{case_id}" in path:
                assert "404" in responses, (method, path)
            if method == "post":
                assert "409" in responses and "422" in responses, (method, path)
            assert operation["summary"] and operation["operationId"]


def test_error_bodies_match_the_error_schema(client, conforms):
    conforms(client.get(f"{API_PREFIX}/cases"), "Error")
    conforms(client.get(f"{API_PREFIX}/nothing"), "Error")
