"""The login throttle counts per client address across the whole run: each test here that
uses a client starts and ends with it empty."""

from __future__ import annotations

import pytest

from caseflow.extensions import limiter


@pytest.fixture(autouse=True)
def _empty_throttle(request):
    uses_client = "client" in request.fixturenames
    if uses_client:
        limiter.reset()
    yield
    if uses_client:
        limiter.reset()
