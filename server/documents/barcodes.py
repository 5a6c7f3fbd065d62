"""Barcodes and QR codes as inline SVG for print templates: Code 128 and EAN-13 drawn from
python-barcode's module pattern, QR codes from segno.

Each function returns ``Markup`` so an autoescaping template inserts the SVG as markup, while the
encoded text itself is never placed in the SVG: nothing a document number contains can break out
of it. Sizes are CSS lengths; the drawing scales to them (``preserveAspectRatio="none"`` for the
linear codes, whose bars only need to keep their relative widths).
"""

from __future__ import annotations

import re

import barcode
import segno
from barcode.errors import BarcodeError
from markupsafe import Markup

from server.catalog.rules import ean13_check_digit
from server.errors import InvalidInput

# Code 128 needs a quiet zone of 10 modules on each side; EAN-13 at least 11 on the left and 7 on
# the right. One value for both keeps the drawing simple.
QUIET_MODULES = 11
MAX_BARCODE_TEXT = 80
MAX_QR_TEXT = 1000
_CSS_LENGTH = re.compile(r"^\d{1,4}(\.\d{1,3})?(mm|cm|in|pt|px|%)$")


def _length(value: str, name: str) -> str:
    if not _CSS_LENGTH.match(value):
        raise InvalidInput(f"{name} must be a CSS length such as 40mm, not {value!r}", field=name)
    return value


def _text(value: object, limit: int) -> str:
    text = str(value)
    if not text:
        raise InvalidInput("a barcode needs a non-empty text")
    if len(text) > limit:
        raise InvalidInput(f"a barcode holds at most {limit} characters, got {len(text)}")
    return text


def _bars_svg(modules: str, width: str, height: str) -> Markup:
    """One ``<rect>`` per run of dark modules, on a white background including the quiet zones."""
    total = len(modules) + 2 * QUIET_MODULES
    rects = [f'<rect x="{QUIET_MODULES + match.start()}" y="0" width="{len(match.group())}" '
             f'height="1"/>' for match in re.finditer("1+", modules)]
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" viewBox="0 0 {total} 1" '
        f'width="{_length(width, "width")}" height="{_length(height, "height")}" '
        f'preserveAspectRatio="none" shape-rendering="crispEdges">'
        f'<rect x="0" y="0" width="{total}" height="1" fill="#fff"/>'
        f'<g fill="#000">{"".join(rects)}</g></svg>'
    )


def _modules(symbology: str, text: str) -> str:
    try:
        return "".join(barcode.get(symbology, text).build())
    except (BarcodeError, ValueError) as error:
        raise InvalidInput(f"cannot encode {text!r} as {symbology}: {error}") from None


def code128(text: object, width: str = "60mm", height: str = "15mm") -> Markup:
    """A Code 128 barcode of ``text`` (printable ASCII, as document numbers are)."""
    value = _text(text, MAX_BARCODE_TEXT)
    if not value.isascii() or not value.isprintable():
        raise InvalidInput(f"Code 128 takes printable ASCII only, not {value!r}")
    return _bars_svg(_modules("code128", value), width, height)


def ean13(text: object, width: str = "38mm", height: str = "20mm") -> Markup:
    """An EAN-13 barcode of 12 digits (the check digit is added) or 13 (it is checked)."""
    value = _text(text, 13)
    if not value.isdigit() or len(value) not in (12, 13):
        raise InvalidInput(f"EAN-13 takes 12 or 13 digits, not {value!r}")
    if len(value) == 13 and ean13_check_digit(value[:12]) != value[12]:
        raise InvalidInput(f"{value} has a wrong EAN-13 check digit")
    return _bars_svg(_modules("ean13", value[:12]), width, height)


def qr(text: object, size: str = "30mm") -> Markup:
    """A QR code of ``text`` (any Unicode; error correction level M), ``size`` square."""
    value = _text(text, MAX_QR_TEXT)
    side = _length(size, "size")
    code = segno.make(value, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None)
    # segno draws with a viewBox and no size: give the symbol the size asked for.
    return Markup(svg.replace("<svg ", f'<svg width="{side}" height="{side}" ', 1))
