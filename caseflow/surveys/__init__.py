"""The practice survey (実態調査 Q1–Q13) and the inspection obligations its answers decide.

- ``questionnaire``: the questions as data (seed/survey_questions_2023.json), the branching, the checks;
- ``rules``: the obligation rule table (data, versioned) turning answers into 「個別データの点検が必要」;
- ``local_governments``: the reference list of prefectures, municipalities and unions, and 組織名;
- ``workbook``: the Excel form (回答シート, 一覧用) and the lists gathered from it;
- ``models``, ``operations``, ``views``, ``cli``: surveys, respondents, answers and obligations.
"""
