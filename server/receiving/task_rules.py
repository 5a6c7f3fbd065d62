"""Pure rules of the warehouse tasks: which bin to suggest, and what an inspection may decide."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from server.catalog.models import LocationType
from server.errors import Problem
from server.idempotency import key_problem
from server.inventory.moves import MAX_LOT_LENGTH, amount_problem, plain
from server.inventory.rules import lot_of
from server.receiving.models import InspectionResult


@dataclass(frozen=True, slots=True)
class BinStock:
    """A storage bin and how much of the product lies in it."""

    location_id: int
    code: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class EmptyBin:
    """A storage bin holding nothing, and the products open putaway tasks already suggested it
    for (so two products arriving at once are not sent to the same empty bin)."""

    location_id: int
    code: str
    promised_to: frozenset[int] = frozenset()


def suggest_bins(
    product_ids: Sequence[int], holding: Mapping[int, Sequence[BinStock]],
    empty: Sequence[EmptyBin],
) -> dict[int, int | None]:
    """A bin per product, keeping each product together: the bin already holding most of it
    (ties by code); else an empty bin already promised to it; else the first empty bin promised
    to no one (by code), which is then promised to it; else the first empty bin; else none."""
    promised = {b.location_id: set(b.promised_to) for b in empty}
    by_code = sorted(empty, key=lambda b: b.code)
    chosen: dict[int, int | None] = {}
    for product_id in product_ids:
        if product_id in chosen:
            continue
        stocked = [b for b in holding.get(product_id, ()) if b.quantity > 0]
        if stocked:
            chosen[product_id] = min(stocked, key=lambda b: (-b.quantity, b.code)).location_id
            continue
        pick = (next((b for b in by_code if product_id in promised[b.location_id]), None)
                or next((b for b in by_code if not promised[b.location_id]), None)
                or next(iter(by_code), None))
        if pick is not None:
            promised[pick.location_id].add(product_id)
        chosen[product_id] = pick.location_id if pick else None
    return chosen


@dataclass(frozen=True, slots=True)
class Decision:
    """One inspection as requested: how much passes, how much is refused, and the verdict."""

    result: InspectionResult
    accepted: Decimal
    rejected: Decimal


def decision_problems(decision: Decision) -> list[Problem]:
    """What is wrong with the quantities and the verdict, before anything is looked up."""
    problems = [
        amount_problem(decision.accepted, "acceptedQuantity"),
        amount_problem(decision.rejected, "rejectedQuantity"),
    ]
    found = [p for p in problems if p is not None]
    if found:
        return found
    for quantity, field in ((decision.accepted, "acceptedQuantity"),
                            (decision.rejected, "rejectedQuantity")):
        if quantity < 0:
            found.append(Problem("INVALID_INPUT", f"{field} must not be negative (got {quantity})",
                                 field))
    if found:
        return found
    if decision.accepted + decision.rejected == 0:
        return [Problem("INVALID_INPUT", "decide something: acceptedQuantity or "
                        "rejectedQuantity must be positive", "acceptedQuantity")]
    if decision.result is InspectionResult.PASS and decision.rejected > 0:
        return [Problem("INVALID_INPUT", "a PASS rejects nothing: record the rejected part as "
                        "FAIL (or accept it as CONCESSION)", "rejectedQuantity")]
    if decision.result is InspectionResult.FAIL and decision.accepted > 0:
        return [Problem("INVALID_INPUT", "a FAIL accepts nothing: record the accepted part as "
                        "PASS or CONCESSION", "acceptedQuantity")]
    if decision.result is InspectionResult.CONCESSION and decision.accepted == 0:
        return [Problem("INVALID_INPUT", "a CONCESSION accepts something despite a defect: "
                        "give acceptedQuantity", "acceptedQuantity")]
    return []


def over_inspection_problem(decision: Decision, remaining: Decimal) -> Problem | None:
    """More decided than the task still has to decide."""
    decided = decision.accepted + decision.rejected
    if decided <= remaining:
        return None
    return Problem("OVER_INSPECTION", f"only {plain(remaining)} remain to be inspected on this "
                   f"task (decided {plain(decided)})", "acceptedQuantity")


def advance(remaining_per_task: Sequence[Decimal], quantity: Decimal) -> list[Decimal]:
    """Spread a quantity over tasks oldest first, each taking up to what it still needs; what
    goes beyond every task is simply not counted against one."""
    taken: list[Decimal] = []
    left = quantity
    for remaining in remaining_per_task:
        share = min(remaining, left) if left > 0 else Decimal(0)
        taken.append(share)
        left -= share
    return taken


@dataclass(frozen=True, slots=True)
class PutawayRequest:
    """Carry available stock from where it lies to the bin whose barcode was scanned."""

    sku: str
    from_location_code: str
    to_location_barcode: str
    quantity: Decimal
    idempotency_key: str
    lot: str | None = None
    warehouse_code: str | None = None


def putaway_problems(request: PutawayRequest) -> list[Problem]:
    problems = [
        amount_problem(request.quantity, "quantity"),
        key_problem(request.idempotency_key),
    ]
    if request.quantity.is_finite() and request.quantity <= 0:
        problems.append(Problem("INVALID_INPUT", f"quantity must be greater than 0 (got "
                                f"{request.quantity})", "quantity"))
    if len(lot_of(request.lot)) > MAX_LOT_LENGTH:
        problems.append(Problem("INVALID_INPUT", f"lot may have at most {MAX_LOT_LENGTH} "
                                "characters", "lot"))
    if request.from_location_code == request.to_location_barcode:
        problems.append(Problem("INVALID_LOCATION", f"the stock already lies in "
                                f"{request.to_location_barcode}", "toLocationBarcode"))
    return [p for p in problems if p is not None]


PUTAWAY_TARGETS = frozenset({LocationType.STORAGE, LocationType.STAGING})


@dataclass(frozen=True, slots=True)
class Bin:
    code: str
    type: str
    active: bool
    warehouse_id: int


def putaway_source_problem(source: Bin, warehouse_id: int, warehouse_code: str) -> Problem | None:
    """Stock is put away from a bin of its warehouse; rejected stock is not put away at all."""
    if source.warehouse_id != warehouse_id:
        message = f"bin {source.code} is not in warehouse {warehouse_code}"
    elif source.type == LocationType.REJECTED:
        message = f"{source.code} holds rejected stock, which is not put away"
    else:
        return None
    return Problem("INVALID_LOCATION", message, "fromLocationCode")


def putaway_target_problem(target: Bin, warehouse_id: int, warehouse_code: str) -> Problem | None:
    """Stock is put away only into an active storage or staging bin of its own warehouse."""
    if target.warehouse_id != warehouse_id:
        message = f"bin {target.code} is not in warehouse {warehouse_code}"
    elif target.type not in PUTAWAY_TARGETS:
        message = f"bin {target.code} is a {target.type} location, not a storage or staging bin"
    elif not target.active:
        message = f"bin {target.code} is inactive"
    else:
        return None
    return Problem("INVALID_LOCATION", message, "toLocationBarcode")
