"""Reading scans: GS1 element strings, EAN/UPC and plain codes, without a server."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pda_client.gs1 import BarcodeError, Symbology, gtin_candidates, read_barcode

GTIN = "06901234567892"  # P1's EAN-13 6901234567892 as GTIN-14
CASE_GTIN = "16901234567899"  # the same item one packaging level up
SSCC = "106141411234567897"
GS = "\x1d"


@pytest.mark.parametrize(("prefix", "symbology"), [
    ("]C1", Symbology.GS1_128),
    ("]d2", Symbology.GS1_DATAMATRIX),
    ("]Q3", Symbology.GS1_QR),
    ("", Symbology.GS1_128),
])
def test_symbology_identifier_names_the_symbol(prefix: str, symbology: Symbology) -> None:
    read = read_barcode(f"{prefix}01{GTIN}10L1")
    assert (read.symbology, read.gtin, read.lot, read.plain) == (symbology, GTIN, "L1", None)


def test_every_application_identifier_we_use() -> None:
    read = read_barcode(f"]C100{SSCC}02{CASE_GTIN}17270315{GS}10LOT-7{GS}21SN001{GS}"
                        f"3712{GS}3102012345400PO-2026-000001")
    assert read.sscc == SSCC
    assert read.gtin == CASE_GTIN
    assert read.expiry == date(2027, 3, 15)
    assert read.lot == "LOT-7"
    assert read.serial == "SN001"
    assert read.count == Decimal(12)
    assert read.net_weight_kg == Decimal("123.45")
    assert read.po_number == "PO-2026-000001"
    assert read.warnings == ()


def test_ai_30_counts_items_and_01_names_the_gtin() -> None:
    read = read_barcode(f"]C101{GTIN}3025")
    assert (read.gtin, read.count) == (GTIN, Decimal(25))


@pytest.mark.parametrize(("ai", "weight"), [("3100", "12"), ("3103", "0.012"),
                                            ("3105", "0.00012")])
def test_net_weight_places_the_decimal_point_from_the_ai(ai: str, weight: str) -> None:
    assert read_barcode(f"]C101{GTIN}{ai}000012").net_weight_kg == Decimal(weight)


@pytest.mark.parametrize(("expiry", "day"), [
    ("270315", date(2027, 3, 15)),
    ("270200", date(2027, 2, 28)),
    ("280200", date(2028, 2, 29)),
    ("271100", date(2027, 11, 30)),
])
def test_expiry_day_00_means_the_end_of_the_month(expiry: str, day: date) -> None:
    assert read_barcode(f"]C101{GTIN}17{expiry}").expiry == day


@pytest.mark.parametrize("separator", [GS, "<GS>", "{GS}", "^]", "|", "~"])
def test_separator_ends_a_variable_length_field(separator: str) -> None:
    read = read_barcode(f"]C101{GTIN}10ABC123{separator}17270200")
    assert (read.lot, read.expiry, read.warnings) == ("ABC123", date(2027, 2, 28), ())


def test_dropped_separator_is_read_greedily_and_flagged() -> None:
    read = read_barcode(f"]C101{GTIN}10ABC12317271231")
    assert read.lot == "ABC12317271231"
    assert read.expiry is None
    [warning] = read.warnings
    assert "'ABC123'" in warning and "(17)271231" in warning and "GS" in warning


@pytest.mark.parametrize("field", ["21", "400"])
def test_dropped_separator_after_serial_or_po_is_flagged(field: str) -> None:
    read = read_barcode(f"]C1{field}X9901{GTIN}")
    assert len(read.warnings) == 1
    assert f"(01){GTIN}" in read.warnings[0]


def test_variable_field_at_the_end_without_hidden_data_is_not_ambiguous() -> None:
    assert read_barcode(f"]C101{GTIN}17270315{GS}10LOT1710").warnings == ()


def test_leading_fnc1_after_the_identifier_is_ignored() -> None:
    assert read_barcode(f"]C1{GS}01{GTIN}").gtin == GTIN


def test_raw_is_kept_byte_for_byte() -> None:
    raw = f"]C101{GTIN}10L1{GS}17270315\r\n"
    assert read_barcode(raw).raw == raw
    assert read_barcode(" PO-2026-000001\n").raw == " PO-2026-000001\n"


def test_human_readable_form_is_read_as_gs1() -> None:
    read = read_barcode(f"(01){GTIN}(10)L1(17)270300")
    assert (read.gtin, read.lot, read.expiry) == (GTIN, "L1", date(2027, 3, 31))


def test_bare_sscc_label_without_identifier() -> None:
    read = read_barcode(f"00{SSCC}")
    assert (read.symbology, read.sscc) == (Symbology.GS1_128, SSCC)


@pytest.mark.parametrize(("code", "symbology"), [
    ("6901234567892", Symbology.EAN_13),
    ("96385074", Symbology.EAN_8),
    ("036000291452", Symbology.UPC_A),
    ("]E06901234567892", Symbology.EAN_13),
    ("]E496385074", Symbology.EAN_8),
])
def test_ean_and_upc_keep_their_digits(code: str, symbology: Symbology) -> None:
    read = read_barcode(code)
    assert read.symbology == symbology
    assert read.gtin == code.removeprefix("]E0").removeprefix("]E4")
    assert read.plain is None


@pytest.mark.parametrize("code", ["6901234567891", "96385075", "036000291453",
                                  "]E06901234567893"])
def test_wrong_check_digit_is_malformed(code: str) -> None:
    with pytest.raises(BarcodeError, match="check digit"):
        read_barcode(code)


@pytest.mark.parametrize("code", [
    "]C101069012345678910L1",  # GTIN check digit
    f"]C100{SSCC[:-1]}0",  # SSCC check digit
    f"]C101{GTIN}17271332",  # no 32nd of a 13th month
    "]C1ABC",  # no AI at all
    "]C1",
    "]C",
    "]E0",
    f"0106901234567891{GS}10L1",
    "(01)123",
])
def test_broken_gs1_is_malformed(code: str) -> None:
    with pytest.raises(BarcodeError):
        read_barcode(code)


@pytest.mark.parametrize("code", ["", "   ", "\r\n"])
def test_empty_scan_is_malformed(code: str) -> None:
    with pytest.raises(BarcodeError, match="empty"):
        read_barcode(code)


@pytest.mark.parametrize("code", ["PO-2026-000001", "ASN-2026-000003", "WH1-A-01", "P1",
                                  "12345", "]C0PO-2026-000001"])
def test_our_own_codes_are_plain(code: str) -> None:
    read = read_barcode(code)
    assert read.symbology == Symbology.PLAIN
    assert read.plain == code.removeprefix("]C0")
    assert (read.gtin, read.sscc, read.lot, read.warnings) == (None, None, None, ())


def test_a_bare_gtin_14_or_sscc_keeps_its_digits() -> None:
    assert read_barcode(CASE_GTIN).gtin == CASE_GTIN
    assert read_barcode(SSCC).sscc == SSCC


def test_gtin_candidates_cover_every_length_the_catalogue_may_hold() -> None:
    assert gtin_candidates(GTIN) == (GTIN, "6901234567892")
    assert gtin_candidates("6901234567892") == ("6901234567892", GTIN)
    assert gtin_candidates("036000291452") == ("036000291452", "00036000291452",
                                               "0036000291452")
    assert gtin_candidates(CASE_GTIN) == (CASE_GTIN,)
