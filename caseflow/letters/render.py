"""Letters to residents as PDF: Jinja HTML + one CSS → WeasyPrint, and print runs of many letters.

Pure code: the input is a plain dict snapshot of the letter (see ``sample_snapshot`` in
``caseflow.letters.samples`` for the keys), never ORM objects; no Flask, no database.

Nothing is fetched while rendering: the HTML comes from our templates as a string, the CSS is
parsed once per process from ``templates/letters/letter.css``, fonts come from fontconfig by
family name, and a URL fetcher that refuses everything stops any attempt to load a file:// or
outside URL (a template mistake, or text that slipped past escaping).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import io
import multiprocessing
import os
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from pypdf import PdfReader
from weasyprint import CSS, HTML, Document

from caseflow import ROOT
from caseflow.core import pdf
from caseflow.core.japanese import wareki
from caseflow.core.pdf_merge import PdfConcatenator
from caseflow.letters import checks
from caseflow.letters.kinds import KINDS, TITLES

TEMPLATES = ROOT / "templates" / "letters"


# Font chains as in letter.css: each style falls back from IPAex (fast, but without 𠮷 and a
# few other variant kanji) to Noto CJK. A character must print in both styles.
FONT_CHAINS: tuple[tuple[str, ...], ...] = (("IPAexMincho", "Noto Serif CJK JP"), ("IPAexGothic", "Noto Sans CJK JP"))

# Letters rendered together into one PDF by a print-run worker: the font subsets are embedded
# once per chunk instead of once per letter (see bench/bench_letters.py for the measurements).
CHUNK_SIZE = 50

_WEEKDAYS = "月火水木金土日"


@dataclass(frozen=True)
class RenderedLetter:
    """One letter as PDF, with the problems found by the checks (empty when it may be printed)."""

    pdf: bytes
    pages: int
    problems: tuple[str, ...]


@dataclass
class PrintRunOutput:
    """A print run: the merged PDF, pages per input letter (0 when held), held letters → reason."""

    pdf_path: Path
    pages: list[int]
    held: dict[int, str] = field(default_factory=dict)


# --- text -------------------------------------------------------------------------------------

def _radical_table() -> dict[int, str]:
    # Kangxi radicals (U+2F00–) and some CJK radicals supplement characters (U+2E80–) look like
    # kanji and slip in when names are typed or converted, but fonts draw them differently and
    # searches miss them. NFKC maps them to the ordinary kanji; only those characters are
    # touched, because NFC/NFKC on a whole name would also replace compatibility kanji such as
    # 神 (U+FA19) or 塚 (U+FA10) that the resident's registered name really uses.
    table = {}
    for code in range(0x2E80, 0x2FE0):
        mapped = unicodedata.normalize("NFKC", chr(code))
        if mapped != chr(code) and len(mapped) == 1:
            table[code] = mapped
    return table


RADICALS = _radical_table()


def map_radicals(value: Any) -> Any:
    """Kangxi radicals → ordinary kanji in every string of a snapshot (⾦ → 金); the rest unchanged."""
    if isinstance(value, str):
        return value.translate(RADICALS)
    if isinstance(value, dict):
        return {key: map_radicals(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [map_radicals(item) for item in value]
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _as_date(value: str | dt.date | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def era_date(value: str | dt.date | None) -> str:
    """ISO date → 令和8年11月23日 ("" for none)."""
    return wareki(_as_date(value))


def era_date_weekday(value: str | dt.date | None) -> str:
    """ISO date → 令和9年1月29日（金）."""
    day = _as_date(value)
    return f"{wareki(day)}（{_WEEKDAYS[day.weekday()]}）" if day else ""


# --- fonts ------------------------------------------------------------------------------------

@functools.cache
def _font_cmap(family: str) -> frozenset[int]:
    """Code points the font that fontconfig gives for ``family`` has (empty if not installed)."""
    from fontTools.ttLib import TTFont

    found = subprocess.run(["fc-match", "-f", "%{family}\n%{file}\n%{index}", family],
                           capture_output=True, text=True, check=False).stdout.split("\n")
    # fc-match always answers with some font; a different family means ours is not installed.
    if len(found) < 3 or family not in found[0].split(","):
        return frozenset()
    font = TTFont(found[1], fontNumber=int(found[2] or 0), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _is_variation_selector(code: int) -> bool:
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` that no configured font can print (in order, each once).

    A letter with such a character (a private-use 外字 from an old system, say) would print an
    empty box in the resident's name or address, so it is refused before issuing. Spaces,
    control characters and variation selectors (which only choose a form of the character
    before them) are not checked.
    """
    missing: list[str] = []
    for char in dict.fromkeys(text):
        if char.isspace() or unicodedata.category(char) == "Cc" or _is_variation_selector(ord(char)):
            continue
        code = ord(char)
        if not all(any(code in _font_cmap(family) for family in chain) for chain in FONT_CHAINS):
            missing.append(char)
    return missing


# --- rendering --------------------------------------------------------------------------------

# No random /ID: the same letter gives the same bytes (the creation date comes from the
# dcterms.created meta in the template, i.e. the issue date).
PDF_OPTIONS: dict[str, Any] = {"pdf_identifier": False}


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["wareki"] = era_date
    env.filters["wareki_weekday"] = era_date_weekday
    return env


