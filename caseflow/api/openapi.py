"""The OpenAPI 3.1 document of /api/v1, built from what the endpoints declare.

Each endpoint registers its Operation (through caseflow.api.views.api_route)
and its schemas next to its code, so the document cannot miss a route or
describe one that is gone. Nothing here imports Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from caseflow.core.json_errors import API_PREFIX, HTTP_ERRORS

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

# components/schemas, by name.
SCHEMAS: dict[str, dict] = {}
# Every endpoint, in the order declared.
OPERATIONS: list[Operation] = []

TAGS: dict[str, str] = {
    "cases": "案件：一覧、取得、状態遷移、コメント、訂正の登録と承認",
    "reports": "集計：事務別・機関別の点検結果（現在、月末、公表値）と点検の進捗（画面 /reports と同じ数字と権限）",
    "meta": "この API 自身の説明",
}

# components/responses for the error statuses, by status.
ERROR_RESPONSE_NAMES: dict[int, str] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "Unprocessable",
    500: "InternalError",
}
_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "リクエストの形式が正しくない（JSON として読めない、項目の型が違う、不明な項目、必須項目がない）",
    401: "APIトークンがない、または無効（取り消し済み、利用者が無効）",
    403: "案件は見えるが、この利用者にはその操作の権限がない",
    404: "案件またはURLが見つからない（他の組織の案件も、存在しない案件と同じく 404）",
    405: "そのURLでは使えないHTTPメソッド",
    409: "version が古い：他の職員が先に案件を更新した。案件を取得し直してから操作する",
    413: "本文が大きすぎる",
    415: "本文が JSON ではない（Content-Type: application/json）",
    422: "業務上の理由で操作できない（状態が違う、必要な入力がない等）。message に理由がある",
    500: "サーバーの内部エラー",
}

_RULE_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_SCHEMAS = {"int": {"type": "integer", "minimum": 1}, "float": {"type": "number"}}


# --- schema helpers ----------------------------------------------------------------------


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    """``schema`` or null (OpenAPI 3.1 has no ``nullable``)."""
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    result = dict(schema)
    kind = result.get("type")
    if isinstance(kind, str):
        result["type"] = [kind, "null"]
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    return result


def enum_schema(enum_cls: type[Enum], description: str = "") -> dict:
    """A string enum by value; the description lists each value with its Japanese label."""
    labels = "、".join(f"{m.value}（{m.label}）" if hasattr(m, "label") else str(m.value) for m in enum_cls)
    text = f"{description}。値：{labels}" if description else f"値：{labels}"
    return {"type": "string", "enum": [m.value for m in enum_cls], "description": text}


def register_schema(name: str, schema: dict) -> dict:
    """Add a component schema; returns a $ref to it. A name is registered once."""
    if name in SCHEMAS and SCHEMAS[name] != schema:
        raise ValueError(f"schema {name} is already registered differently")
    SCHEMAS[name] = schema
    return ref(name)


def _json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


# --- operations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One endpoint as the document describes it."""

    method: str
    rule: str  # the Flask rule below /api/v1, e.g. /cases/<int:case_id>
    operation_id: str
    summary: str
    response: dict  # schema of the success body
    description: str = ""
    tag: str = "cases"
    status: int = 200
    parameters: tuple[dict, ...] = ()  # query parameters, or path parameters to describe further
    request_body: str | None = None  # name of the request body's component schema
    errors: tuple[int, ...] = ()
    public: bool = False  # no token needed
    response_description: str = "成功"

    @property
    def path(self) -> str:
        """The OpenAPI path (below the server URL /api/v1): <int:case_id> becomes {case_id}."""
        return _RULE_VARIABLE.sub(lambda m: "{" + m["name"] + "}", self.rule)

    def _parameters(self) -> list[dict]:
        given = {(p["name"], p["in"]): p for p in self.parameters}
        result = []
        for match in _RULE_VARIABLE.finditer(self.rule):
            name = match["name"]
            parameter = given.pop((name, "path"), None) or {
                "name": name, "in": "path",
                "schema": dict(_CONVERTER_SCHEMAS.get(match["converter"] or "", {"type": "string"}))}
            result.append({**parameter, "required": True})
        return result + list(given.values())

    def error_statuses(self) -> list[int]:
        statuses = set(self.errors) | {500}
        if not self.public:
            statuses.add(401)
        if self.request_body:
            statuses |= {400, 415}
        return sorted(statuses)

    def document(self) -> dict:
        responses: dict = {str(self.status): {"description": self.response_description,
                                              "content": _json_content(self.response)}}
        for status in self.error_statuses():
            responses[str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSE_NAMES[status]}"}
        operation: dict = {"operationId": self.operation_id, "summary": self.summary, "tags": [self.tag]}
        if self.description:
            operation["description"] = self.description
        parameters = self._parameters()
        if parameters:
            operation["parameters"] = parameters
        if self.request_body:
            operation["requestBody"] = {"required": True, "content": _json_content(ref(self.request_body))}
        operation["responses"] = responses
        if self.public:
            operation["security"] = []
        return operation


