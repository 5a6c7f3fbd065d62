"""What an import says about a file: its bad rows and what it wrote. Neutral ground, so every
area's importer (the sales history too) reports in the same shape."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from server.errors import InvalidInput, Problem

HEADER_ROW = 1


@dataclass(frozen=True, slots=True)
class RowError:
    """One thing wrong with the file: its row as a spreadsheet shows it (the header is row 1),
    the column and why."""

    row: int
    column: str
    reason: str
    code: str = "INVALID_INPUT"


class FileRejected(InvalidInput):
    """The file has bad rows, listed in ``errors``; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} problems in the file: nothing imported", field="file")
        self.errors = sorted(errors, key=lambda error: error.row)
        self.problems = [Problem(error.code, f"row {error.row}, {error.column}: {error.reason}",
                                 f"rows[{error.row}].{error.column}") for error in self.errors]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """How many rows were written (created or updated) and, with skipping allowed, the rows
    left out and why."""

    imported: int
    created: int = 0
    updated: int = 0
    skipped: list[RowError] = field(default_factory=list)

    @property
    def skipped_rows(self) -> list[int]:
        return sorted({error.row for error in self.skipped})
