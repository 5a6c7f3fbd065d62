"""Pure checks of manual stock movements, before anything is looked up or written."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from server.errors import Problem
from server.idempotency import key_problem
from server.inventory.moves import MAX_LOT_LENGTH, amount_problem

MAX_REASON_LENGTH = 500


@dataclass(frozen=True, slots=True)
class AdjustmentRequest:
    """Count stock in or out of one bin: opening balances, cycle counts, scrap."""

    warehouse_code: str
    sku: str
    location_code: str
    quantity: Decimal  # signed: positive brings stock in, negative takes it out
    reason: str
    idempotency_key: str
    lot: str | None = None
    unit_cost: Decimal | None = None  # increases only; defaults to the current average


@dataclass(frozen=True, slots=True)
class BinMoveRequest:
    """Carry available stock from one bin to another of the same warehouse."""

    sku: str
    from_location_code: str
    to_location_code: str
    quantity: Decimal
    idempotency_key: str
    warehouse_code: str | None = None
    lot: str | None = None


def lot_of(lot: str | None) -> str:
    """The stored lot: '' stands for 'no lot' (the column is part of a key)."""
    return (lot or "").strip()


def _lot_problem(lot: str | None) -> Problem | None:
    if len(lot_of(lot)) > MAX_LOT_LENGTH:
        return Problem("INVALID_INPUT", f"lot may have at most {MAX_LOT_LENGTH} characters", "lot")
    return None


def adjustment_problems(request: AdjustmentRequest) -> list[Problem]:
    problems = [
        amount_problem(request.quantity, "quantity"),
        amount_problem(request.unit_cost, "unitCost"),
        key_problem(request.idempotency_key),
        _lot_problem(request.lot),
    ]
    if request.quantity.is_finite() and request.quantity == 0:
        problems.append(Problem(
            "INVALID_INPUT", "quantity must not be 0: positive adds stock, negative removes it",
            "quantity",
        ))
    if not request.reason.strip():
        problems.append(Problem(
            "INVALID_INPUT", "give a reason (cycle count, damage, opening balance, ...)", "reason"
        ))
    elif len(request.reason) > MAX_REASON_LENGTH:
        problems.append(Problem(
            "INVALID_INPUT", f"reason may have at most {MAX_REASON_LENGTH} characters", "reason"
        ))
    if request.unit_cost is not None and request.unit_cost.is_finite():
        if request.unit_cost < 0:
            problems.append(Problem("INVALID_INPUT", "unitCost must not be negative", "unitCost"))
        elif request.quantity.is_finite() and request.quantity < 0:
            problems.append(Problem(
                "INVALID_INPUT",
                "unitCost applies to increases only; stock goes out at the average cost",
                "unitCost",
            ))
    return [p for p in problems if p is not None]


def bin_move_problems(request: BinMoveRequest) -> list[Problem]:
    problems = [
        amount_problem(request.quantity, "quantity"),
        key_problem(request.idempotency_key),
        _lot_problem(request.lot),
    ]
    if request.quantity.is_finite() and request.quantity <= 0:
        problems.append(Problem(
            "INVALID_INPUT", f"quantity must be greater than 0 (got {request.quantity})",
            "quantity",
        ))
    if request.from_location_code == request.to_location_code:
        problems.append(Problem(
            "INVALID_INPUT", "from and to bin are the same; nothing would move",
            "toLocationCode",
        ))
    return [p for p in problems if p is not None]
