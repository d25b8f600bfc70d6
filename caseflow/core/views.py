"""Health check, home, error pages, template helpers and response headers."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import escape

from caseflow.core import free_text, storage
from caseflow.core.japanese import jst, wareki, ymd
from caseflow.core.json_errors import error_response, invalid_request, is_api_request
from caseflow.core.limits import LIMITS
from caseflow.core.params import BAD_CHARACTERS_MESSAGE, has_bad_characters
from caseflow.errors import DomainError, dependency_errors
from caseflow.extensions import db

bp = Blueprint("core", __name__)


HEALTH_CHECKS = "caseflow.health_checks"


def register_health_check(app: Flask, name: str, check) -> None:
    """Another dependency for /healthz: ``check(app)`` says "ok", or what is wrong ("unreachable")."""
    app.extensions.setdefault(HEALTH_CHECKS, {})[name] = check


@bp.route("/healthz")
def healthz():
    """Each dependency this host needs: the database, those the areas register (the queue), the
    shared files (caseflow.core.storage); 503 when one fails, for the proxy and the monitoring."""
    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "unreachable"
    for name, check in current_app.extensions.get(HEALTH_CHECKS, {}).items():
        checks[name] = check(current_app)
    checks["storage"] = "ok" if storage.writable(storage.files_root()) else "unwritable"
    healthy = all(value == "ok" for value in checks.values())
    return {"status": "ok" if healthy else "error", **checks}, 200 if healthy else 503


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("cases.my_queue"))
    return redirect(url_for("auth.login"))


def _error_page(status: int, title: str, message: str):
    if is_api_request():
        # The JSON API answers JSON even where no API route matched (no blueprint handler runs then).
        return error_response(status)
    return render_template("errors/error.html", status=status, title=title, message=message), status


DEPENDENCY_DOWN = dependency_errors()
UNAVAILABLE = {
    "database": "データベースに接続できません。システムの再起動中か、障害が発生しています。",
    "queue": "処理待ちの列（キュー）に接続できません。システムの再起動中か、障害が発生しています。",
}


def unavailable_page(reason: str) -> str:
    """The proxy's static page (static/errors/unavailable.html) with ``reason`` in it: it touches
    neither the database nor the queue (no template context: Flask-Login's would load the user)."""
    page = (Path(current_app.static_folder) / "errors" / "unavailable.html").read_text(encoding="utf-8")
    return re.sub(r'(<p id="reason">).*?(</p>)', lambda m: f"{m.group(1)}{escape(reason)}{m.group(2)}", page, count=1)


def _dependency_down(exc: BaseException):
    """The page (or the API's JSON) for a request that found the database or the queue down."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone with the database: nothing to roll back
        pass
    which = "database" if isinstance(exc, sa.exc.SQLAlchemyError) else "queue"
    current_app.logger.warning("503: the %s is unreachable (%s)", which, type(exc).__name__)
    if is_api_request():
        response = error_response(503)
    else:
        response = make_response(unavailable_page(UNAVAILABLE[which]), 503)
    response.headers["Retry-After"] = "30"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        db.session.rollback()
        return _error_page(exc.status_code, "操作できません", exc.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(_exc):
        return _error_page(400, "送信できませんでした",
                           "フォームの有効期限が切れたか、不正な送信です。画面を再読み込みしてからもう一度操作してください。")

    @app.errorhandler(404)
    def _not_found(_exc):
        return _error_page(404, "ページが見つかりません", "指定されたページまたは案件は見つかりません。")

    @app.errorhandler(403)
    def _forbidden(_exc):
        return _error_page(403, "権限がありません", "この操作を行う権限がありません。")

    @app.errorhandler(405)
    def _method_not_allowed(_exc):
        return _error_page(405, "操作できません", "この方法ではページを開けません。")

    @app.errorhandler(429)
    def _too_many_requests(_exc):
        response = _error_page(429, "しばらくお待ちください",
                               "短い時間に何度もログインに失敗したため、受け付けを一時的に止めています。"
                               "1分ほど待ってから、もう一度お試しください。")
        if isinstance(response, tuple):
            response = make_response(*response)
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(413)
    def _too_large(_exc):
        limit = request.max_content_length
        what = "ファイル" if getattr(app.view_functions.get(request.endpoint), "accepts_upload", False) \
            else "送信内容"
        return _error_page(413, "送信内容が大きすぎます",
                           f"{what}が大きすぎるため受け付けられませんでした。"
                           f"1回に送信できるのは合計{byte_size(limit)}までです。" if limit else
                           f"{what}が大きすぎるため受け付けられませんでした。")

    # A dependency down (the database restarting, Redis stopped): a Japanese 503 that touches
    # neither, with Retry-After, for the user and for the proxy (which tries another host on a GET).
    for error in DEPENDENCY_DOWN:
        app.register_error_handler(error, _dependency_down)

    @app.errorhandler(500)
    def _server_error(_exc):
        return _error_page(500, "システムエラー", "処理中にエラーが発生しました。時間をおいてもう一度お試しください。")


class SizeLimitedRequest(Request):
    """A request whose size limit is its view's: MAX_UPLOAD_BYTES for views marked ``accepts_upload``.

    Decided by the request itself (its URL rule is matched before anything reads the body), so
    the limit holds for whatever reads the form first, the CSRF check included.
    """

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is None and self.url_rule is not None and current_app:
            view = current_app.view_functions.get(self.url_rule.endpoint)
            limit = getattr(view, "accepts_upload", None)
            if limit:
                return current_app.config["MAX_UPLOAD_BYTES"] if limit is True else limit
        return super().max_content_length

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def accepts_upload(view=None, *, max_bytes: int | None = None):
    """Mark a view whose form carries files: its requests may be up to MAX_UPLOAD_BYTES (or ``max_bytes``,
    the form around the files included), not MAX_CONTENT_LENGTH.

    Put it below ``@bp.route``: ``@accepts_upload`` or ``@accepts_upload(max_bytes=…)``.
    """
    def mark(function):
        function.accepts_upload = max_bytes or True
        return function

    return mark(view) if view is not None else mark


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(body: bytes, mimetype: str, filename: str, *, attachment: bool = True) -> Response:
    """A file to save (or, ``attachment=False``, to show in the browser), never cached. A Japanese
    file name (【青森県】2307 マイナンバー調査回答.xlsx) goes as RFC 6266 ``filename*``, with an ASCII
    ``filename`` beside it for clients that read only that."""
    response = Response(body, mimetype=mimetype)
    disposition = "attachment" if attachment else "inline"
    if filename.isascii():
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    else:
        _stem, dot, suffix = filename.rpartition(".")
        fallback = f"download.{suffix}" if dot and suffix.isascii() else "download"
        response.headers["Content-Disposition"] = (f'{disposition}; filename="{fallback}"; '
                                                   f"filename*=UTF-8''{quote(filename)}")
    response.headers["Cache-Control"] = "no-store"
    return response


def byte_size(size: int) -> str:
    """A limit as people read it: 2 GB, 1 MB, 64 KB."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} バイト"


def register_input_checks(app: Flask) -> None:
    """Limit the request's size, and refuse, before any view, fields that hold characters no person types."""
    app.request_class = SizeLimitedRequest

    @app.before_request
    def _refuse_bad_characters():
        if request.endpoint == "static":
            return None
        values: list = [v for vs in request.args.listvalues() for v in vs]
        api = is_api_request()
        if not api and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            # The API reads its JSON bodies itself, after its size limit (caseflow.api.views).
            values.extend(v for vs in request.form.listvalues() for v in vs)
        if any(has_bad_characters(value) for value in values):
            if api:
                raise invalid_request(BAD_CHARACTERS_MESSAGE)
            return _error_page(400, "送信できませんでした", BAD_CHARACTERS_MESSAGE)
        return None


def register_free_text_notice(app: Flask) -> None:
    """Tell the user when a My Number typed into free text was masked before it was stored."""

    @app.after_request
    def _masked_notice(response):
        if free_text.take_masked_notice(db.session):
            if is_api_request():
                response.headers[free_text.NOTICE_HEADER] = free_text.NOTICE_MASKED
            else:
                flash(free_text.MASKED_MESSAGE, "info")
        return response


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.finalize = free_text.mask_for_page
    # The forms' maxlength comes from the constants the server checks against: limits.TEXT_MAX …
    app.jinja_env.globals["limits"] = LIMITS
    app.jinja_env.filters["wareki"] = wareki
    app.jinja_env.filters["ymd"] = ymd
    app.jinja_env.filters["jst"] = jst

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        )
        if app.config["SESSION_COOKIE_SECURE"] or request.is_secure:
            # Only over HTTPS: the demo on http://127.0.0.1 must not pin the browser to HTTPS.
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages carry personal data (and the login pages, secrets): no copy in any cache.
            response.headers["Cache-Control"] = "no-store"
        return response
