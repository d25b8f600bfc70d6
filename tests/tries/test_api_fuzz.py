"""The JSON API fuzzed from its own OpenAPI document (schemathesis), on a world with real data.

Every operation of /api/v1/openapi.json gets generated requests, valid and invalid
(schemathesis' positive and negative modes), sent through the WSGI app with the token of
a user drawn from the matrix's world: agency A's caseworker and supervisor, agency B's
caseworker, the program's ministry, another ministry, the Digital Agency, an administrator,
or no token. Path ids are drawn from the world's cases (every status) as often as generated;
a body's ``version`` is set to the case's current one 3 times in 4, so that requests get
past the stale-version check into the operations.

Checks on every answer: no 5xx (a crash propagates in tests and is caught with its
traceback), the status code is documented, the content type is the documented one, and the
body matches the documented schema. Every finding is collected, so one run lists them all;
the per-operation figures are printed.
"""

from __future__ import annotations

import traceback
from collections import Counter, defaultdict

import schemathesis
from flask import g
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from caseflow.cases.models import Case
from caseflow.cases.vocabulary import CaseStatus
from caseflow.core.json_errors import API_PREFIX
from caseflow.extensions import db

# Generated requests per operation; PostgreSQL gets a smaller run (same code, other database).
EXAMPLES = {"sqlite": 100, "postgresql": 30}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
NO_TOKEN = "anonymous"
# Agency A's staff act on A's cases: drawn three times as often as anyone else.
WEIGHTS = {"caseworker": 3, "supervisor": 3}


def _case_ids(world, extra: list[Case]) -> list[int]:
    cases = [world.detected, world.verifying, world.confirmed, world.pending, world.corrected,
             world.referral.case, world.letter.case, *extra]
    return [case.id for case in cases]


def _strategy(operation, case_ids: list[int]):
    """Generated requests of ``operation``, half of them aimed at the world's cases."""
    takes_case = any(p.name == "case_id" for p in operation.path_parameters)
    strategies = []
    for mode in MODES:
        strategies.append(operation.as_strategy(mode))
        if takes_case:
            strategies.extend(operation.as_strategy(mode, path_parameters={"case_id": case_id})
                              for case_id in case_ids)
    return st.one_of(*strategies)


def _aim(case, data, world, case_ids: list[int]) -> None:
    """Give a body the case's current version (3 times in 4) and a real organisation to refer to."""
    if not isinstance(case.body, dict):
        return
    case_id = (case.path_parameters or {}).get("case_id")
    aimed = data.draw(st.integers(0, 3), label="current version") > 0
    if "version" in case.body and case_id in case_ids and aimed:
        current = db.session.get(Case, case_id)
        if current is not None:
            db.session.refresh(current)
            case.body["version"] = current.version
    if "to" in case.body and data.draw(st.booleans(), label="real organisation"):
        case.body["to"] = data.draw(st.sampled_from([world.ministry.id, world.actors["digital"].organization_id,
                                                     world.actors["other_caseworker"].organization_id]))


def _fuzz(operation, *, examples: int, case_ids: list[int], world, tokens: dict[str, str],
          statuses: Counter, findings: list[str]) -> None:
    """Send ``examples`` generated requests of one operation; count statuses, collect findings."""
    actors = [name for name in [*tokens, NO_TOKEN] for _ in range(WEIGHTS.get(name, 1))]
    label = operation.label

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, case_ids), data=st.data())
    def run(case, data):
        actor = data.draw(st.sampled_from(actors), label="actor")
        _aim(case, data, world, case_ids)
        headers = {} if actor == NO_TOKEN else {"Authorization": f"Bearer {tokens[actor]}"}
        g.__dict__.clear()  # each request starts with an empty g, as in production
        try:
            response = case.call(headers=headers)
        except Exception:  # a crash: in tests Flask propagates it instead of answering 500
            db.session.rollback()
            statuses["crash"] += 1
            findings.append(f"{label} as {actor}: crash\n{case.as_curl_command()}\n{traceback.format_exc()}")
            return
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as failure:
            findings.append(f"{label} as {actor}: {failure}")

    run()


def test_api_fuzz(app, backend, world, make_case, tokens, report):
    dismissed = make_case(CaseStatus.FALSE)
    pending_other = make_case(CaseStatus.CONFIRMED, pending_correction=True)
    db.session.commit()
    case_ids = _case_ids(world, [dismissed, pending_other])
    schema = schemathesis.openapi.from_wsgi(f"{API_PREFIX}/openapi.json", app)
    statuses: dict[str, Counter] = defaultdict(Counter)
    findings: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        _fuzz(operation, examples=EXAMPLES[backend.kind], case_ids=case_ids, world=world, tokens=tokens,
              statuses=statuses[operation.label], findings=findings)

    total = sum(sum(counts.values()) for counts in statuses.values())
    report(f"schemathesis: {total} requests over {len(statuses)} operations; "
           f"{len(findings)} findings")
    for label, counts in sorted(statuses.items()):
        figures = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items(), key=lambda kv: str(kv[0])))
        report(f"  {label}: {sum(counts.values())} requests ({figures})")
    assert not findings, "\n\n".join(findings[:10])
