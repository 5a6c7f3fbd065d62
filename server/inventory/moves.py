"""What a posting is made of, and the pure checks and sums over it; no database."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from server.auth import Principal
from server.errors import Problem
from server.inventory.models import PHYSICAL_BUCKETS, Bucket
from server.inventory.valuation import Flow, flow_of

MAX_PLACES = 4
MAX_LOT_LENGTH = 64
MAX_AMOUNT = Decimal(10) ** 14

PositionKey = tuple[int, int, Bucket]  # product, warehouse, bucket
QuantKey = tuple[int, int, str, Bucket]  # product, location, lot, bucket


@dataclass(frozen=True, slots=True)
class Move:
    """A quantity of one product in one warehouse going from one bucket to another. A None bucket
    is outside the warehouse; a physical bucket needs the bin on that side."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    from_bucket: Bucket | None = None
    to_bucket: Bucket | None = None
    from_location_id: int | None = None
    to_location_id: int | None = None
    lot: str = ""
    # Required when the move brings stock into the physical buckets; informational otherwise.
    unit_cost: Decimal | None = None
    # Overrides the context's line for postings that span several document lines.
    document_line: int | None = None

    @property
    def flow(self) -> Flow:
        return flow_of(self.from_bucket, self.to_bucket)


@dataclass(frozen=True, slots=True)
class PostingContext:
    """Why and by whom: copied onto every ledger row and event of the posting."""

    document_type: str
    actor: Principal
    document_number: str | None = None
    document_line: int | None = None
    reason: str | None = None


def plain(amount: Decimal) -> str:
    """A quantity as people write it in a message: 3, not 3.0000; 12.5, not 12.5000."""
    return format(amount.normalize(), "f")


def amount_problem(amount: Decimal | None, field: str) -> Problem | None:
    """An amount the NUMERIC(18, 4) columns can hold exactly, or the problem with it."""
    if amount is None:
        return None
    if not amount.is_finite():
        return Problem("INVALID_INPUT", f"{field} must be a number (got {amount})", field)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        return Problem("INVALID_INPUT", f"{field} may have at most {MAX_PLACES} decimal places "
                       f"(got {amount})", field)
    if abs(amount) >= MAX_AMOUNT:
        return Problem("INVALID_INPUT", f"{field} must be below {MAX_AMOUNT:,} (got {amount})",
                       field)
    return None


def total_problem(total: Decimal, field: str) -> Problem | None:
    """A document's total (quantity × price, summed) must fit its NUMERIC(18, 4) column too:
    each figure may be in range while their product is not."""
    if abs(total) >= MAX_AMOUNT:
        return Problem("INVALID_INPUT", f"the total {plain(total)} is too large: it must be "
                       f"below {MAX_AMOUNT:,}", field)
    return None


def _in_move(number: int, problem: Problem | None) -> Problem | None:
    """A problem of a move built by code, not typed in a form field: name the move instead."""
    return problem and Problem(problem.code, f"move {number}: {problem.message}")


def _side_problem(
    number: int, side: str, bucket: Bucket | None, location_id: int | None
) -> Problem | None:
    physical = bucket in PHYSICAL_BUCKETS
    if physical and location_id is None:
        return Problem("INVALID_INPUT", f"move {number}: {side} bucket {bucket} needs a bin")
    if not physical and location_id is not None:
        where = bucket or "outside"
        return Problem("INVALID_INPUT", f"move {number}: {side} {where} has no bins")
    return None


def move_problems(moves: Sequence[Move]) -> list[Problem]:
    """Everything wrong with a list of moves, each problem naming the move (1-based)."""
    if not moves:
        return [Problem("INVALID_INPUT", "a posting needs at least one move")]
    problems: list[Problem | None] = []
    for number, move in enumerate(moves, start=1):
        problems.append(_in_move(number, amount_problem(move.quantity, "quantity")))
        if move.quantity.is_finite() and move.quantity <= 0:
            problems.append(Problem(
                "INVALID_INPUT", f"move {number}: quantity must be positive (got {move.quantity})"
            ))
        if move.from_bucket is None and move.to_bucket is None:
            problems.append(Problem("INVALID_INPUT", f"move {number}: name a from or to bucket"))
            continue
        problems.append(_side_problem(number, "from", move.from_bucket, move.from_location_id))
        problems.append(_side_problem(number, "to", move.to_bucket, move.to_location_id))
        if (move.from_bucket, move.from_location_id) == (move.to_bucket, move.to_location_id):
            problems.append(Problem(
                "INVALID_INPUT", f"move {number}: from and to are the same, nothing would move"
            ))
        if move.flow is Flow.INBOUND and move.unit_cost is None:
            problems.append(Problem(
                "INVALID_INPUT", f"move {number}: stock coming in needs a unit cost"
            ))
        problems.append(_in_move(number, amount_problem(move.unit_cost, "unit cost")))
        if move.unit_cost is not None and move.unit_cost.is_finite() and move.unit_cost < 0:
            problems.append(Problem(
                "INVALID_INPUT", f"move {number}: unit cost must not be negative"
            ))
        if len(move.lot) > MAX_LOT_LENGTH:
            problems.append(Problem(
                "INVALID_INPUT", f"move {number}: a lot has at most {MAX_LOT_LENGTH} characters"
            ))
    return [p for p in problems if p is not None]


def position_deltas(moves: Sequence[Move]) -> dict[PositionKey, Decimal]:
    """The net change per bucket, zero sums dropped, in the global lock order."""
    deltas: dict[PositionKey, Decimal] = defaultdict(Decimal)
    for move in moves:
        if move.from_bucket is not None:
            deltas[(move.product_id, move.warehouse_id, move.from_bucket)] -= move.quantity
        if move.to_bucket is not None:
            deltas[(move.product_id, move.warehouse_id, move.to_bucket)] += move.quantity
    return {key: deltas[key] for key in sorted(deltas) if deltas[key]}


def quant_deltas(moves: Sequence[Move]) -> dict[QuantKey, Decimal]:
    """The net change per bin, lot and bucket, zero sums dropped, in the global lock order."""
    deltas: dict[QuantKey, Decimal] = defaultdict(Decimal)
    for move in moves:
        if move.from_location_id is not None and move.from_bucket is not None:
            deltas[(move.product_id, move.from_location_id, move.lot, move.from_bucket)] -= \
                move.quantity
        if move.to_location_id is not None and move.to_bucket is not None:
            deltas[(move.product_id, move.to_location_id, move.lot, move.to_bucket)] += \
                move.quantity
    return {key: deltas[key] for key in sorted(deltas) if deltas[key]}
