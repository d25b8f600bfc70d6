"""本人特定待ち through the API: the case says so, and a later linking is proposed and approved as a correction."""

from __future__ import annotations

from caseflow.cases import operations
from caseflow.cases.vocabulary import CaseStatus, CorrectionOutcome
from tests.conftest import valid_number

RIGHT = valid_number(55_500_000_002)


def test_a_later_linking_through_the_api(api_as, conforms, make_case, caseworker, supervisor):
    case = make_case(CaseStatus.NOTIFIED)
    as_worker, as_boss = api_as(caseworker), api_as(supervisor)
    body = conforms(as_worker("GET", f"/api/v1/cases/{case.id}"), "Case")
    assert body["awaits_identification"] is True and "propose_correction" in body["allowed_actions"]

    refused = as_worker("POST", f"/api/v1/cases/{case.id}/correction", {
        "version": body["version"], "wrong_number_removed": True, "outcome": "unlinked"})
    assert refused.status_code == 422 and "本人特定待ち" in refused.json["error"]["message"]
    proposed = as_worker("POST", f"/api/v1/cases/{case.id}/correction", {
        "version": body["version"], "wrong_number_removed": True, "outcome": "linked", "linked_number": RIGHT,
        "query_facts": 4, "query_matches": 1})
    assert proposed.status_code == 200, proposed.json
    body = conforms(proposed, "Case")
    assert RIGHT not in proposed.get_data(as_text=True)  # masked
    assert body["awaits_identification"] is True  # until approved
    assert "link_later" not in body["allowed_actions"]  # not the proposer's to approve

    mine = as_worker("POST", f"/api/v1/cases/{case.id}/correction/approve", {"version": body["version"]})
    assert mine.status_code == 403
    approved = as_boss("POST", f"/api/v1/cases/{case.id}/correction/approve", {"version": body["version"]})
    assert approved.status_code == 200, approved.json
    body = conforms(approved, "Case")
    assert (body["status"]["value"], body["awaits_identification"]) == ("notified", False)
    assert [c["outcome"] for c in body["corrections"]] == [CorrectionOutcome.UNLINKED.value, "linked"]
    assert [e["trigger"] for e in body["events"]][-1] == "link_later"
    assert operations.EVENT_LABELS["link_later"] == "本人特定後の紐付けを承認"
