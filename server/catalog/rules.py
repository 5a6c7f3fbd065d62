"""Pure validation of master data, shared by create and update; no database."""

from __future__ import annotations

import re
from decimal import Decimal

from server.errors import InvalidInput, Problem

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


def code_problem(value: str, field: str) -> Problem | None:
    if not CODE_PATTERN.match(value):
        return Problem(
            "INVALID_INPUT",
            f"{field} {value!r} must be 1-64 letters, digits or . _ / - (no spaces)",
            field,
        )
    return None


def name_problem(value: str, field: str = "name") -> Problem | None:
    if not value.strip():
        return Problem("INVALID_INPUT", f"{field} must not be empty", field)
    if len(value) > 200:
        return Problem("INVALID_INPUT", f"{field} may have at most 200 characters", field)
    return None


def not_negative_problem(value: Decimal | int | None, field: str) -> Problem | None:
    if value is not None and value < 0:
        return Problem("INVALID_INPUT", f"{field} must not be negative (got {value})", field)
    return None


def positive_problem(value: Decimal | int | None, field: str) -> Problem | None:
    if value is not None and value <= 0:
        return Problem("INVALID_INPUT", f"{field} must be greater than 0 (got {value})", field)
    return None


def currency_problem(value: str | None, field: str = "currency") -> Problem | None:
    if value is not None and not CURRENCY_PATTERN.match(value):
        return Problem("INVALID_INPUT", f"{field} must be an ISO 4217 code such as CNY", field)
    return None


def raise_problems(*candidates: Problem | None) -> None:
    """Raise every problem found at once, so the user fixes the input in one go."""
    problems = [p for p in candidates if p is not None]
    if problems:
        raise InvalidInput.of(problems)
