"""One request, one commit, for the pages (the JSON API has ``api_route``).

A page that changes something is decorated with ``action``: its view raises or returns, and
``action`` is the one place that commits or rolls back and shows the Japanese message. What must
happen only once the change is stored (a job put on the queue) is handed to ``after_commit``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import flash, g, redirect

from caseflow.db import write_conflicts_as_409
from caseflow.errors import DomainError, NotFound, PermissionDenied
from caseflow.extensions import db

_AFTER_COMMIT = "caseflow_after_commit"


def action(*, back: Callable[..., str] | None = None, refused: Callable[..., Any] | None = None):
    """Decorate a page view that changes something (below ``@bp.route`` and ``@login_required``).

    The view returns a response, or ``Done(message)``: then the change is committed and the
    message is shown on the way ``back(**view_args)``. A DomainError rolls everything back and
    shows its message: ``refused(error, **view_args)`` answers when given, else the way ``back``,
    else the error page. A refusal of access (403, 404) is always the error page. A write that
    conflicts with another user's at the commit is refused like a stale form (409).
    """

    def decorate(view):
        @functools.wraps(view)
        def run(**view_args):
            g.setdefault(_AFTER_COMMIT, [])
            try:
                answer = view(**view_args)
                commit()
            except (PermissionDenied, NotFound):
                db.session.rollback()
                raise
            except DomainError as exc:
                db.session.rollback()
                g.pop(_AFTER_COMMIT, None)
                if refused is None and back is None:
                    raise
                flash(exc.message, "error")
                return refused(exc, **view_args) if refused is not None else redirect(back(**view_args))
            for callback in g.pop(_AFTER_COMMIT, []):
                callback()
            if isinstance(answer, Done):
                flash(answer, "success")
                return redirect(back(**view_args))
            return answer

        return run

    return decorate


class Done(str):
    """What an ``action`` view did, in Japanese: shown as done on the way back."""


def commit() -> None:
    """Commit the request's work; a concurrent write of the same rows becomes a Conflict (409)."""
    with write_conflicts_as_409():
        db.session.commit()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the ``action`` view's change is committed (never when it is refused)."""
    g.setdefault(_AFTER_COMMIT, []).append(callback)
