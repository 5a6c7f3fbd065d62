"""Moving-average valuation (移动加权平均) of one product in one warehouse: pure functions.

Only moves that cross the edge of the physical stock change its value: stock arriving in a
physical bucket from outside or from a memo bucket comes in at the move's own unit cost; stock
leaving the physical buckets goes out at the current average, which the ledger row records so
that COGS follows from ledger rows alone. Moves within the physical buckets (or within the memo
ones) carry no value. Money is rounded half-up to 4 places at every step; the average changes
only when stock comes in, and the value drops to exactly 0 when the last unit leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

from server.inventory.models import PHYSICAL_BUCKETS, Bucket

FOUR_PLACES = Decimal("0.0001")
ZERO = Decimal("0.0000")


def round4(amount: Decimal) -> Decimal:
    return amount.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


class Flow(Enum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    NEUTRAL = "neutral"


def flow_of(from_bucket: Bucket | None, to_bucket: Bucket | None) -> Flow:
    from_physical = from_bucket in PHYSICAL_BUCKETS
    to_physical = to_bucket in PHYSICAL_BUCKETS
    if to_physical and not from_physical:
        return Flow.INBOUND
    if from_physical and not to_physical:
        return Flow.OUTBOUND
    return Flow.NEUTRAL


@dataclass(frozen=True, slots=True)
class CostState:
    """The valued on-hand quantity, its value, and the average (None before any stock came in)."""

    quantity: Decimal = ZERO
    value: Decimal = ZERO
    average_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ValuedMove:
    flow: Flow
    quantity: Decimal
    unit_cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Valuation:
    """What a ledger row records: the unit cost and the value it moved (None when neutral)."""

    unit_cost: Decimal | None
    value: Decimal | None


def receive(state: CostState, quantity: Decimal, unit_cost: Decimal) -> tuple[CostState, Valuation]:
    """Stock comes in at ``unit_cost``; the average becomes total value over total quantity."""
    if quantity <= 0:
        raise ValueError(f"an inbound quantity must be positive, got {quantity}")
    if unit_cost < 0:
        raise ValueError(f"a unit cost must not be negative, got {unit_cost}")
    value = round4(quantity * unit_cost)
    new_quantity = state.quantity + quantity
    new_value = state.value + value
    average = round4(new_value / new_quantity)
    return CostState(new_quantity, new_value, average), Valuation(unit_cost, value)


def issue(state: CostState, quantity: Decimal) -> tuple[CostState, Valuation]:
    """Stock goes out at the current average; the last units take whatever value is left, so
    rounding never leaves value behind on an empty shelf (nor takes more than there is)."""
    if quantity <= 0:
        raise ValueError(f"an outbound quantity must be positive, got {quantity}")
    if quantity > state.quantity or state.average_cost is None:
        raise ValueError(
            f"cannot issue {quantity} at cost: only {state.quantity} is valued "
            "(the balances and the valuation disagree)"
        )
    if quantity == state.quantity:
        value = state.value
    else:
        value = min(round4(quantity * state.average_cost), state.value)
    new_state = CostState(state.quantity - quantity, state.value - value, state.average_cost)
    return new_state, Valuation(state.average_cost, value)


def value_moves(
    state: CostState, moves: Sequence[ValuedMove]
) -> tuple[CostState, list[Valuation]]:
    """Value the moves of one posting for one product × warehouse, in their order except that
    inbound moves go first: one posting is one instant, and an outbound must never meet a
    quantity that the same posting is still about to bring in."""
    valuations: list[Valuation | None] = [None] * len(moves)
    order = sorted(range(len(moves)), key=lambda i: moves[i].flow is not Flow.INBOUND)
    for index in order:
        move = moves[index]
        if move.flow is Flow.INBOUND:
            if move.unit_cost is None:
                raise ValueError("an inbound move needs a unit cost")
            state, valuations[index] = receive(state, move.quantity, move.unit_cost)
        elif move.flow is Flow.OUTBOUND:
            state, valuations[index] = issue(state, move.quantity)
        else:
            valuations[index] = Valuation(move.unit_cost, None)
    return state, [v for v in valuations if v is not None]
