"""Pure sales-return rules over plain data: the shape of a return request, how much of an order
line may still come back, how a quantity is spread over lines, the cost the goods left with, and
the state a return is in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from server.errors import Problem
from server.idempotency import key_problem
from server.inventory.moves import MAX_LOT_LENGTH, amount_problem, plain
from server.inventory.valuation import round4
from server.sales.return_models import SalesReturnState

ZERO = Decimal(0)
MAX_REASON_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class ReturnLineDraft:
    sku: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class SalesReturnDraft:
    sales_order_number: str
    lines: Sequence[ReturnLineDraft]
    reason: str
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    """What arrived at the dock of one product: scanned by barcode or keyed in by SKU."""

    quantity: Decimal
    barcode: str | None = None
    sku: str | None = None
    lot: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnReceiptRequest:
    document: str
    warehouse_code: str
    idempotency_key: str
    lines: Sequence[ReturnedLine]


@dataclass(frozen=True, slots=True)
class Room:
    """A line a quantity may be spread over: its number and how much more it may take."""

    line_no: int
    room: Decimal


def _quantity_problems(quantity: Decimal, field: str) -> list[Problem | None]:
    problems = [amount_problem(quantity, field)]
    if quantity.is_finite() and quantity <= 0:
        problems.append(Problem("INVALID_INPUT", f"quantity must be greater than 0 (got "
                                f"{quantity})", field))
    return problems


def draft_problems(draft: SalesReturnDraft) -> list[Problem]:
    problems: list[Problem | None] = [key_problem(draft.idempotency_key)]
    if not draft.sales_order_number.strip():
        problems.append(Problem("INVALID_INPUT", "name the sales order", "salesOrderNumber"))
    if not draft.reason.strip():
        problems.append(Problem("INVALID_INPUT", "say why the goods come back", "reason"))
    elif len(draft.reason) > MAX_REASON_LENGTH:
        problems.append(Problem("INVALID_INPUT", f"a reason has at most {MAX_REASON_LENGTH} "
                                "characters", "reason"))
    if not draft.lines:
        problems.append(Problem("INVALID_INPUT", "return at least one line", "lines"))
    seen: set[str] = set()
    for index, line in enumerate(draft.lines):
        sku = line.sku.strip()
        if not sku:
            problems.append(Problem("INVALID_INPUT", "name the SKU", f"lines[{index}].sku"))
        elif sku in seen:
            problems.append(Problem("INVALID_INPUT", f"{sku} is on two lines: give it once",
                                    f"lines[{index}].sku"))
        seen.add(sku)
        problems.extend(_quantity_problems(line.quantity, f"lines[{index}].quantity"))
    return [p for p in problems if p is not None]


def receipt_problems(request: ReturnReceiptRequest) -> list[Problem]:
    problems: list[Problem | None] = [key_problem(request.idempotency_key)]
    if not request.document.strip():
        problems.append(Problem("INVALID_INPUT", "scan the return number", "document"))
    if not request.warehouse_code.strip():
        problems.append(Problem("INVALID_INPUT", "name the warehouse", "warehouseCode"))
    if not request.lines:
        problems.append(Problem("INVALID_INPUT", "scan at least one product", "lines"))
    for index, line in enumerate(request.lines):
        where = f"lines[{index}]"
        problems.extend(_quantity_problems(line.quantity, f"{where}.quantity"))
        if (line.barcode is None) == (line.sku is None):
            problems.append(Problem("INVALID_INPUT", "give either a barcode or a SKU", where))
        if line.lot is not None and len(line.lot) > MAX_LOT_LENGTH:
            problems.append(Problem("INVALID_INPUT", f"a lot has at most {MAX_LOT_LENGTH} "
                                    "characters", f"{where}.lot"))
    return [p for p in problems if p is not None]


def decision_problems(restock: Decimal, scrap: Decimal, undecided: Decimal) -> list[Problem]:
    """Restock and scrap are each 0 or more, together more than 0 and at most ``undecided``."""
    problems: list[Problem | None] = [amount_problem(restock, "restockQuantity"),
                                      amount_problem(scrap, "scrapQuantity")]
    if any(p is not None for p in problems):
        return [p for p in problems if p is not None]
    negative = [Problem("INVALID_INPUT", f"must not be negative (got {amount})", field)
                for amount, field in ((restock, "restockQuantity"), (scrap, "scrapQuantity"))
                if amount < 0]
    if negative:
        return negative
    if restock + scrap <= 0:
        return [Problem("INVALID_INPUT", "restock or scrap something", "restockQuantity")]
    if restock + scrap > undecided:
        return [Problem("OVER_INSPECTION", f"{plain(restock + scrap)} decided but only "
                        f"{plain(undecided)} wait for inspection", "restockQuantity")]
    return []


def spread(quantity: Decimal, lines: Sequence[Room]) -> list[tuple[int, Decimal]] | None:
    """Fill the lines in order, each up to its room; None when they cannot take it all."""
    left = quantity
    parts: list[tuple[int, Decimal]] = []
    for line in lines:
        part = min(left, max(line.room, ZERO))
        if part > 0:
            parts.append((line.line_no, part))
            left -= part
    return None if left > 0 else parts


def over_return_problem(
    sku: str, order_number: str, shipped: Decimal, returned: Decimal, requested: Decimal,
    field: str,
) -> Problem:
    room = max(shipped - returned, ZERO)
    return Problem("OVER_RETURN", f"{sku}: shipped {plain(shipped)} on {order_number}, "
                   f"{plain(returned)} returned already, at most {plain(room)} more can be "
                   f"returned; got {plain(requested)}", field)


def over_receipt_problem(
    sku: str, return_number: str, expected: Decimal, received: Decimal, got: Decimal, field: str
) -> Problem:
    room = max(expected - received, ZERO)
    return Problem("OVER_RECEIPT", f"{sku}: {plain(expected)} expected back on {return_number}, "
                   f"{plain(received)} received already, at most {plain(room)} more; got "
                   f"{plain(got)}", field)


def left_with_cost(shipped: Sequence[tuple[Decimal, Decimal]]) -> Decimal:
    """The unit cost goods of one order line left with: the quantity-weighted average of its
    shipments' costs, as (quantity, unit cost) pairs."""
    quantity = sum((q for q, _ in shipped), ZERO)
    if quantity <= 0:
        raise ValueError("nothing shipped: no cost to return at")
    return round4(sum((q * cost for q, cost in shipped), ZERO) / quantity)


@dataclass(frozen=True, slots=True)
class LineProgress:
    quantity: Decimal
    received: Decimal
    decided: Decimal


def state_of(lines: Sequence[LineProgress]) -> SalesReturnState:
    received = sum((line.received for line in lines), ZERO)
    if received == 0:
        return SalesReturnState.OPEN
    if any(line.received < line.quantity for line in lines):
        return SalesReturnState.PARTIALLY_RECEIVED
    if any(line.decided < line.received for line in lines):
        return SalesReturnState.RECEIVED
    return SalesReturnState.CLOSED
