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


class CaseSource(LabelledEnum):
    """How the suspected error came to light (発見の経緯): an inspection batch, or a case opened by hand."""

    INSPECTION = "inspection", "点検"
    RESIDENT_REPORT = "resident_report", "住民からの申出"
    ELIGIBILITY_CHECK = "eligibility_check", "資格確認・更新時の確認"
    MINISTRY_NOTICE = "ministry_notice", "制度所管省庁からの連絡"
    PAST_UNREPORTED = "past_unreported", "過去の未報告事案"
    DETECTION_MODEL = "detection_model", "検出モデル"
    OTHER = "other", "その他"


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


class Party(LabelledEnum):
    """The two people of a linkage error: whose record carried the wrong number, and whose number it was.

    The record's person is known from the business extract (``record_*`` facts), the number's
    holder from the registry (``registry_*``). Each has their own recipient; each letter kind is for one.
    """

    RECORD_PERSON = "record_person", "本人（業務データの本人）"
    NUMBER_HOLDER = "number_holder", "番号の保有者"

    @property
    def fact_prefix(self) -> str:
        """The prefix of this party's facts on a case: ``record_`` or ``registry_``."""
        return "record_" if self is Party.RECORD_PERSON else "registry_"


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
    ACCOUNT_DELETED = "account_deleted", "口座登録を削除し、本人に再登録を依頼"


class ProposalStatus(LabelledEnum):
    """Where a proposal for a second person's decision (a correction, a dismissal) stands."""

    PROPOSED = "proposed", "承認待ち"
    APPROVED = "approved", "承認済"
    RETURNED = "returned", "差戻し"
    WITHDRAWN = "withdrawn", "取下げ"


CorrectionStatus = ProposalStatus  # a correction is a proposal (its column keeps its constraint's name)


class ProposalKind(LabelledEnum):
    """What a supervisor of the case's organisation, not the proposer, approves or returns."""

    DISMISSAL = "dismissal", "誤りなしの判断"
    CORRECTION = "correction", "訂正内容"


class IdentityMethod(LabelledEnum):
    """How the caseworker verified whose number it is (本人確認の方法), recorded with a confirmation."""

    MY_NUMBER_CARD = "my_number_card", "マイナンバーカード"
    NOTIFICATION_CARD = "notification_card", "通知カード＋本人確認書類"
    RESIDENT_RECORD = "resident_record", "住民票"
    ASKED_THE_PERSON = "asked_the_person", "本人への照会"
    REGISTRY_QUERY = "registry_query", "住基ネット照会"
    OTHER = "other", "その他"
