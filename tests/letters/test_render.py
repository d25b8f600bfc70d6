"""Letters as a resident and a print operator get them: real WeasyPrint, real fonts, no mocks."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject
from weasyprint.urls import FatalURLFetchingError

from caseflow.letters import checks
from caseflow.letters.kinds import CLI_KINDS, KINDS, PARTIES
from caseflow.letters.render import (
    RenderedLetter,
    layout_html,
    letter_html,
    missing_glyphs,
    render_cover_sheet,
    render_letter,
    render_print_run,
)
from caseflow.letters.samples import SAMPLE_RECIPIENTS, sample_snapshot

VARIANTS = "髙﨑𠮷德邉"


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squeeze(text: str) -> str:
    """Extracted text without the spaces and line breaks the extractor puts between glyph runs."""
    return re.sub(r"\s", "", text)


def to_unicode_maps(pdf: bytes) -> dict[str, dict[str, int]]:
    """Per embedded font: character → glyph id, read from the fonts' ToUnicode CMaps."""
    reader = PdfReader(io.BytesIO(pdf))
    maps: dict[str, dict[str, int]] = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            chars = maps.setdefault(str(font["/BaseFont"]), {})
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, flags=re.S):
                for glyph, utf16 in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                    chars[bytes.fromhex(utf16).decode("utf-16-be")] = int(glyph, 16)
    return maps


