"""Pure rules of picking and shipping: what a release puts on a pick list and in which order, what
a pick confirmation may say, how a short pick splits, and what a shipment makes of an order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from server.errors import Problem
from server.idempotency import key_problem
from server.inventory.moves import MAX_LOT_LENGTH, amount_problem, plain
from server.inventory.rules import lot_of
from server.sales.models import PickLineStatus, SalesOrderState

ZERO = Decimal(0)
MAX_ORDERS_PER_RELEASE = 100
MAX_SHORT_REASON_LENGTH = 400
MAX_TEXT_LENGTH = 100  # carrier and tracking number columns
OPEN_ORDER_STATES = frozenset({SalesOrderState.OPEN.value,
                               SalesOrderState.PARTIALLY_SHIPPED.value})

# Which reserved stock a pick line is for: order line, bin, lot.
StockKey = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class HeldStock:
    """A reservation as a release sees it: so much of a lot in a bin for one order line, with
    the names walking order sorts by."""

    order_line_id: int
    product_id: int
    location_id: int
    lot: str
    quantity: Decimal
    bin_code: str
    sku: str
    order_number: str
    order_line_no: int

    @property
    def key(self) -> StockKey:
        return (self.order_line_id, self.location_id, self.lot)


def to_pick(held: Iterable[HeldStock], on_open_lists: Mapping[StockKey, Decimal]
            ) -> list[tuple[HeldStock, Decimal]]:
    """What a release picks: each reservation less what open pick lists still have to pick of
    it, in walking order (bin, then SKU and lot; then order and line, so it is stable)."""
    found = [(stock, stock.quantity - on_open_lists.get(stock.key, ZERO)) for stock in held]
    return sorted(((stock, quantity) for stock, quantity in found if quantity > 0),
                  key=lambda item: (item[0].bin_code, item[0].sku, item[0].lot,
                                    item[0].order_number, item[0].order_line_no))


def release_problems(numbers: Sequence[str], idempotency_key: str) -> list[Problem]:
    problems = [key_problem(idempotency_key)]
    if not numbers:
        problems.append(Problem("INVALID_INPUT", "name at least one sales order",
                                "salesOrderNumbers"))
    elif len(set(numbers)) > MAX_ORDERS_PER_RELEASE:
        problems.append(Problem("INVALID_INPUT", f"release at most {MAX_ORDERS_PER_RELEASE} "
                                "orders at once", "salesOrderNumbers"))
    return [p for p in problems if p is not None]


def one_warehouse_problem(warehouse_of_order: Mapping[str, str]) -> Problem | None:
    """A pick list is walked in one warehouse."""
    codes = sorted(set(warehouse_of_order.values()))
    if len(codes) <= 1:
        return None
    return Problem("INVALID_INPUT", "one pick list serves one warehouse; these orders are in "
                   f"{', '.join(codes)}: release them separately", "salesOrderNumbers")


def one_customer_problem(customer_of_order: Mapping[str, str]) -> Problem | None:
    """A pick list becomes one shipment, delivered and invoiced to one customer."""
    codes = sorted(set(customer_of_order.values()))
    if len(codes) <= 1:
        return None
    return Problem("INVALID_INPUT", "one pick list ships to one customer; these orders are for "
                   f"{', '.join(codes)}: release them separately", "salesOrderNumbers")


@dataclass(frozen=True, slots=True)
class PickRequest:
    """One confirmation from the handheld: at the bin scanned, so much of the line was picked
    and so much (with a reason) was not there."""

    pick_list_number: str
    line_no: int
    bin_barcode: str
    quantity: Decimal
    idempotency_key: str
    product_barcode: str | None = None
    sku: str | None = None
    lot: str | None = None
    short_quantity: Decimal = ZERO
    short_reason: str | None = None
    based_on_version: int | None = None


def pick_request_problems(request: PickRequest) -> list[Problem]:
    """What is wrong with a confirmation before anything is looked up."""
    problems = [
        amount_problem(request.quantity, "quantity"),
        amount_problem(request.short_quantity, "shortQuantity"),
        key_problem(request.idempotency_key),
    ]
    quantity, short = request.quantity, request.short_quantity
    if quantity.is_finite() and quantity < 0:
        problems.append(Problem("INVALID_INPUT", "quantity must not be negative", "quantity"))
    if short.is_finite() and short < 0:
        problems.append(Problem("INVALID_INPUT", "shortQuantity must not be negative",
                                "shortQuantity"))
    if quantity.is_finite() and short.is_finite() and quantity == 0 and short == 0:
        problems.append(Problem("INVALID_INPUT", "confirm a picked or a short quantity",
                                "quantity"))
    reason = (request.short_reason or "").strip()
    if short.is_finite() and short > 0 and not reason:
        problems.append(Problem("INVALID_INPUT", "say why the stock was short", "shortReason"))
    if len(reason) > MAX_SHORT_REASON_LENGTH:
        problems.append(Problem("INVALID_INPUT", f"shortReason may have at most "
                                f"{MAX_SHORT_REASON_LENGTH} characters", "shortReason"))
    if not request.bin_barcode.strip():
        problems.append(Problem("INVALID_INPUT", "scan the bin", "binBarcode"))
    if quantity.is_finite() and quantity > 0 and not (request.product_barcode or request.sku):
        problems.append(Problem("INVALID_INPUT", "scan the product (productBarcode) or give its "
                                "sku", "productBarcode"))
    if len(lot_of(request.lot)) > MAX_LOT_LENGTH:
        problems.append(Problem("INVALID_INPUT", f"lot may have at most {MAX_LOT_LENGTH} "
                                "characters", "lot"))
    return [p for p in problems if p is not None]


@dataclass(frozen=True, slots=True)
class PickTarget:
    """What the pick line asks for."""

    location_id: int
    bin_code: str
    product_id: int
    sku: str
    lot: str


@dataclass(frozen=True, slots=True)
class PickScan:
    """What was scanned: the bin (None when the scan is no bin), the product (None when none
    was given) and its lot (None when neither the label nor the input carried one)."""

    bin_scan: str
    location_id: int | None
    product_id: int | None
    product_scan: str | None
    lot: str | None


def scan_problems(target: PickTarget, scan: PickScan, picking: bool) -> list[Problem]:
    """The scanned bin must be the line's; a product given must be the line's; when picking
    from a line with a lot, the lot must be given and be the line's."""
    problems = []
    if scan.location_id != target.location_id:
        problems.append(Problem("WRONG_BIN", f"{scan.bin_scan.strip()!r} is not the bin to pick "
                                f"from: go to {target.bin_code}", "binBarcode"))
    if scan.product_scan is not None and scan.product_id != target.product_id:
        problems.append(Problem("WRONG_PRODUCT", f"{scan.product_scan.strip()!r} is not "
                                f"{target.sku}", "productBarcode"))
    if picking and target.lot and scan.lot != target.lot:
        found = f"lot {scan.lot}" if scan.lot else "no lot"
        problems.append(Problem("WRONG_LOT", f"scanned {found}: pick lot {target.lot} of "
                                f"{target.sku}", "lot"))
    return problems


