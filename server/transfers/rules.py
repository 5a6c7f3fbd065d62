"""Pure rules of transfers: what a transfer request may say, what unit cost the goods travel at,
how a received quantity spreads over the lots that travelled, and what state the receipts leave
the transfer in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from server.errors import Problem
from server.idempotency import key_problem
from server.inventory.moves import amount_problem, plain
from server.inventory.valuation import round4
from server.sales.models import PickListState
from server.transfers.events import DOCUMENT_TYPE
from server.transfers.models import TransferState

ZERO = Decimal(0)
K = TypeVar("K", bound=Hashable)
MAX_LINES = 200
MAX_NOTE_LENGTH = 2000
# States in which the stock is still at the source, reserved or picked.
AT_SOURCE = frozenset({TransferState.PICKING.value, TransferState.PICKED.value})
# States in which something is on the road to the destination.
RECEIVABLE = frozenset({TransferState.IN_TRANSIT.value, TransferState.PARTIALLY_RECEIVED.value})


@dataclass(frozen=True, slots=True)
class TransferLineDraft:
    sku: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class TransferDraft:
    from_warehouse_code: str
    to_warehouse_code: str
    lines: Sequence[TransferLineDraft]
    idempotency_key: str
    note: str = ""


def draft_problems(draft: TransferDraft) -> list[Problem]:
    """Everything wrong with a transfer request before anything is looked up."""
    problems: list[Problem | None] = [key_problem(draft.idempotency_key)]
    source, destination = draft.from_warehouse_code.strip(), draft.to_warehouse_code.strip()
    if not source:
        problems.append(Problem("INVALID_INPUT", "name the warehouse to take the stock from",
                                "fromWarehouseCode"))
    if not destination:
        problems.append(Problem("INVALID_INPUT", "name the warehouse to send the stock to",
                                "toWarehouseCode"))
    if source and source == destination:
        problems.append(Problem("INVALID_INPUT", f"a transfer goes from one warehouse to another, "
                                f"not from {source} to itself", "toWarehouseCode"))
    if not draft.lines:
        problems.append(Problem("INVALID_INPUT", "a transfer needs at least one line", "lines"))
    if len(draft.lines) > MAX_LINES:
        problems.append(Problem("INVALID_INPUT", f"a transfer has at most {MAX_LINES} lines",
                                "lines"))
    if len(draft.note) > MAX_NOTE_LENGTH:
        problems.append(Problem("INVALID_INPUT", f"a note has at most {MAX_NOTE_LENGTH} "
                                "characters", "note"))
    seen: set[str] = set()
    for index, line in enumerate(draft.lines):
        field = f"lines[{index}]"
        if not line.sku.strip():
            problems.append(Problem("INVALID_INPUT", "name the product", f"{field}.sku"))
        elif line.sku.strip() in seen:
            problems.append(Problem("INVALID_INPUT", f"{line.sku.strip()} is on two lines: put "
                                    "the whole quantity on one", f"{field}.sku"))
        seen.add(line.sku.strip())
        problems.append(amount_problem(line.quantity, f"{field}.quantity"))
        if line.quantity.is_finite() and line.quantity <= 0:
            problems.append(Problem("INVALID_INPUT", f"quantity must be greater than 0 (got "
                                    f"{line.quantity})", f"{field}.quantity"))
    return [p for p in problems if p is not None]


@dataclass(frozen=True, slots=True)
class TravellingLot:
    """A lot of one transfer line on the road: how much left the source and how much of it the
    destination has received so far."""

    lot_id: int
    lot: str
    shipped: Decimal
    received: Decimal

    @property
    def open(self) -> Decimal:
        return self.shipped - self.received


class OverReceipt(ValueError):
    """More counted than is still on the road."""


def spread_over_lots(
    quantity: Decimal, lot: str | None, lots: Sequence[TravellingLot]
) -> list[tuple[TravellingLot, Decimal]]:
    """Which travelling lots a counted quantity receives: the named lot only, else the lots in
    their order, each up to what is still open. Raises ``OverReceipt`` when they cannot take it
    all, with the numbers in its message."""
    candidates = [t for t in lots if lot is None or t.lot == lot]
    still_open = sum((t.open for t in candidates), ZERO)
    if quantity > still_open:
        what = f"lot {lot}" if lot else "this line"
        shipped = sum((t.shipped for t in candidates), ZERO)
        raise OverReceipt(f"{plain(quantity)} counted but only {plain(still_open)} of {what} "
                          f"is still in transit ({plain(shipped)} shipped, "
                          f"{plain(shipped - still_open)} received)")
    taken: list[tuple[TravellingLot, Decimal]] = []
    left = quantity
    for travelling in candidates:
        part = min(left, travelling.open)
        if part > 0:
            taken.append((travelling, part))
            left -= part
    return taken


def state_after_receipt(shipped: Decimal, received: Decimal) -> TransferState:
    return TransferState.RECEIVED if received >= shipped else TransferState.PARTIALLY_RECEIVED


def is_transfer_number(number: str) -> bool:
    """A transfer's number (TR-2026-000001): the pick list API serves transfers too."""
    return number.strip().startswith(f"{DOCUMENT_TYPE}-")


def pick_list_state(state: TransferState) -> PickListState:
    """A transfer seen as its own pick list: open while picking, shipped once it left."""
    if state is TransferState.PICKING:
        return PickListState.OPEN
    if state is TransferState.PICKED:
        return PickListState.PICKED
    if state is TransferState.CANCELLED:
        return PickListState.CANCELLED
    return PickListState.SHIPPED


def travelling_costs(
    issued: Sequence[tuple[K, Decimal, Decimal | None]]
) -> dict[K, Decimal]:
    """The unit cost each travelling lot carries: the value its goods left the source with over
    their quantity. Usually that is the source's average, but the last units out of a warehouse
    take whatever value is left, and the transfer carries that value, not the average's."""
    quantities: dict[K, Decimal] = defaultdict(Decimal)
    values: dict[K, Decimal] = defaultdict(Decimal)
    for key, quantity, value in issued:
        assert value is not None  # goods leaving a warehouse's shelves carry value
        quantities[key] += quantity
        values[key] += value
    return {key: round4(values[key] / quantities[key]) for key in quantities}
