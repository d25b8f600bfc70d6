"""Request-size limits: the app reads no request larger than its limit; uploads have their own.

Finding 3 of the sweep: MAX_UPLOAD_BYTES was defined and never applied, and the app set no limit.
"""

from __future__ import annotations

import io

import pytest

from caseflow.cases.vocabulary import CaseStatus
from caseflow.core.views import byte_size
from caseflow.extensions import db
from caseflow.seeding import load_reference
from tests.conftest import csrf_token, login


@pytest.fixture
def small_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 256 * 1024)


def test_the_limits_have_defaults(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024**2
    assert app.config["MAX_UPLOAD_BYTES"] == 2 * 1024**3


def test_a_form_above_the_request_limit_gets_a_japanese_413(client, make_case, caseworker, small_limits):
    case = make_case(CaseStatus.VERIFYING)
    login(client, caseworker)
    token = csrf_token(client, f"/cases/{case.id}")
    response = client.post(f"/cases/{case.id}/comments", data={"csrf_token": token, "comment": "あ" * 40_000})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "送信内容が大きすぎるため受け付けられませんでした" in page and "64 KB" in page
    assert "コメントを追加しました" not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_the_api_answers_413_in_json(api_as, make_case, caseworker, small_limits):
    case = make_case(CaseStatus.VERIFYING)
    call = api_as(caseworker)
    response = call("POST", f"/api/v1/cases/{case.id}/comments", {"comment": "x" * 100_000})
    assert response.status_code == 413
    assert response.json["error"]["code"] == "payload_too_large"


def test_an_upload_may_be_larger_than_a_form_but_not_than_its_own_limit(client, caseworker, small_limits):
    load_reference(db.session)
    login(client, caseworker)
    token = csrf_token(client, "/inspections/new")
    big = b"x" * (128 * 1024)  # above the request limit, below the upload limit: read, then refused as a file
    response = client.post("/inspections/new", data={
        "csrf_token": token, "program": "1",
        "records": (io.BytesIO(big), "records.csv"), "registry": (io.BytesIO(b"x"), "registry.csv"),
    }, content_type="multipart/form-data")
    assert response.status_code != 413
    too_big = b"x" * (300 * 1024)
    response = client.post("/inspections/new", data={
        "csrf_token": token, "program": "1",
        "records": (io.BytesIO(too_big), "records.csv"), "registry": (io.BytesIO(b"x"), "registry.csv"),
    }, content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "ファイルが大きすぎるため受け付けられませんでした" in page and "256 KB" in page


def test_byte_sizes_read_as_people_read_them():
    assert byte_size(2 * 1024**3) == "2 GB"
    assert byte_size(1024**2) == "1 MB"
    assert byte_size(64 * 1024) == "64 KB"
    assert byte_size(500) == "500 バイト"
