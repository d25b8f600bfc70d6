"""The kinds of letter: the template's name, the title residents read, the command-line name.

Plain data with no heavy imports, shared by the renderer, the models and the CLI.
"""

from __future__ import annotations

TITLES: dict[str, str] = {
    "bank_account": "公金受取口座の登録内容の変更手続きのお願い",
    "apology": "紐付け誤りについてのお詫びとお知らせ",
    "viewed_notice": "マイナポータルにおける情報の閲覧についてのお知らせ",
}
KINDS: tuple[str, ...] = tuple(TITLES)
# caseflow letters sample --kind bank-account …
CLI_KINDS: dict[str, str] = {kind.replace("_", "-"): kind for kind in KINDS}
