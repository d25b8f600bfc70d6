"""The /api/v1 blueprint: token authentication, JSON bodies, errors, and ``api_route``.

An endpoint is a function ``(actor, **path_args[, body]) -> dict`` declared
with ``@api_route(...)``, which adds its Flask route and its OpenAPI entry
together. The wrapper authenticates the token (its user is the acting user),
parses and type-checks the JSON body, calls the function, commits once, and
answers JSON; any refusal becomes {"error": {"code", "message"}}.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from flask import Blueprint, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from caseflow.api.openapi import Operation, build_document, enum_schema, register_operation, register_schema
from caseflow.api.operations import authenticate_token
from caseflow.core.json_errors import API_PREFIX, ApiError, error_response, invalid_request, json_response
from caseflow.core.params import BAD_CHARACTERS_MESSAGE, MAX_ID, has_bad_characters
from caseflow.db import is_write_conflict
from caseflow.errors import STALE_MESSAGE, Conflict, DomainError
from caseflow.extensions import csrf, db
from caseflow.users.models import User

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
# Programs authenticate with a token in a header, never with the session cookie, so a
# forged cross-site request carries nothing that works here: no CSRF token is needed.
csrf.exempt(bp)

# Bodies are a few fields; anything near this size is a mistake or an attack.
MAX_BODY_BYTES = 64 * 1024

_TYPE_LABELS = {"string": "文字列", "integer": "整数", "boolean": "真偽値（true または false）"}


# --- request bodies ------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One member of a JSON request body: its JSON type is checked here, its value by the operation."""

    name: str
    kind: str  # "string", "integer" or "boolean"
    description: str
    required: bool = False
    enum: type[Enum] | None = None
    format: str | None = None  # "date"
    max_length: int | None = None

    def schema(self) -> dict:
        schema: dict = enum_schema(self.enum, self.description) if self.enum else {
            "type": self.kind, "description": self.description}
        if self.format:
            schema["format"] = self.format
        if self.max_length:
            schema["maxLength"] = self.max_length
        if self.kind == "integer":
            schema["minimum"], schema["maximum"] = 0, MAX_ID
        if not self.required:
            schema["type"] = [self.kind, "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        return schema

    def accepts(self, value: object) -> bool:
        if self.kind == "string":
            return isinstance(value, str)
        if self.kind == "integer":  # ids, versions and counts: within the database's integer
            return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID
        return isinstance(value, bool)


@dataclass(frozen=True)
class Body:
    """A JSON request body: its component schema in the document, and its parser."""

    name: str  # component schema name, e.g. TransitionRequest
    description: str
    fields: tuple[Field, ...]

    def schema(self) -> dict:
        return {
            "type": "object",
            "description": self.description,
            "properties": {f.name: f.schema() for f in self.fields},
            "required": [f.name for f in self.fields if f.required],
            "additionalProperties": False,
        }

    def parse(self, data: object) -> dict:
        """The body's values by field name (None where absent), or a 400 naming what is wrong.

        Only the shape is checked here. Values (choices, dates, lengths, what a
        transition needs) are checked by the same parsers and operations as the
        UI's, so both give the same answer.
        """
        if not isinstance(data, dict):
            raise invalid_request("リクエストの本文は JSON のオブジェクト（{…}）にしてください。")
        known = {f.name for f in self.fields}
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise invalid_request(f"不明な項目があります：{'、'.join(unknown)}")
        values = {}
        for f in self.fields:
            value = data.get(f.name)
            if value is None:
                if f.required:
                    raise invalid_request(f"「{f.name}」を指定してください。")
            elif not f.accepts(value):
                if f.kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
                    raise invalid_request(f"「{f.name}」は0以上{MAX_ID}以下の整数で指定してください。")
                raise invalid_request(f"「{f.name}」は{_TYPE_LABELS[f.kind]}で指定してください。")
            values[f.name] = value
        return values


def as_form(values: Mapping[str, object]) -> dict[str, str]:
    """Body values as the UI's form would submit them, for caseflow.cases.forms' parsers.

    A checkbox is "1" when ticked and absent otherwise; null is an empty field.
    """
    form = {}
    for name, value in values.items():
        if isinstance(value, bool):
            if value:
                form[name] = "1"
        elif value is not None:
            form[name] = str(value)
    return form


def _json_body() -> object:
    if not request.is_json:
        raise ApiError(415)
    data = request.get_json(silent=True)
    if data is None:
        raise invalid_request("リクエストの本文を JSON として読み取れませんでした。")
    if has_bad_characters(data):  # U+0000, a lone surrogate (JSON's "\udb33") …
        raise invalid_request(BAD_CHARACTERS_MESSAGE)
    return data


# --- authentication and the unit of work --------------------------------------------------


def _authenticate() -> User:
    """The token's user, who acts in this request. A session cookie counts for nothing here."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise ApiError(401)
    user = authenticate_token(db.session, credentials.strip())
    if user is None:
        raise ApiError(401, "APIトークンが無効です。取り消されていないか、正しく指定されているかを確認してください。")
    return user


def _commit() -> None:
    """The request's one commit. A write that lost a race is the same 409 as a stale version."""
    try:
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(STALE_MESSAGE) from exc
    except DBAPIError as exc:
        db.session.rollback()
        if is_write_conflict(exc):
            raise Conflict(STALE_MESSAGE) from exc
        raise


def api_route(method: str, rule: str, *, operation_id: str, summary: str, response: dict,
              description: str = "", tag: str = "cases", status: int = 200,
              parameters: Sequence[dict] = (), body: Body | None = None, errors: Sequence[int] = (),
              public: bool = False) -> Callable:
    """Declare an endpoint: its route on the blueprint and its operation in the OpenAPI document.

    The function is called as ``func(actor, **path_args)``, with ``body=`` (the
    parsed values) when ``body`` is given. It returns the JSON payload, or a
    function that makes it after the commit: an action answers with the case as
    committed, relationships reloaded. ``actor`` is None for a ``public``
    endpoint (no token needed).
    """
    if body is not None:
        register_schema(body.name, body.schema())
    operation = Operation(method=method.upper(), rule=rule, operation_id=operation_id, summary=summary,
                          response=response, description=description, tag=tag, status=status,
                          parameters=tuple(parameters), request_body=body.name if body else None,
                          errors=tuple(errors), public=public)

    def decorate(func: Callable[..., object]) -> Callable[..., object]:
        register_operation(operation)

        @functools.wraps(func)
        def view(**path_args):
            actor = None if public else _authenticate()
            if body is not None:
                path_args["body"] = body.parse(_json_body())
            payload = func(actor, **path_args)
            if not public:
                _commit()
            return json_response(payload() if callable(payload) else payload, status)

        bp.add_url_rule(rule, endpoint=func.__name__, view_func=view, methods=[operation.method])
        return func

    return decorate


# --- errors and headers --------------------------------------------------------------------


@bp.before_request
def _limit_body() -> None:
    request.max_content_length = MAX_BODY_BYTES


@bp.after_request
def _no_store(response):
    # Answers carry personal data (names, dates of birth): no cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    return error_response(exc.status_code, exc.code, exc.message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    db.session.rollback()
    return error_response(exc.code or 500)


# --- the document itself -------------------------------------------------------------------


@api_route("GET", "/openapi.json", operation_id="getOpenApiDocument", summary="この API の OpenAPI 文書",
           tag="meta", public=True, response={"type": "object", "description": "OpenAPI 3.1 の文書"},
           description="トークンなしで取得できます。")
def openapi_document(actor: None) -> dict:
    return build_document()