@pytest.fixture(scope="module")
def letters() -> dict[str, RenderedLetter]:
    return {kind: render_letter(sample_snapshot(kind)) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_one_a4_portrait_page_with_what_the_resident_needs(letters, kind):
    letter = letters[kind]
    assert letter.problems == ()
    assert letter.pages == 1
    reader = PdfReader(io.BytesIO(letter.pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = squeeze(text_of(letter.pdf))
    # addressed to the kind's party of the sample case (髙橋 花子's record, 佐藤 健一's number)
    assert squeeze(SAMPLE_RECIPIENTS[PARTIES[kind]]["name"]) + "様" in text
    assert "青市民第1234号" in text
    assert "令和8年11月23日" in text
    assert "CF-0000123" in text
    assert "（公印省略）" in text
    assert not re.search(r"\d{12}", text)


def test_cli_kinds_name_every_kind():
    assert sorted(CLI_KINDS.values()) == sorted(KINDS)


def test_fonts_are_embedded(letters):
    for letter in letters.values():
        assert checks.check_pdf(letter.pdf) == []
        assert checks.fonts_not_embedded(PdfReader(io.BytesIO(letter.pdf))) == []


def test_variant_kanji_print_as_real_glyphs():
    snapshot = sample_snapshot("apology")
    snapshot["recipient"]["name"] = "𠮷田　德子"
    snapshot["recipient"]["address_lines"] = ["神奈川県青葉市髙﨑町二丁目3番4号", "渡邉ハイツ101号室"]
    letter = render_letter(snapshot)
    assert letter.problems == ()
    glyphs = {}
    for chars in to_unicode_maps(letter.pdf).values():
        glyphs.update({char: glyph for char, glyph in chars.items() if char in VARIANTS})
    # glyph id 0 is .notdef, the empty box a printer would show instead of the character
    assert sorted(glyphs) == sorted(VARIANTS)
    assert all(glyph != 0 for glyph in glyphs.values())
    text = squeeze(text_of(letter.pdf))
    assert "𠮷田德子様" in text and "髙﨑町" in text and "渡邉ハイツ" in text


def test_missing_glyphs_knows_the_fonts():
    assert missing_glyphs(VARIANTS) == []
    assert missing_glyphs("髙橋　花子") == []
    assert missing_glyphs("田\ue000子") == ["\ue000"]


def test_kangxi_radical_is_printed_as_the_ordinary_kanji():
    snapshot = sample_snapshot("bank_account")
    snapshot["recipient"]["name"] = "⾦子　⼀郎"  # U+2F26 KANGXI RADICAL GOLD, U+2F00 RADICAL ONE
    letter = render_letter(snapshot)
    text = squeeze(text_of(letter.pdf))
    assert "金子一郎様" in text
    assert "⾦" not in text and "⼀" not in text


def test_only_radicals_are_normalised_never_the_whole_name():
    snapshot = sample_snapshot("apology")
    snapshot["recipient"]["name"] = "\ufa19田　﨑子"  # 神 as registered (compatibility ideograph, NFC → 神)
    html = letter_html(snapshot)
    assert "\ufa19田　﨑子" in html


def test_render_is_deterministic(letters):
    assert render_letter(sample_snapshot("bank_account")).pdf == letters["bank_account"].pdf


def test_preview_has_the_watermark_and_an_issued_letter_does_not(letters):
    snapshot = sample_snapshot("viewed_notice")
    snapshot["document_number"] = None
    preview = render_letter(snapshot, sample=True)
    text = squeeze(text_of(preview.pdf))
    assert "見本" in text
    assert "（発行時に付番）" in text
    assert preview.pages == 1
    assert "見本" not in squeeze(text_of(letters["viewed_notice"].pdf))


def test_nothing_is_fetched():
    html = letter_html(sample_snapshot("apology")).replace("</body>", '<img src="file:///etc/hostname"></body>')
    with pytest.raises(FatalURLFetchingError):
        layout_html(html)


ADDRESS = '<div id="address-block" style="{style}"><p>〒243-0123</p><p>神奈川県青葉市中央三丁目12番5号</p></div>'
INSIDE = "position: absolute; left: 4mm; top: 2mm; width: 82mm; height: 37mm"


def test_checks_pass_a_letter_shaped_page():
    document = layout_html(f"<html><body>{ADDRESS.format(style=INSIDE)}</body></html>")
    assert checks.check_document(document) == []


def test_checks_reject_a_landscape_page():
    html = f"<html><head><style>@page {{ size: A4 landscape !important }}</style></head><body>" \
           f"{ADDRESS.format(style=INSIDE)}</body></html>"
    problems = checks.check_document(layout_html(html))
    assert any("A4縦ではありません" in problem and "横向き" in problem for problem in problems)


def test_checks_reject_an_address_outside_the_window():
    html = f"<html><body>{ADDRESS.format(style=INSIDE.replace('top: 2mm', 'top: 60mm'))}</body></html>"
    problems = checks.check_document(layout_html(html))
    assert len(problems) == 1 and "窓" in problems[0]


def test_checks_reject_an_address_that_overflows_its_block():
    lines = "".join(f"<p>神奈川県青葉市中央三丁目12番5号 {n}</p>" for n in range(8))
    html = f'<html><body><div id="address-block" style="{INSIDE}">{lines}</div></body></html>'
    assert any("窓" in problem for problem in checks.check_document(layout_html(html)))


def test_checks_reject_a_missing_address_block_and_too_many_pages():
    html = "<html><body>" + '<p style="break-after: page">ページ</p>' * 3 + "</body></html>"
    problems = checks.check_document(layout_html(html))
    assert any("上限（2ページ）" in problem for problem in problems)
    assert any("宛名欄がありません" in problem for problem in problems)


def test_checks_reject_a_font_that_is_not_embedded():
    writer = PdfWriter()
    page = writer.add_blank_page(width=595.28, height=841.89)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    buffer = io.BytesIO()
    writer.write(buffer)
    assert checks.check_pdf(buffer.getvalue()) == ["フォントが埋め込まれていません（Helvetica）"]


def test_print_run_holds_failing_letters_and_merges_the_rest(tmp_path):
    snapshots = []
    for number in range(7):
        snapshot = sample_snapshot(KINDS[number % 3])
        snapshot["document_number"] = f"青市民第{9000 + number}号"
        snapshots.append(snapshot)
    # An address too long for the envelope window, and a character no font has.
    snapshots[2]["recipient"]["address_lines"] = [f"神奈川県青葉市中央三丁目12番5号 青葉ハイツ{n}号棟" for n in range(5)]
    snapshots[5]["recipient"]["name"] = "田中　\ue000子"
    seen = []
    out = render_print_run(snapshots, tmp_path / "run.pdf", workers=2, chunk_size=3,
                           progress=lambda done, total: seen.append((done, total)))

    assert sorted(out.held) == [2, 5]
    assert "窓" in out.held[2]
    assert "印字できない文字" in out.held[5]
    assert out.pages == [1, 1, 0, 1, 1, 0, 1]
    reader = PdfReader(out.pdf_path)
    assert len(reader.pages) == sum(out.pages) == 5
    assert seen[-1] == (7, 7)
    numbers = [re.search(r"青市民第(\d+)号", squeeze(page.extract_text())).group(1) for page in reader.pages]
    assert numbers == ["9000", "9001", "9003", "9004", "9006"]
    assert checks.check_page_sizes((float(page.mediabox.width) * 25.4 / 72, float(page.mediabox.height) * 25.4 / 72)
                                   for page in reader.pages) == []
    assert checks.fonts_not_embedded(reader) == []


def test_cover_sheet_tells_the_operator_what_to_print():
    pdf = render_cover_sheet({
        "run_id": "PR-2026-0042", "organization": "青葉市", "program": "公金受取口座の登録",
        "kind": "bank_account", "letters": 1184, "pages": 1184,
        "held": [{"document_number": "青市民第1300号", "reason": "宛名が封筒の窓からはみ出しています"}],
        "created_on": "2026-11-23",
    })
    text = squeeze(text_of(pdf))
    for expected in ("PR-2026-0042", "青葉市", "公金受取口座の登録内容の変更手続きのお願い", "1184通", "1184ページ",
                     "青市民第1300号", "宛名が封筒の窓からはみ出しています", "令和8年11月23日"):
        assert expected in text
