# The API's token fixtures, for the guards that pages and the API share.
from tests.api.conftest import api_as, make_token  # noqa: F401

# The job queue's fixtures: the worker's log is read after a real job.
from tests.jobs.conftest import jobs_app, queue_kind, worker  # noqa: F401,E402
