"""The reports' rounding: half away from zero, as PostgreSQL's round(), and never a negative
zero, which PostgreSQL cannot write: both databases answer the same text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.finance.reports import money, quantity


@pytest.mark.parametrize(("raw", "cents"), [
    (Decimal("2.675"), "2.68"), (Decimal("-2.675"), "-2.68"), (Decimal("0.004"), "0.00"),
    (Decimal("-0.004"), "0.00"), (Decimal("-0.0050"), "-0.01"), (None, "0.00"),
    (2.675, "2.68"),  # SQLite's float sum, read from its shortest text
    (-1e-17, "0.00"), (3, "3.00"),
])
def test_money(raw: Decimal | float | int | None, cents: str) -> None:
    assert str(money(raw)) == cents


@pytest.mark.parametrize(("raw", "text"), [
    (Decimal("1.23455"), "1.2346"), (Decimal("-0.00004"), "0.0000"), (None, "0.0000"),
    (-1e-17, "0.0000"), (Decimal(12), "12.0000"),
])
def test_quantity(raw: Decimal | float | int | None, text: str) -> None:
    assert str(quantity(raw)) == text
