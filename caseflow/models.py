"""Imports every area's models so that Base.metadata knows all tables (Alembic, tests)."""

import caseflow.cases.machine  # noqa: F401,E402  (status invariants are registered with the models)
from caseflow.administration.models import AdminChainHead, AdminChange  # noqa: F401
from caseflow.api.models import ApiToken  # noqa: F401
from caseflow.audit.models import AccessChainHead, AccessRecord  # noqa: F401
from caseflow.cases.filters import SavedFilter  # noqa: F401
from caseflow.cases.models import Case, CaseEvent, Correction, Dismissal  # noqa: F401
from caseflow.cases.search import CaseSearchKey  # noqa: F401
from caseflow.evidence.models import Evidence  # noqa: F401
from caseflow.inspections.models import InspectionBatch  # noqa: F401
from caseflow.intake.models import IntakeSerial  # noqa: F401
from caseflow.jobs.models import Job  # noqa: F401
from caseflow.letters.models import DocumentNumberSequence, Letter, PrintRun, PrintRunLetter  # noqa: F401
from caseflow.organizations.models import Organization, Program  # noqa: F401
from caseflow.reports.models import (  # noqa: F401
    PublishedAgencyFigure,
    PublishedFigure,
    PublishedGrade,
    PublishedNote,
    PublishedTrialLine,
    ReportSnapshot,
)
from caseflow.retention.models import Disposal  # noqa: F401
from caseflow.routing.models import InboxItem, Referral  # noqa: F401
from caseflow.surveys.models import (  # noqa: F401
    InspectionObligation,
    ObligationRuleTable,
    Survey,
    SurveyAttachment,
    SurveyRespondent,
)
from caseflow.users.models import User, UserRole  # noqa: F401
