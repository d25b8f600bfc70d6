"""Errors as the JSON API writes them: always {"error": {"code", "message"}}, the message in Japanese.

In core, not in the API's area: the application's own error handlers (caseflow.core.views) answer
JSON for any /api/v1 URL, also one that no API route matched.
"""

from __future__ import annotations

import json

from flask import Response, request

from caseflow.core.mynumber import contains_my_number, mask_my_numbers
from caseflow.errors import DomainError

API_PREFIX = "/api/v1"

# The answer for each HTTP status when nothing more precise is known.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "リクエストの形式が正しくありません。"),
    401: ("unauthorized", "APIトークンが必要です。Authorization ヘッダーに「Bearer トークン」を指定してください。"),
    403: ("forbidden", "この操作を行う権限がありません。"),
    404: ("not_found", "指定されたURLまたは案件は見つかりません。"),
    405: ("method_not_allowed", "このURLでは、そのHTTPメソッドは使えません。"),
    409: ("conflict", "他の操作と競合しました。最新の内容を取得してから、もう一度操作してください。"),
    413: ("payload_too_large", "リクエストの本文が大きすぎます。"),
    415: ("unsupported_media_type", "リクエストの本文は JSON（Content-Type: application/json）で送信してください。"),
    422: ("invalid", "この操作はできません。"),
    500: ("internal_error", "処理中にエラーが発生しました。時間をおいてもう一度お試しください。"),
    503: ("unavailable", "ただいま利用できません（データベースまたは処理待ちの列に接続できません）。しばらくしてからもう一度お試しください。"),
}


class ApiError(DomainError):
    """A request the API refuses before any operation runs, with its own HTTP status."""

    def __init__(self, status_code: int, message: str | None = None, *, code: str | None = None) -> None:
        default_code, default_message = HTTP_ERRORS.get(status_code, HTTP_ERRORS[400])
        super().__init__(message or default_message, code=code or default_code)
        self.status_code = status_code


def invalid_request(message: str) -> ApiError:
    """The body or a query parameter does not have the documented shape (400)."""
    return ApiError(400, message, code="invalid_request")


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def redact(value):
    """``value`` (JSON-like) with any My Number in its strings masked: nothing the API sends carries one."""
    if isinstance(value, str):
        return mask_my_numbers(value)
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def json_response(payload, status: int = 200) -> Response:
    """UTF-8 JSON with Japanese left readable (Flask's default escapes it to \\uXXXX)."""
    body = json.dumps(redact(payload), ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json")


def error_response(status: int, code: str | None = None, message: str | None = None) -> Response:
    """The API's error body for ``status``; a message that holds a My Number is replaced, not masked."""
    default_code, default_message = HTTP_ERRORS.get(status, HTTP_ERRORS[500 if status >= 500 else 400])
    if not message or contains_my_number(message):
        message = default_message
    response = json_response({"error": {"code": code or default_code, "message": message}}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="caseflow"'
    response.headers["Cache-Control"] = "no-store"
    return response
