"""Scalars stricter than strawberry's: a Decimal that is always a finite, storable number.

Strawberry's own Decimal takes ``NaN``, ``Infinity``, ``1e400`` and ``1_000`` at face value;
they would reach the use cases, compare oddly (NaN is neither above nor below zero) and end as a
database error. Every quantity and amount column is NUMERIC(18, 4), but SQLite keeps NUMERIC as
a double, exact to 15 significant digits: with the 4 places after the point, 11 before it.
Larger figures are refused where the request is read, with a message saying why, so whatever is
accepted is stored exactly on both databases.
"""

from __future__ import annotations

import re
from decimal import Decimal, DecimalException

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

DECIMAL_LIMIT_DIGITS = 11
# Plain numerals only: Python's Decimal would also take "1_000", "Infinity" and "sNaN".
NUMERAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_decimal(value: object) -> Decimal:
    """A request's Decimal: a string or a JSON number, finite and below DECIMAL_LIMIT."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise StrawberryInputCoercionError(
            f"Value cannot represent a Decimal: {repr(value)[:40]}. Send a number as a string, "
            "e.g. \"12.5\"")
    text = str(value).strip()
    if text.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
        raise StrawberryInputCoercionError(
            f"Value cannot represent a Decimal: {text!r}. Only finite numbers are accepted")
    if not NUMERAL.fullmatch(text):
        raise StrawberryInputCoercionError(
            f"Value cannot represent a Decimal: {text[:40]!r}. Expected a number like 12.5 or -3")
    try:
        number = Decimal(text)
    except DecimalException:
        raise StrawberryInputCoercionError(
            f"Value cannot represent a Decimal: {text[:40]!r}. Not a number") from None
    if number.is_zero():
        return Decimal(0)
    # adjusted() is the exponent of the leading digit: no arithmetic, so no overflow either.
    if number.adjusted() >= DECIMAL_LIMIT_DIGITS:
        raise StrawberryInputCoercionError(
            f"Value cannot represent a Decimal: {text[:40]!r}. Out of range: it must be "
            "less than 10^11 in size")
    return number


BoundedDecimal = ScalarDefinition(
    name="Decimal",
    description="Decimal (fixed-point), finite, less than 10^11 in size, sent as a string",
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal,
    parse_literal=None,
    origin=Decimal,
)
SCALAR_OVERRIDES = {Decimal: BoundedDecimal}
