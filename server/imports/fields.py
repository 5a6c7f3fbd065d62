"""From a catalog rule's problem to the cell it concerns: the rules name GraphQL input fields
(``unitOfMeasure``, ``barcodes[1].packQuantity``), an import report names the file's columns."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from server.errors import Problem
from server.imports.report import RowError

_INDEX = re.compile(r"\[\d+\]")


def row_errors(
    row: int, problems: Iterable[Problem], columns: Mapping[str, str]
) -> list[RowError]:
    """Each problem as a RowError on the column its field maps to: the exact field first
    (``barcodes[1].barcode``), then the field with its list indexes dropped (``tags``)."""
    errors = []
    for problem in problems:
        field = problem.field or ""
        column = columns.get(field) or columns.get(_INDEX.sub("", field)) or field
        errors.append(RowError(row, column, problem.message, problem.code))
    return errors