def register_operation(operation: Operation) -> None:
    for known in OPERATIONS:
        if known.operation_id == operation.operation_id:
            raise ValueError(f"operationId {operation.operation_id} is declared twice")
        if (known.path, known.method) == (operation.path, operation.method):
            raise ValueError(f"{operation.method} {operation.path} is declared twice")
    OPERATIONS.append(operation)


# --- the document --------------------------------------------------------------------------

_DESCRIPTION = """\
CaseFlow（マイナンバー紐付け誤りの案件管理）の JSON API です。画面と同じ操作を、画面と同じ権限で行えます。

- 認証：利用者ごとの APIトークンを `Authorization: Bearer <トークン>` で送ります。トークンは画面の
  「APIトークン」（/account/tokens）または `caseflow users token --login L --name N` で発行します。
  トークンの利用者として操作し、見える案件・できる操作は画面と同じです（他の組織の案件は 404）。
- 本文は JSON（UTF-8）。日付は ISO 8601（2026-11-23）、日時は UTC の ISO 8601、区分は値（英字）で表します。
- 更新の操作には、取得した案件の `version` を送ります。その後に他の職員が更新していれば 409 になります。
- エラーは常に `{"error": {"code": "...", "message": "日本語の説明"}}` です。
- 個人番号（マイナンバー）は全桁を返しません（下4桁のみ：●●●●●●●●1234）。
"""


def _error_responses() -> dict:
    return {
        name: {
            "description": _ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": ref("Error"), "example": {
                "error": {"code": HTTP_ERRORS[status][0], "message": HTTP_ERRORS[status][1]}}}},
        }
        for status, name in ERROR_RESPONSE_NAMES.items()
    }


register_schema("Error", {
    "type": "object",
    "description": "エラー。message は日本語で、利用者にそのまま示せます（個人番号は含みません）。",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "機械が判別するための区分（not_found, conflict, invalid, "
                                                          "invalid_transition, forbidden, unauthorized, "
                                                          "invalid_request …）"},
                "message": {"type": "string", "description": "日本語の説明"},
            },
            "required": ["code", "message"],
            "additionalProperties": False,
        },
    },
    "required": ["error"],
    "additionalProperties": False,
})


def build_document() -> dict:
    """The whole OpenAPI document for every registered operation."""
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = operation.document()
    used_tags = sorted({operation.tag for operation in OPERATIONS})
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "CaseFlow API", "version": API_VERSION, "description": _DESCRIPTION},
        "servers": [{"url": API_PREFIX}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": tag, "description": TAGS.get(tag, tag)} for tag in used_tags],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(SCHEMAS.items())),
            "responses": _error_responses(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "利用者ごとの APIトークン（発行時に一度だけ表示されます）",
                },
            },
        },
    }
