"""Three-way match of one supplier invoice line against its purchase order line (price) and the
goods accepted on it (quantity), as plain functions over numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from server.errors import Problem
from server.finance.models import MatchResult

CENT = Decimal("0.01")
ZERO = Decimal(0)
MAX_INVOICE_LINES = 500


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Tolerances:
    price_pct: Decimal = ZERO
    quantity_pct: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class LineMatch:
    result: MatchResult
    price_variance: Decimal  # (invoice − PO price) × quantity when beyond tolerance, else 0
    quantity_variance: Decimal  # excess over what is left to invoice × invoice price, else 0


def match_line(
    quantity: Decimal, unit_price: Decimal, order_price: Decimal, accepted_left: Decimal,
    tolerances: Tolerances,
) -> LineMatch:
    """``accepted_left`` is what was accepted on the PO line and not yet invoiced. A line with
    nothing left is NOT_RECEIVED; one invoicing more than is left, beyond the quantity tolerance,
    is a QUANTITY_VARIANCE; one priced beyond the price tolerance is a PRICE_VARIANCE. When both
    apply the quantity wins the result and both amounts are kept."""
    left = max(accepted_left, ZERO)
    excess = quantity - left
    quantity_beyond = excess > left * tolerances.quantity_pct / 100
    price_beyond = abs(unit_price - order_price) > order_price * tolerances.price_pct / 100
    price_variance = money((unit_price - order_price) * quantity) if price_beyond else ZERO
    quantity_variance = money(excess * unit_price) if quantity_beyond else ZERO
    if left == 0:
        result = MatchResult.NOT_RECEIVED
    elif quantity_beyond:
        result = MatchResult.QUANTITY_VARIANCE
    elif price_beyond:
        result = MatchResult.PRICE_VARIANCE
    else:
        result = MatchResult.MATCHED
    return LineMatch(result, price_variance, quantity_variance)


def all_matched(results: Sequence[MatchResult]) -> bool:
    return all(result is MatchResult.MATCHED for result in results)


@dataclass(frozen=True, slots=True)
class InvoiceLineDraft:
    po_number: str
    line_no: int
    quantity: Decimal
    unit_price: Decimal


def invoice_problems(
    invoice_number: str, currency: str, tax: Decimal, lines: Sequence[InvoiceLineDraft]
) -> list[Problem]:
    """What is wrong with an invoice before any lookup, all at once."""
    problems: list[Problem] = []
    if not invoice_number.strip() or len(invoice_number.strip()) > 64:
        problems.append(Problem("INVALID_INPUT", "an invoice number has 1 to 64 characters",
                                "invoiceNumber"))
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        problems.append(Problem("INVALID_INPUT", "a currency is a three-letter ISO code",
                                "currency"))
    if tax < 0 or tax != money(tax):
        problems.append(Problem("INVALID_INPUT", "tax is an amount of 0 or more in cents", "tax"))
    if not lines:
        problems.append(Problem("INVALID_INPUT", "an invoice has at least one line", "lines"))
    if len(lines) > MAX_INVOICE_LINES:
        problems.append(Problem("INVALID_INPUT",
                                f"an invoice has at most {MAX_INVOICE_LINES} lines", "lines"))
    for index, line in enumerate(lines):
        field = f"lines[{index}]"
        if line.quantity <= 0 or line.quantity != line.quantity.quantize(Decimal("0.0001")):
            problems.append(Problem("INVALID_INPUT", "a quantity is greater than 0, at most 4 "
                                    "decimals", f"{field}.quantity"))
        if line.unit_price < 0 or line.unit_price != line.unit_price.quantize(Decimal("0.0001")):
            problems.append(Problem("INVALID_INPUT", "a unit price is 0 or more, at most 4 "
                                    "decimals", f"{field}.unitPrice"))
    return problems