def over_pick_problem(remaining: Decimal, picked: Decimal, short: Decimal) -> Problem | None:
    if picked + short <= remaining:
        return None
    return Problem("OVER_PICK", f"picked {plain(picked)} and short {plain(short)} are more than "
                   f"the {plain(remaining)} still to pick on this line", "quantity")


def line_status(quantity: Decimal, picked: Decimal, short: Decimal) -> PickLineStatus:
    """Open while anything is undecided; short when nothing of it was found."""
    if picked + short < quantity:
        return PickLineStatus.OPEN
    return PickLineStatus.SHORT if picked == 0 else PickLineStatus.PICKED


def backorder_after_short(shortfall: Decimal, re_reserved: Decimal) -> Decimal:
    """What a short pick leaves waiting for stock once other bins gave what they could."""
    return max(shortfall - re_reserved, ZERO)


def all_decided(statuses: Iterable[str]) -> bool:
    return all(status != PickLineStatus.OPEN.value for status in statuses)


@dataclass(frozen=True, slots=True)
class LineProgress:
    reserved: Decimal
    backordered: Decimal
    picked: Decimal


def state_after_shipment(lines: Iterable[LineProgress]) -> SalesOrderState:
    """Shipped when no line has anything left to ship (reserved, backordered or picked); what
    a cancellation or a reduction released is no longer owed."""
    outstanding = any(line.reserved + line.backordered + line.picked > 0 for line in lines)
    return SalesOrderState.PARTIALLY_SHIPPED if outstanding else SalesOrderState.SHIPPED


@dataclass(frozen=True, slots=True)
class PickedStock:
    """Picked stock of one pick line waiting on a staging bin."""

    order_line_id: int
    product_id: int
    location_id: int
    lot: str
    quantity: Decimal


def shipment_lines(picked: Iterable[PickedStock]) -> list[PickedStock]:
    """One shipment line per order line, staging bin and lot, in the order first picked."""
    merged: dict[tuple[int, int, str], PickedStock] = {}
    for stock in picked:
        key = (stock.order_line_id, stock.location_id, stock.lot)
        before = merged.get(key)
        merged[key] = stock if before is None else PickedStock(
            stock.order_line_id, stock.product_id, stock.location_id, stock.lot,
            before.quantity + stock.quantity)
    return [stock for stock in merged.values() if stock.quantity > 0]


def shipment_problems(carrier: str, tracking_number: str, idempotency_key: str) -> list[Problem]:
    problems = [key_problem(idempotency_key)]
    for value, field in ((carrier, "carrier"), (tracking_number, "trackingNumber")):
        if not value.strip():
            problems.append(Problem("INVALID_INPUT", f"{field} must not be empty", field))
        elif len(value.strip()) > MAX_TEXT_LENGTH:
            problems.append(Problem("INVALID_INPUT", f"{field} may have at most "
                                    f"{MAX_TEXT_LENGTH} characters", field))
    return [p for p in problems if p is not None]
