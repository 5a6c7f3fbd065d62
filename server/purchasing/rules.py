"""Pure purchasing rules over plain data: line validation, approval facts, shipping tolerance and
what an order still has on order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from server.errors import Problem

MONEY_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class LineDraft:
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None
    requested_date: date | None = None


@dataclass(frozen=True, slots=True)
class LineFacts:
    """One line as an approval condition sees it."""

    sku: str
    category: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(MONEY_PLACES)


def line_problems(
    lines: Sequence[LineDraft], order_date: date, field: str = "lines"
) -> list[Problem]:
    problems: list[Problem] = []
    if not lines:
        problems.append(Problem("INVALID_INPUT", "an order needs at least one line", field))
    for index, line in enumerate(lines):
        where = f"{field}[{index}]"
        if not line.quantity.is_finite() or line.quantity <= 0:
            problems.append(Problem("INVALID_INPUT",
                                    f"quantity must be greater than 0 (got {line.quantity})",
                                    f"{where}.quantity"))
        if line.unit_price is not None and (not line.unit_price.is_finite() or line.unit_price < 0):
            problems.append(Problem("INVALID_INPUT",
                                    f"unit price must not be negative (got {line.unit_price})",
                                    f"{where}.unitPrice"))
        if line.requested_date is not None and line.requested_date < order_date:
            problems.append(Problem("INVALID_INPUT", "requested date lies before the order date",
                                    f"{where}.requestedDate"))
    return problems


def order_total(lines: Sequence[LineFacts]) -> Decimal:
    return sum((line.amount for line in lines), Decimal(0)).quantize(MONEY_PLACES)


def approval_facts(
    supplier_code: str, warehouse_code: str, currency: str, lines: Sequence[LineFacts]
) -> dict[str, Any]:
    """What an approval condition may test: ``amount``, ``supplier``, ``warehouse``,
    ``currency``, ``category`` (of the line with the largest amount), ``categories`` and
    ``lines`` (each with sku, category, quantity, unitPrice, amount)."""
    by_amount = sorted(lines, key=lambda line: line.amount, reverse=True)
    return {
        "amount": order_total(lines),
        "supplier": supplier_code,
        "warehouse": warehouse_code,
        "currency": currency,
        "category": by_amount[0].category if by_amount else "",
        "categories": sorted({line.category for line in lines}),
        "lines": [
            {"sku": line.sku, "category": line.category, "quantity": line.quantity,
             "unitPrice": line.unit_price, "amount": line.amount}
            for line in lines
        ],
    }


SAMPLE_FACTS = approval_facts("SUP", "WH", "CNY", [LineFacts("SKU", "category", Decimal(1),
                                                             Decimal(1))])


def shipping_allowance(ordered: Decimal, tolerance_pct: Decimal) -> Decimal:
    """The most a supplier may ship on a line: the order plus its over-receipt tolerance."""
    return (ordered * (1 + tolerance_pct / 100)).quantize(MONEY_PLACES)


def still_on_order(ordered: Decimal, shipped: Decimal, closed: bool) -> Decimal:
    """What a line still has on order: ordered but not shipped, nothing once closed short."""
    if closed:
        return Decimal(0)
    return max(ordered - shipped, Decimal(0))
