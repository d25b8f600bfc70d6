"""The search through the API: ``GET /cases?q=`` (the search box's text, with the list's filters) and
``POST /cases/search`` (by My Number, with a purpose, recorded; the number only in the body)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from caseflow.audit.models import AccessRecord
from caseflow.extensions import db


def _records() -> list[AccessRecord]:
    return db.session.scalars(sa.select(AccessRecord).order_by(AccessRecord.position)).all()


def test_the_api_searches_by_text_and_by_number(make_case, make_org, api_as, caseworker):
    takahashi = make_case(record_name="髙橋　一郎", record_birth_date=dt.date(2001, 2, 3))
    saito = make_case(record_kana="サイトウ　ハナコ")
    yamada = make_case(registry_birth_date=dt.date(2001, 2, 3))
    call = api_as(caseworker)
    answer = call("GET", "/api/v1/cases?q=%EF%BD%BB%EF%BD%B2%EF%BE%84%EF%BD%B3")  # ｻｲﾄｳ
    assert answer.status_code == 200 and [c["reference"] for c in answer.json["items"]] == [saito.reference]
    answer = call("GET", "/api/v1/cases", query_string={"q": "2001-02-03", "sort": "-detected"})
    assert [c["id"] for c in answer.json["items"]] == [yamada.id, takahashi.id] and answer.json["total"] == 2
    # the list's filters apply too
    answer = call("GET", "/api/v1/cases", query_string={"q": "2001-02-03", "status": "verifying"})
    assert answer.json["total"] == 0
    refused = call("GET", "/api/v1/cases", query_string={"q": takahashi.registered_number})
    assert refused.status_code == 400 and takahashi.registered_number not in refused.get_data(as_text=True)

    make_case(agency_=make_org(name="別市"), registered_number=takahashi.registered_number)
    answer = call("POST", "/api/v1/cases/search",
                  {"my_number": takahashi.registered_number, "purpose": "本人からの照会"})
    assert answer.status_code == 200 and answer.json["total"] == 1
    assert answer.json["items"][0]["reference"] == takahashi.reference
    assert takahashi.registered_number not in answer.get_data(as_text=True)
    [record] = _records()
    assert (record.case_id, record.what, record.purpose) == (takahashi.id, "number_search", "本人からの照会")
    wrong = takahashi.registered_number[:11] + str((int(takahashi.registered_number[11]) + 1) % 10)
    refused = call("POST", "/api/v1/cases/search", {"my_number": wrong, "purpose": "本人からの照会"})
    assert refused.status_code == 422 and wrong not in refused.get_data(as_text=True)
    assert call("POST", "/api/v1/cases/search", {"my_number": wrong}).status_code == 400  # no purpose
    assert len(_records()) == 1
