"""Pure receiving rules over plain data: the shape of a receipt request, how a received quantity
is spread over the order's lines, where each part comes from, and when an order is complete."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from server.errors import Problem
from server.idempotency import key_problem
from server.inventory.models import Bucket
from server.inventory.moves import MAX_LOT_LENGTH, amount_problem
from server.purchasing.rules import still_on_order

ZERO = Decimal(0)
MAX_SERIAL_LENGTH = 64


@dataclass(frozen=True, slots=True)
class ReceiveLine:
    """One counted product: identified by a scanned barcode or keyed in by SKU; quantity in the
    product's base unit."""

    quantity: Decimal
    barcode: str | None = None
    sku: str | None = None
    lot: str | None = None
    expiry: date | None = None
    serials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReceiptRequest:
    document: str
    warehouse_code: str
    idempotency_key: str
    lines: Sequence[ReceiveLine] = ()
    based_on_version: int | None = None


@dataclass(frozen=True, slots=True)
class LineProgress:
    """A PO line as receiving sees it. ``allowance`` is the most it may receive in all (the order
    plus the supplier's tolerance)."""

    line_no: int
    ordered: Decimal
    shipped: Decimal
    received: Decimal
    closed: bool
    allowance: Decimal

    @property
    def receivable(self) -> Decimal:
        return max(self.allowance - self.received, ZERO)

    @property
    def in_transit(self) -> Decimal:
        return max(self.shipped - self.received, ZERO)


def request_problems(request: ReceiptRequest) -> list[Problem]:
    problems: list[Problem | None] = [key_problem(request.idempotency_key)]
    if not request.document.strip():
        problems.append(Problem("INVALID_INPUT", "scan the PO, ASN or pallet label", "document"))
    if not request.warehouse_code.strip():
        problems.append(Problem("INVALID_INPUT", "name the warehouse", "warehouseCode"))
    for index, line in enumerate(request.lines):
        problems.extend(_line_problems(line, f"lines[{index}]"))
    return [p for p in problems if p is not None]


def _line_problems(line: ReceiveLine, where: str) -> list[Problem | None]:
    problems = [amount_problem(line.quantity, f"{where}.quantity")]
    if line.quantity.is_finite() and line.quantity <= 0:
        problems.append(Problem("INVALID_INPUT", f"quantity must be greater than 0 (got "
                                f"{line.quantity})", f"{where}.quantity"))
    if (line.barcode is None) == (line.sku is None):
        problems.append(Problem("INVALID_INPUT", "give either a barcode or a SKU", where))
    if line.lot is not None and len(line.lot) > MAX_LOT_LENGTH:
        problems.append(Problem("INVALID_INPUT", f"a lot has at most {MAX_LOT_LENGTH} "
                                "characters", f"{where}.lot"))
    if line.serials:
        if len(set(line.serials)) != len(line.serials):
            problems.append(Problem("INVALID_INPUT", "serial numbers repeat", f"{where}.serials"))
        if any(not s.strip() or len(s) > MAX_SERIAL_LENGTH for s in line.serials):
            problems.append(Problem("INVALID_INPUT", "a serial number is blank or longer than "
                                    f"{MAX_SERIAL_LENGTH} characters", f"{where}.serials"))
        if line.quantity.is_finite() and len(line.serials) != line.quantity:
            problems.append(Problem("INVALID_INPUT", f"{len(line.serials)} serial numbers for a "
                                    f"quantity of {line.quantity}", f"{where}.serials"))
    return problems


def spread(quantity: Decimal, lines: Sequence[LineProgress]) -> list[tuple[int, Decimal]] | None:
    """Spread a received quantity of one product over the open lines carrying it: each line up to
    what it still expects, then any surplus onto lines with tolerance left, in line order. None
    when the lines cannot take it all (over-receipt)."""
    open_lines = [line for line in lines if receivable_now(line) > 0]
    taken: dict[int, Decimal] = {}
    left = quantity
    for limit in (_expected, receivable_now):
        for line in open_lines:
            room = limit(line) - taken.get(line.line_no, ZERO)
            part = min(left, max(room, ZERO))
            if part > 0:
                taken[line.line_no] = taken.get(line.line_no, ZERO) + part
                left -= part
    if left > 0:
        return None
    return [(line_no, taken[line_no]) for line_no in sorted(taken)]


def _expected(line: LineProgress) -> Decimal:
    if line.closed:
        return line.in_transit
    return min(max(line.ordered - line.received, ZERO), line.receivable)


def receivable_now(line: LineProgress) -> Decimal:
    """The most the line can still take: within tolerance, or once closed short only what was
    already in transit."""
    return line.in_transit if line.closed else line.receivable


def sources(line: LineProgress, quantity: Decimal) -> list[tuple[Bucket | None, Decimal]]:
    """Where a received quantity comes from: what the supplier announced is in transit, then what
    is still on order, and any surplus within tolerance from outside. The caller adds all but
    the in-transit part to the line's shipped quantity, so shipped − received stays what is in
    transit."""
    from_transit = min(quantity, line.in_transit)
    from_order = min(quantity - from_transit,
                     still_on_order(line.ordered, line.shipped, line.closed))
    parts = [(Bucket.IN_TRANSIT, from_transit), (Bucket.ON_ORDER, from_order),
             (None, quantity - from_transit - from_order)]
    return [(bucket, part) for bucket, part in parts if part > 0]


def fully_received(lines: Sequence[LineProgress]) -> bool:
    """Every line has all it ordered, or was closed short with nothing left in transit."""
    return all((line.closed and line.in_transit == 0) or line.received >= line.ordered
               for line in lines)


def on_time(received_on: date, confirmed: date | None, requested: date | None) -> bool | None:
    """Against the supplier's promise, else the requested date; None when neither was given."""
    due = confirmed or requested
    return None if due is None else received_on <= due
