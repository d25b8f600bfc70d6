"""The demo's survey: answers from its organisations, and the obligations they give.

青森市 answers as the seed's known cause (照会に住所を用いない: 点検 要); 弘前市 with every number
from the person's own documents (点検 不要); 八戸市 has a draft; the other municipalities of
青森県 have not answered, so 青森県's staff can remind them. In 北海道, 空知中部広域連合 links for
its members (Q13 ②): it answers Q1–Q12 and leaves its record without a second person (Q9 ④),
and a member answers Q13 only. Answers are given once: a respondent already answered is left alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseflow.organizations.models import Organization
from caseflow.surveys.models import ResponseStatus, Survey, SurveyRespondent
from caseflow.surveys.operations import save_answers
from caseflow.surveys.reference import load_survey_reference

_SHEET = {"department": "介護保険課", "responsible_title": "介護保険課長", "responsible_name": "（デモ）回答責任者",
          "contact_name": "（デモ）担当者", "phone": "017-000-0000", "email": "kaigo@example.jp"}

# (organisation code, answers, submitted)
DEMO_ANSWERS = (
    ("022012", {"1-1": "②", "2": "①", "3": "①", "4": "③", "5": "②", "6": "①②", "7-1": "①", "7-2": "①",
                "7-3": "①", "7-4": "②③", "8-1": "①", "8-1概要": "追加の情報を照会し、複数の職員で本人と確認してから紐付ける。",
                "8-2": "①", "9": "①", "10": "①", "11": "①", "12": "②"}, True),
    ("022021", {"1-1": "②", "2": "①", "3": "①", "4": "①", "5": "①", "10": "①", "11": "①", "12": "②"}, True),
    ("022039", {"1-1": "②", "2": "③", "2予定年月": "2023-10", "3": "②"}, False),
    ("u01-sorachi-chubu", {"13": "②", "2": "④", "3": "①", "4": "③", "5": "②", "6": "①", "7-1": "①",
                                "7-2": "②", "9": "④", "10": "①", "11": "①", "12": "①"}, True),
    ("012271", {"13": "②"}, True),
)


def load_demo_survey(session: Session) -> Survey:
    """The seed's survey with the demo's answers (loading twice changes nothing)."""
    survey, _ = load_survey_reference(session)
    respondents = {r.organization.code: r for r in session.scalars(
        sa.select(SurveyRespondent).join(SurveyRespondent.organization)
        .where(SurveyRespondent.survey_id == survey.id,
               Organization.code.in_([code for code, _, _ in DEMO_ANSWERS])))}
    for code, answers, submitted in DEMO_ANSWERS:
        respondent = respondents.get(code)
        if respondent is None or respondent.status is not ResponseStatus.NOT_STARTED:
            continue
        save_answers(session, respondent, None, sheet=_SHEET, answers=answers, submit=submitted, via="web")
    return survey
