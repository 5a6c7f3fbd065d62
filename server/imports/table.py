"""Reading an import file into rows of text, and the generic checks every kind shares: which
column is which, required values, value shapes, duplicates within the file, skipping bad rows.

A file is an .xlsx workbook (its first sheet; recognised by its content, not its name) or a
UTF-8 CSV (a byte order mark is allowed). The first row names the columns, in any order, by
their English name (``unit_of_measure``, also written ``Unit of measure``) or their Chinese
label (``单位``). Row numbers are those a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from openpyxl import load_workbook

from server.imports.report import HEADER_ROW, FileRejected, RowError

T = TypeVar("T")
XLSX_MAGIC = b"PK\x03\x04"
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "x"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "否", ""})
LIST_SEPARATORS = re.compile(r"[;,，；]")


@dataclass(frozen=True, slots=True)
class Column:
    """One column a kind of file has: its name, Chinese label, an example value for templates."""

    name: str
    label: str
    example: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Record:
    """One data row: its spreadsheet row number and each known column's trimmed text."""

    row: int
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values.get(column, "")


@dataclass(slots=True)
class Parsed(Generic[T]):
    """The rows of a file that passed the checks made so far, and every problem found."""

    rows: list[tuple[int, T]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> set[int]:
        return {error.row for error in self.errors}


def read_sheet(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows (with their row numbers) of an .xlsx or CSV file, every
    cell as text; FileRejected when the file cannot be read at all."""
    rows = _xlsx_rows(data) if data.startswith(XLSX_MAGIC) else _csv_rows(data)
    if not rows:
        raise FileRejected([RowError(HEADER_ROW, "", "the file is empty: the first row names "
                                                     "the columns")])
    return rows[0], list(enumerate(rows[1:], start=HEADER_ROW + 1))


def _csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[:error.start].count(b"\n") + 1
        raise FileRejected([RowError(row, "", "the file is neither an .xlsx workbook nor "
                                              "UTF-8 CSV text")]) from None
    return list(csv.reader(io.StringIO(text, newline="")))


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRejected([RowError(HEADER_ROW, "", f"the workbook cannot be read: {error}")]
                           ) from None
    try:
        sheet = workbook.worksheets[0]
        return [[cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person typed: 12, not 12.0 (Excel keeps every number
    as a float, barcodes and codes included); dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def records(
    header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]], columns: Sequence[Column],
) -> Parsed[Record]:
    """Each non-blank data row as a Record, after the header is matched to ``columns``; rows
    lacking a required value are reported (and still returned, so their other cells are
    checked too). A header problem rejects the file at once: no row can be read without it."""
    names = {_header_key(column.name): column.name for column in columns}
    names.update({_header_key(column.label): column.name for column in columns})
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for index, raw in enumerate(header):
        if not raw.strip():
            continue
        name = names.get(_header_key(raw))
        if name is None:
            errors.append(RowError(HEADER_ROW, raw, f"unknown column {raw!r}: the columns are "
                                   f"{', '.join(column.name for column in columns)}"))
        elif name in positions:
            errors.append(RowError(HEADER_ROW, name, f"column {name} appears twice"))
        else:
            positions[name] = index
    errors.extend(RowError(HEADER_ROW, column.name, f"missing column {column.name}")
                  for column in columns if column.required and column.name not in positions)
    if errors:
        raise FileRejected(errors)
    parsed: Parsed[Record] = Parsed()
    for row_number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: cells[index].strip() if index < len(cells) else ""
                  for name, index in positions.items()}
        parsed.errors.extend(RowError(row_number, column.name, "missing value")
                             for column in columns if column.required and not values[column.name])
        parsed.rows.append((row_number, Record(row_number, values)))
    if not parsed.rows:
        raise FileRejected([RowError(HEADER_ROW + 1, "", "no data rows after the header")])
    return parsed


def each_row(
    read: Parsed[Record], judge: Callable[[Record], tuple[T, list[RowError]]]
) -> Parsed[T]:
    """Every record judged on its own, its problems added to those already found; a cell
    already reported (a missing value) is not reported again by the rules."""
    parsed: Parsed[T] = Parsed(errors=list(read.errors))
    reported = {(error.row, error.column) for error in read.errors}
    for row_number, record in read.rows:
        item, errors = judge(record)
        parsed.errors.extend(error for error in errors
                             if (error.row, error.column) not in reported)
        parsed.rows.append((row_number, item))
    return parsed


def decimal_value(text: str) -> Decimal:
    """A number as typed (``1,234.5`` too); ValueError saying why it is not one. Its shape
    (places, size, sign) is judged by the catalog's rules, as for the mutations."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a number")
    return value


def int_value(text: str) -> int:
    value = decimal_value(text)
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number")
    return int(value)


def bool_value(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not yes or no (true/false, 1/0, 是/否)")


def list_value(text: str) -> tuple[str, ...]:
    """Values separated by ``;`` or ``,`` (either width), empty ones dropped."""
    return tuple(part.strip() for part in LIST_SEPARATORS.split(text) if part.strip())


def converted(
    record: Record, column: str, convert: Callable[[str], T], errors: list[RowError],
    default: T,
) -> T:
    """``convert`` of the column's text, ``default`` for an empty cell; a failure is recorded
    and gives the default, so the row's other columns are still checked."""
    text = record[column]
    if not text:
        return default
    try:
        return convert(text)
    except ValueError as error:
        errors.append(RowError(record.row, column, str(error)))
        return default


def mark_duplicates(
    parsed: Parsed[T], key: Callable[[T], Hashable], column: str, describe: Callable[[T], str],
) -> None:
    """Report every row repeating an earlier row's key; the first one stays."""
    first_row: dict[Hashable, int] = {}
    for row_number, item in parsed.rows:
        earlier = first_row.setdefault(key(item), row_number)
        if earlier != row_number:
            parsed.errors.append(RowError(row_number, column, f"repeats row {earlier} "
                                          f"({describe(item)})", "DUPLICATE"))


def settle(parsed: Parsed[T], skip_bad_rows: bool) -> tuple[list[T], list[RowError]]:
    """The rows to write and the problems of those left out. Without ``skip_bad_rows`` one
    problem anywhere rejects the whole file."""
    errors = sorted(parsed.errors, key=lambda error: error.row)
    if errors and not skip_bad_rows:
        raise FileRejected(errors)
    bad = parsed.bad_rows
    return [item for row, item in parsed.rows if row not in bad], errors
