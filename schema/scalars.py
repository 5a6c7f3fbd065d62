"""Scalars stricter than strawberry's: a Decimal that is always a finite, storable number.

Strawberry's own Decimal takes ``NaN``, ``Infinity`` and ``1e400`` at face value; they would
reach the use cases, compare oddly (NaN is neither above nor below zero) and end as a database
error. Every quantity and amount column is NUMERIC(18, 4), so nothing at or beyond 10^14 can be
stored either: such values are refused where the request is read, with a message saying why.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

# NUMERIC(18, 4) keeps 14 digits before the point.
DECIMAL_LIMIT = Decimal(10) ** 14


def parse_decimal(value: object) -> Decimal:
    """A request's Decimal: a string or a JSON number, finite and below DECIMAL_LIMIT."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise StrawberryInputCoercionError(
            f"Decimal cannot represent {value!r}: send a number as a string, e.g. \"12.5\"")
    text = str(value).strip()
    try:
        number = Decimal(text)
    except DecimalException:
        raise StrawberryInputCoercionError(
            f"Decimal cannot represent {text[:40]!r}: not a number") from None
    if not number.is_finite():
        raise StrawberryInputCoercionError(
            f"Decimal cannot represent {text[:40]!r}: only finite numbers are accepted")
    if abs(number) >= DECIMAL_LIMIT:
        raise StrawberryInputCoercionError(
            f"Decimal {text[:40]!r} is out of range: it must be less than 10^14 in size")
    return number


BoundedDecimal = ScalarDefinition(
    name="Decimal",
    description="Decimal (fixed-point), finite, less than 10^14 in size, sent as a string",
    specified_by_url=None,
    serialize=str,
    parse_value=parse_decimal,
    parse_literal=None,
    origin=Decimal,
)
SCALAR_OVERRIDES = {Decimal: BoundedDecimal}
