"""The ``caseflow`` command.

``caseflow grade`` needs neither the web application nor a database, and a run is
measured in seconds, so it starts without importing Flask and the models (a fifth
of a second). Every other command is the Flask CLI of caseflow.cli.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["grade"]:
        from caseflow.matching.cli import grade_command

        grade_command.main(sys.argv[2:], prog_name="caseflow grade")
        return
    from caseflow.cli import main as flask_cli

    flask_cli()
