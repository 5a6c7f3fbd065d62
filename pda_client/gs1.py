"""What a scan says: GS1 element strings (GS1-128, DataMatrix, QR), EAN/UPC, or plain text.

Pure and standalone (biip and the standard library only), so the handheld and the server read a
label the same way. ``read_barcode`` names what the label carries; which product, order or bin
that is, is the server's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from biip import ParseConfig, ParseError
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin, GtinFormat
from biip.sscc import Sscc
from biip.symbology import GS1Symbology, SymbologyIdentifier

GS = "\x1d"
# Keyboard-wedge scanners that cannot type the GS control character are often set to spell it
# out instead. "|" and "~" lie outside GS1's character set 82, so no field can contain them.
SPELLED_GS = ("<GS>", "{GS}", "^]")
SEPARATOR_CHARS = (GS, "|", "~")
CONFIG = ParseConfig(separator_chars=SEPARATOR_CHARS)

# A bare element string (no symbology identifier) is taken for GS1 only when it opens with an
# SSCC or a GTIN whose check digit biip then verifies: other digit runs are too easily a lot.
BARE_GS1_START = re.compile(r"00\d{18}|0[12]\d{14}")
HRI_START = re.compile(r"\(\d{2,4}\)")


class Symbology(StrEnum):
    GS1_128 = "GS1_128"
    GS1_DATAMATRIX = "GS1_DATAMATRIX"
    GS1_QR = "GS1_QR"
    EAN_13 = "EAN_13"
    EAN_8 = "EAN_8"
    UPC_A = "UPC_A"
    PLAIN = "PLAIN"


# DataBar and DotCode carry the same element strings as GS1-128; the API has no name of its own
# for them, so they are reported as GS1-128.
GS1_SYMBOLOGIES = {
    GS1Symbology.GS1_DATAMATRIX: Symbology.GS1_DATAMATRIX,
    GS1Symbology.GS1_QR_CODE: Symbology.GS1_QR,
}
EAN_BY_LENGTH = {8: Symbology.EAN_8, 12: Symbology.UPC_A, 13: Symbology.EAN_13}


class BarcodeError(ValueError):
    """The scan is malformed: a wrong check digit, a broken GS1 element string, nothing at all."""


@dataclass(frozen=True, slots=True)
class Gs1Read:
    """What one scan carries. ``raw`` is exactly what the scanner sent; an EAN/UPC keeps its
    scanned digits in ``gtin``; ``plain`` holds a code that is not GS1 (a document number, a
    bin, an in-house barcode)."""

    raw: str
    symbology: Symbology
    gtin: str | None = None
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    sscc: str | None = None
    po_number: str | None = None
    count: Decimal | None = None
    net_weight_kg: Decimal | None = None
    plain: str | None = None
    warnings: tuple[str, ...] = ()


def read_barcode(raw: str) -> Gs1Read:
    """Read one scan; raises ``BarcodeError`` when it is malformed."""
    text = raw.strip()
    if not text:
        raise BarcodeError("the scan is empty")
    if text.startswith("]"):
        return _read_identified(raw, text)
    return _read_unidentified(raw, text)


def gtin_candidates(gtin: str) -> tuple[str, ...]:
    """The forms a product barcode may be stored under for this GTIN: as scanned, then as
    GTIN-14, -13, -12 and -8 where the number fits."""
    parsed = _gtin(gtin)
    forms = [gtin, parsed.as_gtin_14()]
    if parsed.format <= GtinFormat.GTIN_13:
        forms.append(parsed.as_gtin_13())
    if parsed.format <= GtinFormat.GTIN_12:
        forms.append(parsed.as_gtin_12())
    if parsed.format == GtinFormat.GTIN_8:
        forms.append(parsed.as_gtin_8())
    return tuple(dict.fromkeys(forms))


def _read_identified(raw: str, text: str) -> Gs1Read:
    try:
        identifier = SymbologyIdentifier.extract(text)
    except (ParseError, ValueError, IndexError):
        return Gs1Read(raw, Symbology.PLAIN, plain=text)
    data = text[len(identifier):].strip()
    if len(identifier) < 3 or not data:
        raise BarcodeError("nothing follows the symbology identifier")
    symbology = identifier.gs1_symbology
    if symbology in GS1Symbology.with_gs1_messages():
        return _read_gs1(raw, data, GS1_SYMBOLOGIES.get(symbology, Symbology.GS1_128))
    if symbology in GS1Symbology.with_gtin():
        return _read_gtin_symbol(raw, data)
    # Plain Code 128, DataMatrix, QR...: the identifier says the data is not GS1.
    return Gs1Read(raw, Symbology.PLAIN, plain=data)


def _read_unidentified(raw: str, text: str) -> Gs1Read:
    if _digits(text):
        if len(text) in EAN_BY_LENGTH:
            return _read_ean(raw, text)
        if len(text) == GtinFormat.GTIN_14.length and _valid_gtin(text):
            return Gs1Read(raw, Symbology.PLAIN, gtin=text)
        if len(text) == 18 and _valid_sscc(text):
            return Gs1Read(raw, Symbology.PLAIN, sscc=text)
    if BARE_GS1_START.match(text):
        return _read_gs1(raw, text, Symbology.GS1_128)
    if HRI_START.match(text):
        try:
            message = GS1Message.parse_hri(text, config=CONFIG)
        except ParseError as error:
            raise BarcodeError(f"not a valid GS1 element string: {error}") from error
        return _from_elements(raw, Symbology.GS1_128, message.element_strings, [])
    return Gs1Read(raw, Symbology.PLAIN, plain=text)


def _read_gtin_symbol(raw: str, data: str) -> Gs1Read:
    """An EAN/UPC or ITF-14 symbol: digits whose check digit must hold."""
    if _digits(data) and len(data) in EAN_BY_LENGTH:
        return _read_ean(raw, data)
    if _digits(data) and len(data) == GtinFormat.GTIN_14.length:
        _gtin(data)
        return Gs1Read(raw, Symbology.PLAIN, gtin=data)
    raise BarcodeError(f"{data!r} is not an EAN, UPC or GTIN-14 number")


def _read_ean(raw: str, digits: str) -> Gs1Read:
    _gtin(digits)
    return Gs1Read(raw, EAN_BY_LENGTH[len(digits)], gtin=digits)


def _read_gs1(raw: str, data: str, symbology: Symbology) -> Gs1Read:
    text = data
    for spelled in SPELLED_GS:
        text = text.replace(spelled, GS)
    # A leading separator is the FNC1 some scanners send after the identifier.
    text = text.strip().strip("".join(SEPARATOR_CHARS))
    if not text:
        raise BarcodeError("the GS1 symbol carries no data")
    try:
        message = GS1Message.parse(text, config=CONFIG)
    except ParseError as error:
        raise BarcodeError(f"not a valid GS1 element string: {error}") from error
    elements = list(message.element_strings)
    return _from_elements(raw, symbology, elements, _dropped_separator_warnings(text, elements))


def _from_elements(
    raw: str, symbology: Symbology, elements: list[GS1ElementString], warnings: list[str]
) -> Gs1Read:
    by_ai: dict[str, GS1ElementString] = {}
    for element in elements:
        problem = element.gtin_error or element.sscc_error
        if problem:
            raise BarcodeError(problem)
        by_ai.setdefault(element.ai.ai, element)
    gtin = _first(by_ai, "01", "02")
    count = _first(by_ai, "37", "30")
    weight = next((e for ai, e in by_ai.items() if ai.startswith("310")), None)
    return Gs1Read(
        raw, symbology,
        gtin=gtin.value if gtin else None,
        lot=_value(by_ai, "10"),
        expiry=by_ai["17"].date if "17" in by_ai else None,
        serial=_value(by_ai, "21"),
        sscc=_value(by_ai, "00"),
        po_number=_value(by_ai, "400"),
        count=Decimal(count.value) if count else None,
        net_weight_kg=weight.decimal if weight else None,
        warnings=tuple(warnings),
    )


def _dropped_separator_warnings(text: str, elements: list[GS1ElementString]) -> list[str]:
    """Variable-length fields not ended by a separator whose tail reads as further element
    strings: the scanner may have dropped the GS, and the field swallowed what followed."""
    warnings = []
    position = 0
    for element in elements:
        position += len(element)
        ended = text[position:position + 1] in SEPARATOR_CHARS
        if element.ai.separator_required and not ended and (hidden := _hidden_tail(
                element.value)):
            head, tail = hidden
            warnings.append(
                f"ambiguous read: {element.ai} {element.value!r} may be {head!r} followed by "
                f"{tail}; the scanner may have dropped a GS separator")
        while text[position:position + 1] in SEPARATOR_CHARS:
            position += 1
    return warnings


def _hidden_tail(value: str) -> tuple[str, str] | None:
    """The shortest head of ``value`` after which the rest is valid element strings opening
    with a fixed-length AI (an SSCC, a GTIN, a date, a weight), whose format is evidence."""
    for cut in range(1, len(value) - 1):
        try:
            tail = GS1Message.parse(value[cut:], config=CONFIG)
        except ParseError:
            continue
        tail_elements = list(tail.element_strings)
        if tail_elements[0].ai.separator_required:
            continue
        if any(e.gtin_error or e.sscc_error for e in tail_elements):
            continue
        return value[:cut], tail.as_hri()
    return None


def _first(by_ai: dict[str, GS1ElementString], *ais: str) -> GS1ElementString | None:
    return next((by_ai[ai] for ai in ais if ai in by_ai), None)


def _value(by_ai: dict[str, GS1ElementString], ai: str) -> str | None:
    return by_ai[ai].value if ai in by_ai else None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _gtin(digits: str) -> Gtin:
    try:
        return Gtin.parse(digits, config=CONFIG)
    except ParseError as error:
        raise BarcodeError(str(error)) from error


def _valid_gtin(digits: str) -> bool:
    try:
        Gtin.parse(digits, config=CONFIG)
    except ParseError:
        return False
    return True


def _valid_sscc(digits: str) -> bool:
    try:
        Sscc.parse(digits, config=CONFIG)
    except ParseError:
        return False
    return True
