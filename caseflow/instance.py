"""Values an installation generates once and keeps in its instance folder (the secret key, the keys).

Lets a fresh install run without configuration while keeping the values out of the repository;
production sets them in the environment instead (caseflow.config, caseflow.crypto.keys).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def kept_in_instance(instance: Path, name: str, make: Callable[[], str] | None) -> str:
    """The content of ``instance/name``, written once (mode 0600) from ``make()``; "" when absent and no ``make``.

    Written under a temporary name and linked into place, so two processes starting at once
    read the same value, never a half-written file.
    """
    path = instance / name
    if not path.exists() and make is not None:
        instance.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=instance, prefix=f".{name}.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(make() + "\n")
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its value
        finally:
            os.unlink(temporary)
    return path.read_text().strip() if path.exists() else ""
