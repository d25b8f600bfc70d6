"""Checks a letter must pass before it is printed and mailed.

In the spirit of GOV.UK Notify's letter checks: the right paper (A4 portrait), not too many
pages, every font embedded (a printer substitutes missing fonts, and Japanese names then print
wrongly or not at all), and the address inside the envelope window. Each check returns a list
of problems in Japanese, for the caseworker who has to fix the letter; an empty list means fine.

The layout checks read WeasyPrint's laid-out document (cheap, no PDF needed); the font check
reads the PDF with pypdf.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

if TYPE_CHECKING:
    from weasyprint import Document
    from weasyprint.document import Page

MAX_PAGES = 2
A4_MM = (210.0, 297.0)
SIZE_TOLERANCE_MM = 1.0
ADDRESS_BLOCK_ID = "address-block"

MM_PER_CSS_PX = 25.4 / 96
MM_PER_PDF_PT = 25.4 / 72


@dataclass(frozen=True)
class Rect:
    """A rectangle on the sheet, in millimetres from its top-left corner."""

    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def contains(self, other: Rect, slack: float = 0.05) -> bool:
        """Whether ``other`` lies inside, allowing for rounding in the layout."""
        return (other.left >= self.left - slack and other.top >= self.top - slack
                and other.right <= self.right + slack and other.bottom <= self.bottom + slack)

    def describe(self) -> str:
        return (f"左{self.left:.1f}〜{self.right:.1f}mm・上{self.top:.1f}〜{self.bottom:.1f}mm")


# The window of a 長形3号 window envelope, on the A4 sheet folded in three: about 90 x 45 mm,
# 20 mm from the left and 12 mm from the top edge of the sheet.
WINDOW = Rect(left=20.0, top=12.0, width=90.0, height=45.0)


def check_page_count(pages: int) -> list[str]:
    """A letter has at least one page and at most MAX_PAGES (one sheet, both sides at most)."""
    if pages == 0:
        return ["ページがありません"]
    if pages > MAX_PAGES:
        return [f"ページ数が上限（{MAX_PAGES}ページ）を超えています（{pages}ページ）"]
    return []


def check_page_sizes(sizes_mm: Iterable[tuple[float, float]]) -> list[str]:
    """Every page A4 portrait (210 x 297 mm, within SIZE_TOLERANCE_MM)."""
    problems = []
    for number, (width, height) in enumerate(sizes_mm, start=1):
        if abs(width - A4_MM[0]) > SIZE_TOLERANCE_MM or abs(height - A4_MM[1]) > SIZE_TOLERANCE_MM:
            shape = "横向き" if width > height else "A4以外"
            problems.append(f"{number}ページ目の用紙がA4縦ではありません（{shape}、{width:.0f}×{height:.0f}mm）")
    return problems


def address_block_extent(page: Page) -> Rect | None:
    """Where the address block and everything printed in it lie on the page, or None if absent.

    Walks WeasyPrint's laid-out boxes: the block has a fixed size, but a long address can
    overflow it, and what counts is where the text ends up, not where the block was meant to be.
    """
    # Page has no public access to its box tree; _page_box has been stable across versions.
    root = page._page_box
    # The first box of the element is the outermost one (its lines and text come after it).
    block = next((box for box in root.descendants()
                  if box.element is not None and box.element.get("id") == ADDRESS_BLOCK_ID), None)
    if block is None:
        return None
    left, top = block.border_box_x(), block.border_box_y()
    right, bottom = left + block.border_width(), top + block.border_height()
    for box in block.descendants():
        x, y = box.border_box_x(), box.border_box_y()
        left, top = min(left, x), min(top, y)
        right, bottom = max(right, x + box.border_width()), max(bottom, y + box.border_height())
    return Rect(left * MM_PER_CSS_PX, top * MM_PER_CSS_PX,
                (right - left) * MM_PER_CSS_PX, (bottom - top) * MM_PER_CSS_PX)


def check_address_block(document: Document, window: Rect = WINDOW) -> list[str]:
    """The address block is on the first page and entirely inside the envelope window."""
    if not document.pages:
        return ["ページがありません"]
    extent = address_block_extent(document.pages[0])
    if extent is None:
        return ["1ページ目に宛名欄がありません"]
    if not window.contains(extent):
        return [f"宛名が封筒の窓（{window.describe()}）からはみ出しています（宛名の範囲: {extent.describe()}）"]
    return []


def check_document(document: Document) -> list[str]:
    """All layout checks on a rendered (not yet written) letter."""
    problems = check_page_count(len(document.pages))
    problems += check_page_sizes((page.width * MM_PER_CSS_PX, page.height * MM_PER_CSS_PX)
                                 for page in document.pages)
    problems += check_address_block(document)
    return problems


def _fonts_in(resources: DictionaryObject, seen: set[int]) -> Iterable[DictionaryObject]:
    """Font dictionaries of a resource dictionary, and of the form XObjects it uses."""
    fonts = resources.get("/Font")
    if fonts is not None:
        for ref in fonts.get_object().values():
            font = ref.get_object()
            if id(font) not in seen:
                seen.add(id(font))
                yield font
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for ref in xobjects.get_object().values():
            xobject = ref.get_object()
            inner = xobject.get("/Resources")
            if inner is not None and id(xobject) not in seen:
                seen.add(id(xobject))
                yield from _fonts_in(inner.get_object(), seen)


def _is_embedded(font: DictionaryObject) -> bool:
    subtype = font.get("/Subtype")
    if subtype == "/Type3":
        return True  # glyphs are drawn by content streams inside the PDF itself
    if subtype == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False  # a standard font the printer must supply
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def fonts_not_embedded(reader: PdfReader) -> list[str]:
    """Names of the fonts a PDF uses without embedding them."""
    seen: set[int] = set()
    missing = []
    for page in reader.pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        for font in _fonts_in(resources.get_object(), seen):
            if not _is_embedded(font):
                missing.append(str(font.get("/BaseFont", "（名前なし）")).lstrip("/"))
    return missing


def check_fonts_embedded(reader: PdfReader) -> list[str]:
    """Every font the PDF uses is embedded (a printer would otherwise substitute its own)."""
    missing = fonts_not_embedded(reader)
    if missing:
        return [f"フォントが埋め込まれていません（{'、'.join(sorted(set(missing)))}）"]
    return []


def check_pdf(pdf: bytes | PdfReader) -> list[str]:
    """Checks on a written letter PDF: page count, A4 portrait, every font embedded."""
    reader = pdf if isinstance(pdf, PdfReader) else PdfReader(io.BytesIO(pdf))
    problems = check_page_count(len(reader.pages))
    problems += check_page_sizes((float(page.mediabox.width) * MM_PER_PDF_PT,
                                  float(page.mediabox.height) * MM_PER_PDF_PT) for page in reader.pages)
    return problems + check_fonts_embedded(reader)


# Twelve digits, possibly grouped 4-4-4 with a space or hyphen: what a My Number looks like.
# \d also matches full-width digits. A letter never prints one (the snapshot has none).
_TWELVE_DIGITS = re.compile(r"(?<!\d)\d{4}[ 　-]?\d{4}[ 　-]?\d{4}(?!\d)")


def find_twelve_digit_numbers(text: str) -> list[str]:
    """Twelve-digit numbers in a text (a letter must not print anything like a My Number)."""
    return _TWELVE_DIGITS.findall(text)
