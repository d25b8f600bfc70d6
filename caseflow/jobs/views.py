"""A job's page with its progress bar, the status the page polls, and the self-test."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from caseflow.core.pages import action, after_commit
from caseflow.core.params import parse_count
from caseflow.db import utcnow
from caseflow.errors import DomainError, NotFound
from caseflow.extensions import db
from caseflow.jobs import operations, queue
from caseflow.jobs.models import Job, JobStatus

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
logger = logging.getLogger("caseflow.jobs")

# A job still waiting after this long most likely has no worker to run it.
WAITING_TOO_LONG = dt.timedelta(seconds=30)
WAITING_TOO_LONG_MESSAGE = (
    "まだ開始されていません。しばらく待っても始まらない場合は、システム管理者にワーカー（caseflow worker）"
    "が動いているか確認を依頼してください。"
)


@bp.after_request
def _not_stored(response):
    # Progress must be fresh, and results may name people.
    response.headers["Cache-Control"] = "no-store"
    return response


def result_links(job: Job) -> list[dict]:
    """The result's links as {label, url}; one that no longer builds is left out."""
    links = []
    for link in (job.result or {}).get("links", []):
        try:
            links.append({"label": link["label"], "url": url_for(link["endpoint"], **link.get("values", {}))})
        except (BuildError, KeyError, TypeError):
            logger.warning("job %s: result link %r not shown", job.id, link)
    return links


def job_state(job: Job) -> dict:
    """What the page shows and the status URL returns: one place for both."""
    live = queue.live_progress(current_app, job.id) if job.status is JobStatus.RUNNING else None
    if job.status is JobStatus.RUNNING and live is None:
        # The job may have ended since its row was read: the worker clears the live
        # progress only after committing the outcome. Read the row again in a fresh
        # snapshot (a GET changes nothing, so ending the transaction loses nothing).
        db.session.rollback()
    done, total, message = job.progress_done, job.progress_total, job.message
    if live is not None and job.status is JobStatus.RUNNING:
        done, total, message = live["done"], live["total"], live["message"] or message
    elif job.status is JobStatus.QUEUED and utcnow() - job.created_at > WAITING_TOO_LONG:
        message = WAITING_TOO_LONG_MESSAGE
    elif job.status is JobStatus.FAILED:
        message = job.error
    if job.status is JobStatus.SUCCEEDED:
        percent = 100
    elif total:
        percent = min(100, done * 100 // total)
    else:
        percent = None  # not known yet: the bar shows that it is working
    state = {
        "status": job.status.value,
        "status_label": job.status.label,
        "done": done,
        "total": total,
        "percent": percent,
        "message": message,
        "finished": job.finished,
    }
    links = result_links(job) if job.status is JobStatus.SUCCEEDED else []
    if links:
        state["result_url"] = links[0]["url"]
    return state


@bp.route("/<int:job_id>")
@login_required
def job_detail(job_id: int):
    job = operations.get_visible_job(db.session, job_id, current_user)
    kind = queue.get_kind(job.kind)
    return render_template("jobs/job.html", job=job, state=job_state(job), links=result_links(job),
                           kind_label=kind.label if kind else job.kind, statuses=JobStatus)


@bp.route("/<int:job_id>/status")
@login_required
def job_status(job_id: int):
    try:
        job = operations.get_visible_job(db.session, job_id, current_user)
    except NotFound as exc:
        return {"error": exc.message}, 404
    return job_state(job)


@bp.route("/selftest", methods=["POST"])
@login_required
@action()
def start_selftest():
    count = parse_count(request.form.get("count", "10"))
    delay_text = request.form.get("delay", "0.1")
    if count is None or not delay_text.isascii():
        raise DomainError("回数と間隔は半角数字で指定してください。")
    try:
        delay = float(delay_text)
    except ValueError:
        raise DomainError("回数と間隔は半角数字で指定してください。") from None
    job = operations.start_selftest(db.session, current_user, count=count, delay=delay)
    after_commit(lambda: operations.dispatch(job))
    return redirect(url_for("jobs.job_detail", job_id=job.id), 303)
