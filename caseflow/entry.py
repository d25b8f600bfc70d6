"""The ``caseflow`` command.

``caseflow grade`` needs neither the web application nor a database, and a run is
measured in seconds, so it starts without importing Flask and the models (a fifth
of a second). When it is done (the result file written and closed), the process ends at
once: freeing a million-row frame piece by piece would add a sixth of a second that nobody
needs. Every other command is the Flask CLI of caseflow.cli. Before anything loads Polars, the
allocator is set for the command (configure_allocator).
"""

from __future__ import annotations

import os
import sys

# Polars allocates through jemalloc, which reads this variable once, when Polars is first imported.
ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"
# One arena for all threads: what reading a file frees on one thread is reused by the next step
# on another, instead of new pages from the kernel (1M records graded: 540k → 490k page faults).
ALLOCATOR = "narenas:1"
# `caseflow grade` also keeps what it frees for two seconds (Polars' default: ten, handed back
# gradually from the start) before handing it back, for the next step to reuse. Never handing it
# back was faster still but held 1.9 GB at 10M records, against 1.5 GB (the limit is 2 GiB).
GRADE_ALLOCATOR = "narenas:1,dirty_decay_ms:2000"


def configure_allocator(argv: list[str], environ=os.environ) -> None:
    """Set the allocator for this command unless the operator has set one (before Polars loads)."""
    environ.setdefault(ALLOCATOR_VARIABLE, GRADE_ALLOCATOR if argv[1:2] == ["grade"] else ALLOCATOR)


def main() -> None:
    configure_allocator(sys.argv)
    from caseflow.core import logs

    logs.install()
    if sys.argv[1:2] == ["grade"]:
        from caseflow.matching.cli import grade_command

        try:
            grade_command.main(sys.argv[2:], prog_name="caseflow grade")  # always ends in SystemExit
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            if isinstance(done.code, str):
                print(done.code, file=sys.stderr)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    from caseflow.cli import main as flask_cli

    flask_cli()
