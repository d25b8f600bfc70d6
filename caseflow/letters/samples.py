"""Built-in fictional letters, one per kind: for `caseflow letters sample`, the tests and the bench.

Everything here is made up (青葉市 does not exist); the shape is exactly the snapshot that the
print runs pass to ``caseflow.letters.render``. The samples share one fictional case whose two
people differ: each letter is addressed to its kind's party (caseflow.letters.kinds.PARTIES).
"""

from __future__ import annotations

import copy

from caseflow.cases.vocabulary import Party
from caseflow.letters.kinds import PARTIES

# The two people of the sample case: 髙橋 花子's record carried the number of 佐藤 健一.
SAMPLE_RECIPIENTS: dict[Party, dict] = {
    Party.RECORD_PERSON: {
        "postal_code": "243-0123",
        "address_lines": ["神奈川県青葉市中央三丁目12番5号", "青葉ハイツ203号室"],
        "name": "髙橋　花子",
    },
    Party.NUMBER_HOLDER: {
        "postal_code": "243-0456",
        "address_lines": ["神奈川県青葉市緑が丘一丁目8番20号"],
        "name": "佐藤　健一",
    },
}

_COMMON: dict = {
    "document_number": "青市民第1234号",
    "issued_on": "2026-11-23",
    "issuer": {"organization": "青葉市", "title": "青葉市長", "name": "山田　太郎"},
    "contact": {
        "department": "青葉市 市民生活部 市民課 マイナンバー担当",
        "place": "本庁舎2階 5番窓口",
        "postal_code": "243-8501",
        "address": "神奈川県青葉市中央一丁目1番1号",
        "phone": "046-123-4567（直通）",
        "hours": "平日 午前8時30分～午後5時15分",
    },
    "case_reference": "CF-0000123",
}

_SAMPLES: dict[str, dict] = {
    "bank_account": {
        "kind": "bank_account",
        "program": "公金受取口座の登録",
        "facts": {
            "found_on": "2026-11-05",
            "wrong_from": "2025-03-14",
            "wrong_to": "2026-11-10",
            "corrected_on": "2026-11-10",
            "reregister_by": "2027-01-29",
            "viewed": False,
            "viewed_on": None,
            "viewed_what": None,
            "what_was_wrong": "あなたのマイナンバーに、別の方の公金受取口座が登録されていました。",
        },
    },
    "apology": {
        "kind": "apology",
        "program": "障害支援区分認定情報",
        "facts": {
            "found_on": "2026-10-28",
            "wrong_from": "2024-06-03",
            "wrong_to": "2026-10-30",
            "corrected_on": "2026-10-30",
            "viewed": False,
            "viewed_on": None,
            "viewed_what": None,
            "what_was_wrong": "あなたの障害支援区分の認定情報に、別の方のマイナンバーが誤って紐付けられていました。",
        },
    },
    "viewed_notice": {
        "kind": "viewed_notice",
        "program": "所得・個人住民税情報",
        "facts": {
            "found_on": "2026-10-21",
            "wrong_from": "2025-06-10",
            "wrong_to": "2026-10-22",
            "corrected_on": "2026-10-22",
            "viewed": True,
            "viewed_on": "2026-09-14",
            "viewed_what": "令和7年度の個人住民税の課税情報（所得金額・税額）",
            "what_was_wrong": "あなたの課税情報が、別の方のマイナンバーに誤って紐付けられていました。",
        },
    },
    "holder_notice": {
        "kind": "holder_notice",
        "program": "障害支援区分認定情報",
        "facts": {
            "found_on": "2026-10-28",
            "wrong_from": "2024-06-03",
            "wrong_to": "2026-10-30",
            "corrected_on": "2026-10-30",
            "viewed": False,
            "viewed_on": None,
            "viewed_what": None,
            "what_was_wrong": "あなたのマイナンバーに、別の方の障害支援区分の認定情報が誤って紐付けられていました。",
        },
    },
}


def sample_snapshot(kind: str) -> dict:
    """A fictional letter snapshot of ``kind`` (any of caseflow.letters.kinds.KINDS), addressed to
    the kind's party of the sample case.

    A fresh deep copy each call, so callers may change it (the bench varies names and addresses).
    """
    if kind not in _SAMPLES:
        raise ValueError(f"unknown letter kind: {kind!r}")
    party = PARTIES[kind]
    return copy.deepcopy({**_SAMPLES[kind], **_COMMON, "party": party.value, "recipient": SAMPLE_RECIPIENTS[party]})
