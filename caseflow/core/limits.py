"""The lengths people meet in forms, one constant each: the form's ``maxlength``, the server's check
and the API's schema all use these (templates read them as ``limits.TEXT_MAX`` …).

Limits that belong to one area stay there and reach its templates the same way: how many people a
registry query may match (caseflow.cases.operations.MAX_QUERY_MATCHES), a saved filter's name
(caseflow.cases.filters.NAME_MAX), a password (caseflow.users.passwords), an evidence file's size.
"""

from __future__ import annotations

TEXT_MAX = 2000  # a comment, a note, a referral's question or answer
REASON_MAX = 500  # a reason or a short description: その他の内容, 閲覧された情報, 無効・返戻の理由
PURPOSE_MAX = 200  # why protected data is shown (caseflow.audit)
NUMBER_INPUT_MAX = 20  # a My Number as typed: 12 digits with spaces or hyphens
# A business record's values, as a case keeps them (the columns of caseflow.cases.models.Case): the
# extract reader, the intake forms and the registry-facts form check these.
RECORD_ID_MAX = 64  # 管理番号 (宛名番号 …)
PERSON_NAME_MAX = 100  # 氏名, カナ氏名
ADDRESS_MAX = 300  # 住所
SEARCH_TEXT_MAX = 100  # what is typed into the search box: a reference, a management number, a name, a date

LIMITS = {name: value for name, value in globals().items() if name.endswith("_MAX")}
