"""Fixtures for the JSON API: tokens, a client bound to one user's token, schema checks."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS31Validator

from caseflow.api.openapi import build_document
from caseflow.api.operations import issue_token
from caseflow.extensions import db

# The world of the UI's authorisation matrix, for the API's (tests/api/test_authorization.py).
from tests.test_authorization_matrix import world  # noqa: F401


@pytest.fixture
def make_token(app):
    """make_token(user) issues a token for ``user`` and returns it (the plaintext)."""

    def make(user, name: str = "テスト用") -> str:
        _token, plaintext = issue_token(db.session, user, name)
        db.session.commit()  # a savepoint release here: a refused request's rollback keeps it
        return plaintext

    return make


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_as(client, make_token):
    """api_as(user) returns call(method, path, body=None) sending ``user``'s new token."""

    def bind(user):
        token = make_token(user)

        def call(method: str, path: str, body=None, **kwargs):
            # What the test set up is committed first, as a real client only sees committed data
            # (and a refused request's rollback must not take the test's own rows with it).
            db.session.commit()
            headers = {**bearer(token), **kwargs.pop("headers", {})}
            return client.open(path, method=method, json=body, headers=headers, **kwargs)

        return call

    return bind


@pytest.fixture(scope="session")
def openapi_document(app) -> dict:
    return build_document()


@pytest.fixture
def conforms(openapi_document):
    """conforms(response, "Case") checks a body against the document's schema of that name."""

    def check(response, schema_name: str) -> dict:
        body = response.json
        schema = {"$ref": f"#/components/schemas/{schema_name}", "components": openapi_document["components"]}
        OAS31Validator(schema).validate(body)
        return body

    return check
