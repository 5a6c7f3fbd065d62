"""Reports as .xlsx: what openpyxl (as a spreadsheet would) reads back is what was written."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from enum import StrEnum

import pytest
from openpyxl import load_workbook

from server.finance.xlsx import Cell, column_letters, xlsx_bytes


def read_back(content: bytes) -> tuple[str, list[list[object]]]:
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    assert sheet is not None
    return sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_values_of_every_kind_read_back() -> None:
    rows: list[list[Cell]] = [
        ["P1", "螺丝 M3 <& \"quoted\">", Decimal("12.5000"), Decimal("-0.25"), 7, True, None, "x"],
        [" padded ", "tab\tand\nnewline", Decimal(0), Decimal("1E+3"), -3, False, "", None],
        ["line\n", "\u3000全角空格", "nbsp\u00a0", "mid\nline", "a&b", "<", ">", "_x"],
    ]
    title, values = read_back(xlsx_bytes("Inventory & more", ["a", "b", "c", "d", "e", "f", "g",
                                                             "h"], rows))
    assert title == "Inventory & more"
    assert values == [
        ["a", "b", "c", "d", "e", "f", "g", "h"],
        ["P1", "螺丝 M3 <& \"quoted\">", 12.5, -0.25, 7, True, None, "x"],
        [" padded ", "tab\tand\nnewline", 0, 1000, -3, False, "", None],
        ["line\n", "\u3000全角空格", "nbsp\u00a0", "mid\nline", "a&b", "<", ">", "_x"],
    ]


def test_characters_xml_cannot_hold_are_written_as_excel_escapes() -> None:
    content = xlsx_bytes("T", ["text"], [["bell\x07"], ["_x0041_ stays as typed"]])
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "bell_x0007_" in sheet
    assert "_x005F_x0041_ stays as typed" in sheet


def test_wide_and_long_sheets_keep_their_places() -> None:
    width = 30
    rows: list[list[Cell]] = [[index * width + column for column in range(width)]
                              for index in range(2_500)]
    _, values = read_back(xlsx_bytes("Wide", [column_letters(i) for i in range(width)], rows))
    assert values[0][-4:] == ["AA", "AB", "AC", "AD"]
    assert values[1:] == rows


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"),
                                                (52, "BA"), (701, "ZZ"), (702, "AAA")])
def test_column_letters(index: int, letters: str) -> None:
    assert column_letters(index) == letters


class Grade(StrEnum):
    GOOD = "good"


def test_subclasses_and_floats_are_written_as_their_kind() -> None:
    content = xlsx_bytes("T", ["grade", "share", "flag"], [[Grade.GOOD, 1.5, True]])  # type: ignore[list-item]
    assert read_back(content)[1][1] == ["good", 1.5, True]


@pytest.mark.parametrize("cell", [float("nan"), object(), b"bytes"])
def test_other_kinds_of_cell_are_refused(cell: object) -> None:
    with pytest.raises(TypeError):
        xlsx_bytes("T", ["when"], [[cell]])  # type: ignore[list-item]
