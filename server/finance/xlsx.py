"""A report as a one-sheet .xlsx, written straight as the SpreadsheetML parts a workbook needs.

openpyxl builds a cell object per value and took ~13 s of CPU for the 70,000-row inventory
report's million cells; the sheet's XML is simple enough to write row by row. Strings are inline
(no shared-string table), numbers are written as their decimal text, booleans as 1/0, and empty
cells are left out. Characters XML 1.0 cannot carry are written as Excel writes them, ``_xHHHH_``
(and a literal ``_xHHHH_`` in the text gets its underscore escaped), so nothing is lost."""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

Cell = str | Decimal | int | bool | None

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPES}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_TYPES}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_TYPES}.styles+xml"/></Types>')
_ROOT_RELS = (
    f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
_WORKBOOK_RELS = (
    f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
    '</Relationships>')
_STYLES = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')
# XML 1.0 has no way to write these; an underscore starting ``_xHHHH_`` would read as one.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]"
                         "|_(?=x[0-9A-Fa-f]{4}_)")
_NEEDS_CARE = re.compile(f"[&<>]|{_UNWRITABLE.pattern}")
_ROWS_PER_WRITE = 2_000


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The workbook: one sheet named ``title``, the header row, then the rows."""
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr("xl/workbook.xml", (
            f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            f'<sheet name={quoteattr(title[:31])} sheetId="1" r:id="rId1"/></sheets></workbook>'))
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{_DECLARATION}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            for chunk in _sheet_rows([header, *rows]):
                sheet.write(chunk.encode())
            sheet.write(b"</sheetData></worksheet>")
    return content.getvalue()


def _sheet_rows(rows: Sequence[Sequence[Cell]]) -> Iterable[str]:
    width = max((len(row) for row in rows), default=0)
    letters = [column_letters(index) for index in range(width)]
    written: list[str] = []
    # One loop with the cell kinds in line: a call per cell was half the time of a big sheet.
    for number_value, row in enumerate(rows, start=1):
        number = str(number_value)
        cells = [f'<row r="{number}">']
        for letter, value in zip(letters, row, strict=False):
            kind = value.__class__
            if kind is Decimal or kind is int:
                # !s: a Decimal's __format__ costs twice its str
                cells.append(f'<c r="{letter}{number}"><v>{value!s}</v></c>')
            elif kind is str:
                cells.append(f'<c r="{letter}{number}" t="inlineStr"><is>{_text(value)}</is></c>')
            elif value is None:
                continue
            else:
                cells.append(_other_cell(f"{letter}{number}", value))
        cells.append("</row>")
        written.append("".join(cells))
        if len(written) == _ROWS_PER_WRITE:
            yield "".join(written)
            written.clear()
    yield "".join(written)


def _other_cell(reference: str, value: object) -> str:
    """A cell of a subclass (a StrEnum, a bool) or a float, which SQLite may answer."""
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, str):
        return f'<c r="{reference}" t="inlineStr"><is>{_text(value)}</is></c>'
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        return f'<c r="{reference}"><v>{value!s}</v></c>'
    raise TypeError(f"a report cell is text, a finite number, a boolean or empty: {value!r}")


def _text(value: str) -> str:
    if _NEEDS_CARE.search(value) is not None:
        value = escape(_UNWRITABLE.sub(_escaped, value))
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


def _escaped(found: re.Match[str]) -> str:
    return f"_x{ord(found.group()):04X}_"


def column_letters(index: int) -> str:
    """A, B, … Z, AA, AB, … for the 0-based column ``index``."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
