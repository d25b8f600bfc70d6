"""The JSON API under /api/v1: the case operations of the UI for programs, with per-user tokens.

Endpoints are functions decorated with ``caseflow.api.views.api_route``: one
declaration makes both the Flask route and its entry in /api/v1/openapi.json.
An area that adds endpoints lists its module in ENDPOINT_MODULES.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Blueprint

# Modules whose @api_route functions make up the API. They are imported before the
# blueprint is registered: Flask refuses routes added to a blueprint after that.
ENDPOINT_MODULES: tuple[str, ...] = (
    "caseflow.api.cases",
    "caseflow.api.decisions",
    "caseflow.api.search",
    "caseflow.routing.api",
    "caseflow.intake.api",
    "caseflow.reports.api",
)


def blueprint() -> Blueprint:
    """The /api/v1 blueprint with every endpoint module loaded."""
    for name in ENDPOINT_MODULES:
        importlib.import_module(name)
    from caseflow.api.views import bp

    return bp
