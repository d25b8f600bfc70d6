"""The words of a case: statuses, grades, causes, reasons, each with its Japanese label."""

from __future__ import annotations

import enum


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry the Japanese label users read."""

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class CaseStatus(LabelledEnum):
    DETECTED = "detected", "検出"
    VERIFYING = "verifying", "確認中"
    CONFIRMED = "confirmed", "誤り確定"
    FALSE = "false", "誤りなし"
    CORRECTED = "corrected", "訂正済"
    NOTIFIED = "notified", "通知済"


OPEN_STATUSES = (CaseStatus.DETECTED, CaseStatus.VERIFYING, CaseStatus.CONFIRMED, CaseStatus.CORRECTED)

# What the published figures count, as groups of statuses; the reports count them and the case
# list filters by them (?outcome=errors), so a figure links to exactly the cases behind it.
OUTCOMES: dict[str, tuple[CaseStatus, ...]] = {
    "errors": (CaseStatus.CONFIRMED, CaseStatus.CORRECTED, CaseStatus.NOTIFIED),  # 紐付け誤り
    "resolved": (CaseStatus.CORRECTED, CaseStatus.NOTIFIED),  # 誤紐付けを解消
    "unverified": (CaseStatus.DETECTED, CaseStatus.VERIFYING),  # 未確認
    "dismissed": (CaseStatus.FALSE,),  # 誤りなし
}
OUTCOME_LABELS = {"errors": "紐付け誤り", "resolved": "解消済み", "unverified": "未確認", "dismissed": "誤りなし"}


class Grade(LabelledEnum):
    A = "A", "A 確認不要"
    B = "B", "B 要確認"
    C = "C", "C 優先確認"


class FieldVerdict(LabelledEnum):
    MATCH = "match", "一致"
    NOTATION = "notation", "表記ゆれ"
    MINOR = "minor", "軽微な相違"
    MISMATCH = "mismatch", "不一致"
    MISSING = "missing", "情報なし"


# The basic four facts (基本4情報), kana kept apart from the kanji name.
FACT_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "氏名"),
    ("kana", "氏名（カナ）"),
    ("birth_date", "生年月日"),
    ("sex", "性別"),
    ("address", "住所"),
)


class Sex(LabelledEnum):
    MALE = "male", "男"
    FEMALE = "female", "女"


class ViewedOnPortal(LabelledEnum):
    YES = "yes", "閲覧あり"
    NO = "no", "閲覧なし"
    UNKNOWN = "unknown", "不明（調査中）"


class Cause(LabelledEnum):
    """Main causes (主な原因) seen in the 2023 inspection."""

    TWO_FACT_QUERY = "two_fact_query", "2情報での住基照会で複数人が該当（同姓同名等）"
    FAMILY_MEMBER_NUMBER = "family_member_number", "家族のマイナンバーの取り違え"
    APPLICATION_MISWRITTEN = "application_miswritten", "申請書へのマイナンバーの記載誤り"
    EMPLOYER_MISWRITTEN = "employer_miswritten", "事業所提出資料の記載誤り"
    MANUAL_TRANSCRIPTION = "manual_transcription", "手作業による転記誤り"
    SYSTEM_INPUT_ERROR = "system_input_error", "業務システムへの入力誤り"
    DUPLICATE_BUSINESS_KEY = "duplicate_business_key", "手帳番号等の重複"
    SHARED_TERMINAL_LOGOUT = "shared_terminal_logout", "共用端末でのログアウト忘れ"
    ADJACENT_CASE_SWAP = "adjacent_case_swap", "前後のケースの取り違え"
    OTHER = "other", "その他"


class DismissReason(LabelledEnum):
    SURNAME_CHANGE = "surname_change", "改姓の未届"
    UNREPORTED_MOVE = "unreported_move", "転居の未届"
    NOTATION_DIFFERENCE = "notation_difference", "表記の違い"
    OWN_DATA_ENTRY_ERROR = "own_data_entry_error", "当機関の業務データの入力誤り（番号は本人のもの）"
    OTHER = "other", "その他"


class NotificationMethod(LabelledEnum):
    MAIL = "mail", "郵送"
    COUNTER = "counter", "窓口で手交"
    PHONE = "phone", "電話"
    OTHER = "other", "その他"


class CorrectionOutcome(LabelledEnum):
    LINKED = "linked", "正しい番号を紐付け"
    UNLINKED = "unlinked", "紐付けなし（本人特定まで保留）"


class CorrectionStatus(LabelledEnum):
    PROPOSED = "proposed", "承認待ち"
    APPROVED = "approved", "承認済"
    RETURNED = "returned", "差戻し"