def _stylesheet() -> CSS:
    return pdf.stylesheet(TEMPLATES / "letter.css")


class _LetterHTML(HTML):
    """HTML without WeasyPrint's user-agent stylesheet; letter.css has the few rules letters need.

    The full stylesheet styles every HTML element, 16 page-margin boxes on every page and the
    ::marker and footnote pseudo-elements of every element: about a fifth of a letter's render
    time, for nothing a letter uses. (A private hook of WeasyPrint: should it disappear, the full
    stylesheet applies again and letters are only slower, not different.)
    """

    def _ua_stylesheets(self, forms: bool = False) -> list:
        return []


def layout_html(html: str) -> Document:
    """Lay out HTML with the letter stylesheet (no PDF yet). Used for letters and by checks' tests."""
    # A threaded web server rendering two previews at the same time takes turns here (print runs
    # render in their own processes).
    with pdf.RENDER_LOCK:
        return _LetterHTML(string=html, url_fetcher=pdf.fetcher()).render(stylesheets=[_stylesheet()],
                                                                          font_config=pdf.font_config())


def write_pdf(document: Document) -> bytes:
    """The PDF of a laid-out document, deterministic (see PDF_OPTIONS)."""
    with pdf.RENDER_LOCK:
        return document.write_pdf(**PDF_OPTIONS)


def letter_html(snapshot: dict, *, sample: bool = False) -> str:
    """The HTML of one letter (radicals mapped to kanji first)."""
    snapshot = map_radicals(snapshot)
    kind = snapshot["kind"]
    if kind not in KINDS:
        raise ValueError(f"unknown letter kind: {kind!r}")
    context = {**snapshot, "facts": snapshot.get("facts") or {}, "title": TITLES[kind], "sample": sample}
    return _environment().get_template(f"{kind}.html").render(context)


def _missing_glyphs_problem(missing: list[str], recipient: dict) -> str:
    # Code points, not the characters: those are exactly what cannot be printed or shown.
    places = {"氏名": recipient.get("name") or "", "住所": "".join(recipient.get("address_lines") or ())}
    parts = []
    for place, value in places.items():
        found = [char for char in missing if char in value]
        if found:
            parts.append(f"{place}の " + "、".join(f"U+{ord(char):04X}" for char in found))
    rest = [char for char in missing if not any(char in value for value in places.values())]
    if rest:
        parts.append("本文の " + "、".join(f"U+{ord(char):04X}" for char in rest))
    return f"印字できない文字があります（{'／'.join(parts)}）"


def precheck(snapshot: dict) -> list[str]:
    """Checks on the snapshot itself, before any rendering (cheap)."""
    problems = []
    kind = snapshot.get("kind")
    if kind not in KINDS:
        return [f"通知の種類が正しくありません（{kind}）"]
    recipient = snapshot.get("recipient") or {}
    if not (recipient.get("name") or "").strip():
        problems.append("宛名（氏名）がありません")
    if not any((line or "").strip() for line in recipient.get("address_lines") or ()):
        problems.append("宛名（住所）がありません")
    postal = recipient.get("postal_code") or ""
    if not (len(postal) == 8 and postal[3] == "-" and (postal[:3] + postal[4:]).isascii()
            and (postal[:3] + postal[4:]).isdigit()):
        problems.append(f"郵便番号の形式が正しくありません（{postal}）")
    try:
        _as_date(snapshot.get("issued_on"))
        for value in (snapshot.get("facts") or {}).values():
            if isinstance(value, str) and len(value) == 10 and value[4] == "-":
                _as_date(value)
    except ValueError as error:
        problems.append(f"日付が正しくありません（{error}）")
    mapped = map_radicals(snapshot)
    text = "\n".join(_strings(mapped))
    missing = missing_glyphs(text)
    if missing:
        problems.append(_missing_glyphs_problem(missing, mapped.get("recipient") or {}))
    if checks.find_twelve_digit_numbers(text):
        problems.append("12桁の番号（マイナンバーの可能性）が含まれています")
    return problems


def render_letter(snapshot: dict, *, sample: bool = False) -> RenderedLetter:
    """One letter as a PDF, with the checks' problems. ``sample`` adds a 見本 watermark (preview).

    Deterministic: the same snapshot gives byte-identical PDFs.
    """
    problems = precheck(snapshot)
    document = layout_html(letter_html(snapshot, sample=sample))
    problems += checks.check_document(document)
    pdf = write_pdf(document)
    problems += checks.check_fonts_embedded(_reader(pdf))
    return RenderedLetter(pdf=pdf, pages=len(document.pages), problems=tuple(problems))


def render_cover_sheet(summary: dict) -> bytes:
    """The print operator's cover sheet for a run: number, organisation, program and kind,
    letter count, total pages, held letters (document number and reason), creation date."""
    summary = map_radicals(summary)
    kind = summary.get("kind")
    context = {**summary, "held": summary.get("held") or [], "kind_label": TITLES.get(kind, kind or "")}
    html = _environment().get_template("cover.html").render(context)
    return write_pdf(layout_html(html))


