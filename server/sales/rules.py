"""Pure sales rules over plain data: order validation, which stock to reserve first, who waits
first for stock, shortage messages, price and requisition defaults. No database."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from server.catalog.rules import code_problem, currency_problem, text_problem
from server.errors import DomainError, Problem
from server.idempotency import key_problem
from server.inventory.moves import amount_problem, plain
from server.sales.models import ShortagePolicy

ZERO = Decimal(0)
MAX_LINES = 200
MAX_NOTES_LENGTH = 2000
MAX_REASON_LENGTH = 400
MONEY_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class SalesLineDraft:
    """A line as the caller gives it; ``line_no`` names an existing line in an update."""

    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None
    requested_date: date | None = None
    line_no: int | None = None


@dataclass(frozen=True, slots=True)
class SalesOrderDraft:
    customer_code: str
    warehouse_code: str
    lines: Sequence[SalesLineDraft]
    shortage_policy: ShortagePolicy = ShortagePolicy.REJECT
    region: str | None = None  # default: the customer's
    salesperson: str | None = None  # a username; default: the customer's salesperson
    notes: str = ""
    currency: str | None = None  # default: CNY
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True)
class SalesOrderChanges:
    """``lines`` replaces the order's lines: a line named by ``line_no`` keeps its progress,
    an unnamed line is added, a line left out is removed."""

    number: str
    based_on_version: int
    lines: Sequence[SalesLineDraft] | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Shortage:
    """A line that could not be reserved whole: ``index`` is its place in the input."""

    index: int
    line_no: int | None
    sku: str
    requested: Decimal
    available: Decimal
    expected_date: date | None = None
    expected_quantity: Decimal | None = None

    @property
    def short(self) -> Decimal:
        return self.requested - self.available

    def message(self) -> str:
        line = f"line {self.line_no}" if self.line_no is not None else f"line {self.index + 1}"
        return (f"{line}: {plain(self.requested)} {self.sku} requested, "
                f"{plain(self.available)} available now; "
                f"{expected_text(self.expected_date, self.expected_quantity)}")


class ShortageRefused(DomainError):
    """A REJECT order (or increase) that cannot be reserved whole: nothing was saved. One
    problem per short line, its field the line's quantity."""

    code = "INSUFFICIENT_STOCK"

    def __init__(self, shortages: Sequence[Shortage]) -> None:
        super().__init__(shortages[0].message())
        self.problems = [Problem(self.code, s.message(), f"lines[{s.index}].quantity")
                         for s in shortages]
        self.shortages = list(shortages)


@dataclass(frozen=True, slots=True)
class StockSpot:
    """Available stock of one lot in one bin, with what is known of the lot."""

    location_id: int
    location_code: str
    lot: str
    quantity: Decimal
    expiry: date | None = None
    first_received_at: datetime | None = None  # None: the lot is not registered (or no lot)


def expected_text(on: date | None, quantity: Decimal | None) -> str:
    if on is None or quantity is None:
        return "no supply expected"
    return f"{plain(quantity)} more expected on {on.isoformat()}"


def _line_problems(
    lines: Sequence[SalesLineDraft], earliest: date, named: bool
) -> list[Problem]:
    problems: list[Problem | None] = []
    if not lines:
        problems.append(Problem("INVALID_INPUT", "an order needs at least one line", "lines"))
    if len(lines) > MAX_LINES:
        problems.append(Problem("INVALID_INPUT", f"an order has at most {MAX_LINES} lines",
                                "lines"))
    seen: set[int] = set()
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        problems.append(code_problem(line.sku, f"{where}.sku"))
        problems.append(amount_problem(line.quantity, f"{where}.quantity"))
        if line.quantity.is_finite() and line.quantity <= 0:
            problems.append(Problem("INVALID_INPUT", f"quantity must be greater than 0 (got "
                                    f"{line.quantity})", f"{where}.quantity"))
        if line.unit_price is not None:
            problems.append(amount_problem(line.unit_price, f"{where}.unitPrice"))
            if line.unit_price.is_finite() and line.unit_price < 0:
                problems.append(Problem("INVALID_INPUT", "unit price must not be negative",
                                        f"{where}.unitPrice"))
        if line.requested_date is not None and line.requested_date < earliest:
            problems.append(Problem("INVALID_INPUT", "requested date lies before the order date",
                                    f"{where}.requestedDate"))
        if line.line_no is not None:
            if not named:
                problems.append(Problem("INVALID_INPUT", "a new order numbers its own lines; "
                                        "leave lineNo out", f"{where}.lineNo"))
            elif line.line_no in seen:
                problems.append(Problem("INVALID_INPUT", f"line {line.line_no} is named twice",
                                        f"{where}.lineNo"))
            seen.add(line.line_no)
    return [p for p in problems if p is not None]


