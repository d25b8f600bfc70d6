"""What every PDF CaseFlow renders with WeasyPrint shares: no URL fetched, one font map, one lock."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher


class _RefusingFetcher(URLFetcher):
    """Our PDFs load nothing from outside their template: any fetch is a bug, so it stops the rendering."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        raise FatalURLFetchingError(f"PDFs fetch no URL: {url[:80]}")


@functools.cache
def fetcher() -> URLFetcher:
    return _RefusingFetcher()


@functools.cache
def font_config() -> FontConfiguration:
    # One per process: Pango's font map and the fonts it has loaded are reused by every document,
    # and letters combined into one PDF share their font subsets.
    return FontConfiguration()


@functools.cache
def stylesheet(path: Path) -> CSS:
    """A stylesheet parsed once per process and reused: parsing it for every document costs time."""
    return CSS(string=path.read_text(encoding="utf-8"), url_fetcher=fetcher(), font_config=font_config())


# Pango's font map, shared by the renders of this process, is not meant for several threads at once.
RENDER_LOCK = threading.Lock()
