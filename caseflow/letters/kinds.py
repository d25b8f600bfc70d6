"""The kinds of letter: the template's name, the title residents read, the command-line name, and
whom each is for.

Plain data with no heavy imports, shared by the renderer, the models and the CLI.
"""

from __future__ import annotations

from caseflow.cases.vocabulary import Party

TITLES: dict[str, str] = {
    "bank_account": "公金受取口座の登録内容の変更手続きのお願い",
    "apology": "紐付け誤りについてのお詫びとお知らせ",
    "viewed_notice": "マイナポータルにおける情報の閲覧についてのお知らせ",
    "holder_notice": "マイナンバーの紐付け誤りについてのお知らせ",
}
KINDS: tuple[str, ...] = tuple(TITLES)
# Whom each kind is addressed to. The apology and the viewed-notice speak to the person whose own
# data carried another person's number; the bank-account request and the holder notice to the
# person whose number had another person's data (or account) attached.
PARTIES: dict[str, Party] = {
    "bank_account": Party.NUMBER_HOLDER,
    "apology": Party.RECORD_PERSON,
    "viewed_notice": Party.RECORD_PERSON,
    "holder_notice": Party.NUMBER_HOLDER,
}
# caseflow letters sample --kind bank-account …
CLI_KINDS: dict[str, str] = {kind.replace("_", "-"): kind for kind in KINDS}
