"""The one scrubber for log records: no My Number, name or address from the input reaches a log.

An exception's text can quote what it choked on (a Polars error quotes the cell, a decoder
the bytes, a database driver the row), and nothing in the text says which part is a name or an
address. So a logged traceback keeps its frames (file, line, function: what a developer needs to
find the fault) and the exception's type, and its text is replaced by its length. The message
itself is written by our code, from ids and counts; any My Number that reaches it anyway is
masked.

``install()`` puts the scrubber in the logging module's record factory, so it applies to every
logger (ours, Flask's, Huey's, Werkzeug's) and every handler, whenever they were configured.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

from caseflow.core.mynumber import mask_my_numbers

_INSTALLED = "caseflow_scrubbing"


def scrubbed_exception(exc_type: type[BaseException] | None, exc: BaseException | None,
                       tb: TracebackType | None) -> str:
    """The traceback as Python prints it, each exception's text replaced by its length."""
    if exc is None:
        return ""
    parts: list[str] = []
    seen: set[int] = set()
    chain: list[tuple[BaseException, str | None]] = []
    current: BaseException | None = exc
    link: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of the following exception:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception, another exception occurred:"
        else:
            current = None
    for position, (error, _link) in enumerate(reversed(chain)):
        if position:
            parts.append(f"\n{chain[len(chain) - position][1]}\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(error.__traceback__ if error is not exc else tb))
        parts.append(exception_summary(error) + "\n")
    return "".join(parts).rstrip("\n")


def exception_summary(exc: BaseException) -> str:
    """``module.Type: <text withheld, N characters>``: what may be logged of an exception."""
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{kind.__qualname__}"
    length = len(str(exc)) if _has_text(exc) else 0
    return f"{name}: <本文は記録しません（{length}文字）>" if length else name


def _has_text(exc: BaseException) -> bool:
    try:
        return bool(str(exc))
    except Exception:  # a broken __str__ says nothing either
        return False


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite ``record`` in place: its message masked, its exception text withheld."""
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = scrubbed_exception(*record.exc_info)
        # Handlers format exc_text when it is set; exc_info stays for the ones that look at the type.
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    masked = mask_my_numbers(message)
    if masked != message or record.args:
        record.msg, record.args = masked, None
    return record


def install() -> None:
    """Scrub every log record from now on, in this process (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, _INSTALLED, False):
        return

    def scrubbing_factory(*args, **kwargs) -> logging.LogRecord:
        return scrub_record(factory(*args, **kwargs))

    setattr(scrubbing_factory, _INSTALLED, True)
    logging.setLogRecordFactory(scrubbing_factory)
