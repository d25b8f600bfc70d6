"""Domain errors: raised by operations, turned into 4xx pages and messages by views."""

from __future__ import annotations


class DomainError(Exception):
    """An action the domain refuses; ``message`` is Japanese and safe to show."""

    status_code = 422
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class PermissionDenied(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """Someone else changed the case first (stale version)."""

    status_code = 409
    code = "conflict"


def dependency_errors() -> tuple[type[BaseException], ...]:
    """What a request or a job raises when the database or the queue is down (restarting, unreachable):
    not a fault of the request, so a 503 for a page (caseflow.core.views), a job run again (caseflow.jobs)."""
    import redis.exceptions
    import sqlalchemy.exc

    return (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, sqlalchemy.exc.TimeoutError,
            redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


STALE_MESSAGE = (
    "この案件は他の職員により更新されています。画面を再読み込みして最新の内容を確認してから、もう一度操作してください。"
)
