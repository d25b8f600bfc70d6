# The queue fixtures of tests/jobs, for inspections that run in a real worker.
from tests.jobs.conftest import jobs_app, queue_kind, worker  # noqa: F401
