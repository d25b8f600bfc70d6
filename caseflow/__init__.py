"""CaseFlow: finding, verifying, correcting and reporting My Number linkage errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Application factory. ``config`` overrides what the environment gives (tests use it)."""
    # Flask is imported here, not above: `caseflow grade` imports this package and needs no web app.
    from flask import Flask

    from caseflow.config import load_config
    from caseflow.core import logs
    from caseflow.extensions import csrf, db, limiter, login_manager
    from caseflow.users.settings import login_settings

    logs.install()  # before anything logs: no exception text or My Number from the input reaches a log
    config = dict(config or {})
    app = Flask(
        __name__,
        instance_path=config.pop("INSTANCE_PATH", None) or os.environ.get("CASEFLOW_INSTANCE_PATH")
        or str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(load_config(app.instance_path, config))
    for key, value in login_settings(os.environ).items():
        app.config.setdefault(key, value)

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from caseflow.core.params import id_converter

    app.url_map.converters["int"] = id_converter()  # before any route is added

    from caseflow.administration.views import bp as administration_bp
    from caseflow.api import blueprint as api_blueprint
    from caseflow.api.account import bp as api_tokens_bp
    from caseflow.cases.search_views import bp as search_bp
    from caseflow.cases.views import bp as cases_bp
    from caseflow.core.views import bp as core_bp
    from caseflow.core.views import (
        register_error_handlers,
        register_free_text_notice,
        register_input_checks,
        register_template_helpers,
    )
    from caseflow.dashboards.views import bp as dashboards_bp
    from caseflow.evidence.views import bp as evidence_bp
    from caseflow.inspections.views import bp as inspections_bp
    from caseflow.intake.views import bp as intake_bp
    from caseflow.jobs.views import bp as jobs_bp
    from caseflow.letters.views import bp as letters_bp
    from caseflow.reports.views import bp as reports_bp
    from caseflow.routing.views import bp as routing_bp
    from caseflow.surveys.views import bp as surveys_bp
    from caseflow.users.views import bp as auth_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(inspections_bp)
    app.register_blueprint(letters_bp)
    app.register_blueprint(routing_bp)
    app.register_blueprint(api_blueprint())
    app.register_blueprint(api_tokens_bp)
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(administration_bp)
    app.register_blueprint(intake_bp)
    app.register_blueprint(surveys_bp)
    register_error_handlers(app)
    register_input_checks(app)
    register_template_helpers(app)
    from caseflow.policy import register_template_global

    register_template_global(app)
    register_free_text_notice(app)
    from caseflow.core.views import register_health_check
    from caseflow.jobs.queue import queue_reachable

    register_health_check(app, "queue", lambda app: "ok" if queue_reachable(app) else "unreachable")
    return app
