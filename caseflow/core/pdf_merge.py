"""Merging PDF files into one as they come, in little memory: a print run of 10,000 letters."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)


class PdfConcatenator:
    """Appends the pages of PDF files to one output PDF as they come.

    pypdf's PdfWriter keeps every object of every page in memory until it writes: about 250 MiB
    for 10,000 letters. This writes each object at once and keeps only the offsets for the
    cross-reference table. Only pages are taken over (with what they use: content, fonts);
    document-level parts of the inputs (outline, names) are dropped, letters have none.
    """

    def __init__(self, handle: BinaryIO, title: str) -> None:
        self._out = handle
        self._offsets: list[int] = []
        self._pages: list[int] = []
        self._title = title
        handle.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self._catalog, self._root = self._reserve(), self._reserve()

    @property
    def pages(self) -> int:
        """The number of pages appended so far."""
        return len(self._pages)

    def _reserve(self) -> int:
        self._offsets.append(0)
        return len(self._offsets)

    def _write(self, number: int, obj: PdfObject) -> None:
        self._offsets[number - 1] = self._out.tell()
        self._out.write(b"%d 0 obj\n" % number)
        obj.write_to_stream(self._out)
        self._out.write(b"\nendobj\n")

    def append(self, path: Path) -> None:
        """Copy all pages of the PDF at ``path``, renumbering its objects."""
        reader = PdfReader(path)
        numbers: dict[int, int] = {}
        pending: list[tuple[int, PdfObject, bool]] = []

        def ref(indirect: IndirectObject, is_page: bool = False) -> IndirectObject:
            number = numbers.get(indirect.idnum)
            if number is None:
                number = numbers[indirect.idnum] = self._reserve()
                pending.append((number, indirect, is_page))
            return IndirectObject(number, 0, None)

        def remap(obj: PdfObject) -> PdfObject:
            if isinstance(obj, IndirectObject):
                return ref(obj)
            if isinstance(obj, StreamObject):
                stream = DecodedStreamObject()
                # The raw (still compressed) bytes: copied as they are, with their /Filter.
                stream.set_data(obj._data)
                for key, value in obj.items():
                    stream[key] = remap(value)
                return stream
            if isinstance(obj, DictionaryObject):
                return DictionaryObject({key: remap(value) for key, value in obj.items()})
            if isinstance(obj, ArrayObject):
                return ArrayObject(remap(value) for value in obj)
            return obj

        for page in reader.pages:
            # reader.pages has already copied attributes inherited from the page tree into
            # each page (resources, media box), so the page stands on its own.
            self._pages.append(ref(page.indirect_reference, is_page=True).idnum)
        while pending:
            number, indirect, is_page = pending.pop()
            obj = indirect.get_object()
            if is_page:
                obj = DictionaryObject({key: value for key, value in obj.items() if key != "/Parent"})
            copied = remap(obj)
            if is_page:
                copied[NameObject("/Parent")] = IndirectObject(self._root, 0, None)
            self._write(number, copied)

    def close(self) -> None:
        """Write the page tree, catalog, info and cross-reference table."""
        kids = ArrayObject(IndirectObject(number, 0, None) for number in self._pages)
        self._write(self._root, DictionaryObject({NameObject("/Type"): NameObject("/Pages"),
                                                  NameObject("/Kids"): kids,
                                                  NameObject("/Count"): NumberObject(len(self._pages))}))
        self._write(self._catalog, DictionaryObject({NameObject("/Type"): NameObject("/Catalog"),
                                                     NameObject("/Pages"): IndirectObject(self._root, 0, None)}))
        info = self._reserve()
        self._write(info, DictionaryObject({NameObject("/Title"): TextStringObject(self._title),
                                            NameObject("/Producer"): TextStringObject("CaseFlow")}))
        start = self._out.tell()
        lines = [b"xref\n0 %d\n" % (len(self._offsets) + 1), b"0000000000 65535 f \n"]
        lines += [b"%010d 00000 n \n" % offset for offset in self._offsets]
        self._out.write(b"".join(lines))
        self._out.write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                        % (len(self._offsets) + 1, self._catalog, info, start))
