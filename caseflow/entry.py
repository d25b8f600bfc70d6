"""The ``caseflow`` command.

``caseflow grade`` needs neither the web application nor a database, and a run is
measured in seconds, so it starts without importing Flask and the models (a fifth
of a second). When it is done (the result file written and closed), the process ends at
once: freeing a million-row frame piece by piece would add a sixth of a second that nobody
needs. Every other command is the Flask CLI of caseflow.cli.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
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