def draft_problems(draft: SalesOrderDraft, today: date) -> list[Problem]:
    problems = [
        code_problem(draft.customer_code, "customerCode"),
        code_problem(draft.warehouse_code, "warehouseCode"),
        text_problem(draft.region, "region", 100, required=False),
        text_problem(draft.notes, "notes", MAX_NOTES_LENGTH, required=False),
        currency_problem(draft.currency),
        key_problem(draft.idempotency_key) if draft.idempotency_key is not None else None,
    ]
    return [p for p in problems if p is not None] + _line_problems(draft.lines, today, False)


def changes_problems(changes: SalesOrderChanges, order_date: date) -> list[Problem]:
    """Requested dates may not lie before ``order_date`` (the order's, so a line keeps the date
    it was taken with)."""
    problems = [text_problem(changes.notes, "notes", MAX_NOTES_LENGTH, required=False)]
    found = [p for p in problems if p is not None]
    if changes.lines is not None:
        found += _line_problems(changes.lines, order_date, True)
    return found


def reserve_order(spots: Iterable[StockSpot]) -> list[StockSpot]:
    """Which stock goes first: the first to expire (no expiry last), then the first received
    (unregistered lots last), then by bin code and lot."""
    far = datetime.max.replace(tzinfo=None)
    return sorted(spots, key=lambda s: (
        s.expiry is None, s.expiry or date.max,
        s.first_received_at is None,
        (s.first_received_at.replace(tzinfo=None) if s.first_received_at else far),
        s.location_code, s.lot,
    ))


def take(
    spots: Sequence[StockSpot], quantity: Decimal, *, last_first: bool = False
) -> list[tuple[StockSpot, Decimal]]:
    """Up to ``quantity`` from ``spots`` in ``reserve_order`` (reversed with ``last_first``:
    a release gives back what would have been reserved last): (spot, how much) pairs."""
    taken: list[tuple[StockSpot, Decimal]] = []
    wanted = quantity
    ordered = reserve_order(spots)
    for spot in reversed(ordered) if last_first else ordered:
        if wanted <= 0:
            break
        part = min(spot.quantity, wanted)
        if part > 0:
            taken.append((spot, part))
            wanted -= part
    return taken


def waiting_order_key(
    requested_date: date | None, ordered_at: datetime, order_id: int, line_no: int
) -> tuple[bool, date, datetime, int, int]:
    """Backorders are served by requested date (none last), then by when the order was taken."""
    return (requested_date is None, requested_date or date.max,
            ordered_at.replace(tzinfo=None), order_id, line_no)


def unit_price_of(given: Decimal | None, list_price: Decimal) -> Decimal:
    return given if given is not None else list_price


def release_split(
    backordered: Decimal, reserved: Decimal, amount: Decimal
) -> tuple[Decimal, Decimal]:
    """A decrease of ``amount`` releases the backorder first, then reserved stock: (from the
    backorder, from the reservation). The caller has checked that the two cover it."""
    from_backorder = min(backordered, amount)
    return from_backorder, min(reserved, amount - from_backorder)


def requisition_quantity(short: Decimal, moq: Decimal, pack_multiple: Decimal) -> Decimal:
    """What to buy for a shortfall: at least the supplier's MOQ, in whole packs."""
    wanted = max(short, moq)
    packs = math.ceil(wanted / pack_multiple)
    return pack_multiple * packs


def crossed_below(before: Decimal, after: Decimal, threshold: Decimal) -> bool:
    """True once per crossing: the level was at or above the threshold and now is below."""
    return threshold > 0 and before >= threshold > after


def policy_refuses(policy: ShortagePolicy, shortages: Sequence[Shortage]) -> bool:
    return policy is ShortagePolicy.REJECT and any(s.short > 0 for s in shortages)


@dataclass(frozen=True, slots=True)
class LineRequest:
    """Stock one line asks for: ``pair`` is its product × warehouse."""

    index: int
    line_no: int | None
    sku: str
    pair: tuple[int, int]
    quantity: Decimal


def shortages_of(
    requests: Sequence[LineRequest], available: Mapping[tuple[int, int], Decimal]
) -> list[Shortage]:
    """The lines that cannot be reserved whole, lines of one product served in order: each
    shortage tells what was left for the line when its turn came."""
    left = dict(available)
    found = []
    for request in requests:
        have = left.get(request.pair, ZERO)
        if request.quantity > have:
            found.append(Shortage(request.index, request.line_no, request.sku,
                                  request.quantity.quantize(MONEY_PLACES),
                                  have.quantize(MONEY_PLACES)))
        left[request.pair] = max(have - request.quantity, ZERO)
    return found


def order_total(lines: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Sum of quantity × unit price, at the 4 places the column keeps."""
    return sum((quantity * price for quantity, price in lines), ZERO).quantize(MONEY_PLACES)


def reason_problem(reason: str) -> Problem | None:
    if not reason.strip():
        return Problem("INVALID_INPUT", "give a reason for cancelling", "reason")
    if len(reason.strip()) > MAX_REASON_LENGTH:
        return Problem("INVALID_INPUT", f"reason may have at most {MAX_REASON_LENGTH} characters",
                       "reason")
    return None
