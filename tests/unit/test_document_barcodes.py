"""Barcodes drawn into a PDF decode back to what was encoded: the page is rasterised with
pdfium and read with zxing-cpp, as a scanner at the dock would."""

from __future__ import annotations

import pypdfium2
import pytest
import zxingcpp
from zxingcpp import BarcodeFormat

from server.documents.rendering import render_pdf

# Each code alone on a page: the reader then answers for that symbol only.
PAGE_CSS = "@page { size: A6; margin: 10mm } p { break-after: page }"


def decoded(pdf: bytes) -> list[list[tuple[BarcodeFormat, str]]]:
    """Per page, the (format, text) of every barcode found on it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [[(found.format, found.text)
                 for found in zxingcpp.read_barcodes(page.render(scale=4).to_pil())]
                for page in document]
    finally:
        document.close()


@pytest.mark.parametrize("number", ["PK-2026-000001", "SO-2026-000003", "069012340000000016"])
def test_code_128_and_qr_of_a_document_number_decode_back(number: str) -> None:
    pdf = render_pdf("<p>{{ code128(number) }}</p><p>{{ qr(number) }}</p>", PAGE_CSS,
                     {"number": number})
    assert decoded(pdf) == [[(BarcodeFormat.Code128, number)], [(BarcodeFormat.QRCode, number)]]


def test_a_small_code_128_still_decodes() -> None:
    pdf = render_pdf("<p>{{ code128(number, width='40mm', height='8mm') }}</p>", PAGE_CSS,
                     {"number": "SH-2026-000008"})
    assert decoded(pdf) == [[(BarcodeFormat.Code128, "SH-2026-000008")]]


def test_a_qr_code_carries_chinese_text() -> None:
    pdf = render_pdf("<p>{{ qr(text) }}</p>", PAGE_CSS, {"text": "上海仓 SH-A-01"})
    assert decoded(pdf) == [[(BarcodeFormat.QRCode, "上海仓 SH-A-01")]]


def test_ean_13_gets_its_check_digit() -> None:
    pdf = render_pdf("<p>{{ ean13('400638133393') }}</p><p>{{ ean13('4006381333931') }}</p>",
                     PAGE_CSS, {})
    assert decoded(pdf) == [[(BarcodeFormat.EAN13, "4006381333931")]] * 2
