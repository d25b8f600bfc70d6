# The queue fixtures of tests/jobs, for print runs built by a real worker.
from tests.jobs.conftest import jobs_app, queue_kind, worker  # noqa: F401