# --- print runs -------------------------------------------------------------------------------

@dataclass
class _ChunkResult:
    start: int
    pdf_path: Path | None
    pages: dict[int, int]
    held: dict[int, str]


def _render_checked(snapshot: dict) -> tuple[Document | None, list[str]]:
    """Layout of one letter of a print run, or the reasons it is held."""
    try:
        problems = precheck(snapshot)
        if problems:
            return None, problems
        document = layout_html(letter_html(snapshot))
        problems = checks.check_document(document)
        return (None if problems else document), problems
    except Exception as error:  # one broken letter must not stop the run
        return None, [f"通知を作成できませんでした（{type(error).__name__}: {error}）"]


def _write_pages(documents: list[Document], path: Path) -> bytes:
    # One document for the whole chunk: each font subset is embedded once, not once per letter.
    combined = documents[0].copy([page for document in documents for page in document.pages])
    pdf = write_pdf(combined)
    path.write_bytes(pdf)
    return pdf


def _render_chunk(job: tuple[int, list[dict], str]) -> _ChunkResult:
    """Render a chunk of letters into one PDF (worker process, or in-process for small runs)."""
    start, snapshots, directory = job
    passed: list[tuple[int, Document]] = []
    held: dict[int, str] = {}
    for offset, snapshot in enumerate(snapshots):
        document, problems = _render_checked(snapshot)
        if document is None:
            held[start + offset] = "／".join(problems)
        else:
            passed.append((start + offset, document))
    if not passed:
        return _ChunkResult(start, None, {}, held)
    path = Path(directory) / f"chunk-{start:09d}.pdf"
    pdf = _write_pages([document for _, document in passed], path)
    if checks.fonts_not_embedded(_reader(pdf)):
        # Rare (the fonts are the same for every letter): find the letters at fault one by one.
        kept = []
        for index, document in passed:
            problems = checks.check_fonts_embedded(_reader(write_pdf(document)))
            if problems:
                held[index] = "／".join(problems)
            else:
                kept.append((index, document))
        passed = kept
        if not passed:
            path.unlink()
            return _ChunkResult(start, None, {}, held)
        _write_pages([document for _, document in passed], path)
    pages = {index: len(document.pages) for index, document in passed}
    del passed, pdf
    gc.collect()
    return _ChunkResult(start, path, pages, held)


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def _warm_up() -> None:
    # Each worker loads fonts and parses the CSS once, before its first chunk.
    _stylesheet()
    for chain in FONT_CHAINS:
        for family in chain:
            _font_cmap(family)


def _chunks(snapshots: list[dict], size: int, directory: str) -> Iterable[tuple[int, list[dict], str]]:
    for start in range(0, len(snapshots), size):
        yield start, snapshots[start:start + size], directory


def render_print_run(snapshots: list[dict], out_pdf: Path, *,
                     progress: Callable[[int, int], None] | None = None, workers: int | None = None,
                     chunk_size: int = CHUNK_SIZE) -> PrintRunOutput:
    """All letters of a run in ONE PDF for the printer, in input order.

    Letters that fail a check are held (left out, with the reason) and the run goes on.
    ``progress(done, total)`` is called as letters are finished. Chunks of ``chunk_size``
    letters are rendered by a pool of ``workers`` processes (default: one per CPU) and merged.
    """
    out_pdf = Path(out_pdf)
    total = len(snapshots)
    workers = max(1, workers or os.cpu_count() or 1)
    pages = [0] * total
    held: dict[int, str] = {}
    done = 0
    with tempfile.TemporaryDirectory(prefix=".print-run-", dir=out_pdf.parent) as directory, \
            contextlib.ExitStack() as stack:
        jobs = list(_chunks(snapshots, max(1, chunk_size), directory))
        results: Iterable[_ChunkResult]
        if workers > 1 and len(jobs) > 1:
            # spawn, not fork: the caller may be a web or queue worker with threads and open
            # database connections, which a forked child must not inherit. Leaving the stack
            # terminates the workers, also when the run fails half-way.
            context = multiprocessing.get_context("spawn")
            pool = stack.enter_context(context.Pool(min(workers, len(jobs)), initializer=_warm_up))
            results = pool.imap(_render_chunk, jobs)
        else:
            results = map(_render_chunk, jobs)
        # Written under another name and renamed at the end: a printer never sees half a run.
        partial = out_pdf.with_name(f".{out_pdf.name}.partial")
        try:
            with open(partial, "wb") as handle:
                merged = PdfConcatenator(handle, title=f"印刷データ（{total}通）")
                for result in results:
                    if result.pdf_path is not None:
                        merged.append(result.pdf_path)
                        result.pdf_path.unlink()
                    for index, count in result.pages.items():
                        pages[index] = count
                    held.update(result.held)
                    done += len(result.pages) + len(result.held)
                    if progress is not None:
                        progress(done, total)
                merged.close()
            os.replace(partial, out_pdf)
        finally:
            partial.unlink(missing_ok=True)
    return PrintRunOutput(pdf_path=out_pdf, pages=pages, held=dict(sorted(held.items())))
