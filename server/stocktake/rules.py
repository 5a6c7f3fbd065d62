"""Pure stocktake rules: the state machine, what a bin should hold now, the variances and their
value, when posting needs approval, who may see expected quantities. No database here.

A line is one bin × product × lot. Its expected quantity is what was frozen at the start plus
the net of the ledger's movements into and out of that bin since: the count is not blocked by
work in the warehouse, it is compared with what the ledger says the bin holds now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from server.auth import Role
from server.errors import InvalidState, Problem
from server.idempotency import key_problem
from server.inventory.moves import MAX_LOT_LENGTH, amount_problem
from server.inventory.valuation import round4

ZERO = Decimal(0)
MAX_DEVICE_ID_LENGTH = 100
# Staff who supervise a count: they see expected quantities even while a blind count runs.
SUPERVISORS = (Role.FINANCE_DIRECTOR, Role.PURCHASE_MANAGER)

LineKey = tuple[int, int, str]  # location, product, lot


class StocktakeStatus(StrEnum):
    OPEN = "open"
    COUNTING = "counting"
    PENDING_APPROVAL = "pending_approval"
    POSTED = "posted"
    CANCELLED = "cancelled"


class BinStatus(StrEnum):
    OPEN = "open"  # to be counted (again, after a recount request)
    COUNTED = "counted"


class StocktakeAction(StrEnum):
    COUNT = "count"
    RECOUNT = "recount"
    POST = "post"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"


S, A = StocktakeStatus, StocktakeAction
_ALLOWED: dict[StocktakeAction, frozenset[StocktakeStatus]] = {
    A.COUNT: frozenset({S.OPEN, S.COUNTING}),
    A.RECOUNT: frozenset({S.OPEN, S.COUNTING}),
    A.POST: frozenset({S.COUNTING}),
    A.APPROVE: frozenset({S.PENDING_APPROVAL}),
    A.REJECT: frozenset({S.PENDING_APPROVAL}),
    A.CANCEL: frozenset({S.OPEN, S.COUNTING, S.PENDING_APPROVAL}),
}
_RESULT: dict[StocktakeAction, StocktakeStatus] = {
    A.COUNT: S.COUNTING, A.RECOUNT: S.COUNTING, A.APPROVE: S.POSTED, A.REJECT: S.COUNTING,
    A.CANCEL: S.CANCELLED,
}


def next_status(action: StocktakeAction, status: StocktakeStatus, number: str,
                needs_approval: bool = False) -> StocktakeStatus:
    """Where ``action`` takes a stocktake in ``status``; refused with STOCKTAKE_CLOSED once it
    is posted or cancelled, INVALID_STATE otherwise. Posting waits for approval when asked."""
    if status not in _ALLOWED[action]:
        closed = status in (S.POSTED, S.CANCELLED)
        hint = " (count something first)" if action is A.POST and status is S.OPEN else ""
        raise InvalidState(f"stocktake {number} is {status}: it cannot {action}{hint}",
                           field="number", code="STOCKTAKE_CLOSED" if closed else None)
    if action is A.POST:
        return S.PENDING_APPROVAL if needs_approval else S.POSTED
    if action is A.RECOUNT and status is S.OPEN:
        return S.OPEN
    return _RESULT[action]


@dataclass(frozen=True, slots=True)
class VarianceLine:
    """One bin × product × lot: frozen, moved since, expected now, counted (None: nobody counted
    it and it is left alone), the variance and its value at the current average cost."""

    key: LineKey
    frozen: Decimal
    moved: Decimal
    counted: Decimal | None
    unit_cost: Decimal

    @property
    def expected(self) -> Decimal:
        return self.frozen + self.moved

    @property
    def variance(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected

    @property
    def value(self) -> Decimal | None:
        variance = self.variance
        return None if variance is None else round4(variance * self.unit_cost)


def net_movements(moves: Iterable[tuple[LineKey, Decimal]]) -> dict[LineKey, Decimal]:
    """The net of signed movements per line (in +, out −), zero sums kept out."""
    totals: dict[LineKey, Decimal] = defaultdict(Decimal)
    for key, quantity in moves:
        totals[key] += quantity
    return {key: total for key, total in totals.items() if total}


def variance_lines(
    frozen: Mapping[LineKey, Decimal],
    moved: Mapping[LineKey, Decimal],
    counted: Mapping[LineKey, Decimal],
    average_costs: Mapping[int, Decimal | None],
    *,
    zero_uncounted: bool = False,
) -> list[VarianceLine]:
    """Every line the stocktake knows of, in bin, product, lot order. A line nobody counted is
    counted as zero only with ``zero_uncounted``; one that was neither frozen nor counted and
    nets to nothing is no line at all. A product never valued is valued at 0."""
    keys = set(frozen) | set(counted) | {key for key, quantity in moved.items() if quantity}
    lines = []
    for key in sorted(keys):
        count = counted.get(key)
        expected = frozen.get(key, ZERO) + moved.get(key, ZERO)
        if count is None and zero_uncounted and expected:
            count = ZERO
        lines.append(VarianceLine(key=key, frozen=frozen.get(key, ZERO),
                                  moved=moved.get(key, ZERO), counted=count,
                                  unit_cost=average_costs.get(key[1]) or ZERO))
    return lines


def total_value(lines: Iterable[VarianceLine]) -> Decimal:
    return sum((line.value for line in lines if line.value is not None), ZERO)


def needs_approval(total: Decimal, threshold: Decimal) -> bool:
    """Posting goes through the STOCKTAKE approval flow when the variance value's size (gains
    and losses alike) is over the threshold."""
    return abs(total) > threshold


def adjustments(lines: Iterable[VarianceLine]) -> list[tuple[LineKey, Decimal]]:
    """The signed quantity to post per line: found stock in, missing stock out."""
    return [(line.key, line.variance) for line in lines if line.variance]


def sees_expected(blind: bool, status: StocktakeStatus, roles: frozenset[Role]) -> bool:
    """A blind count hides what the bins should hold from the counters until counting is over
    (pending approval, posted or cancelled); supervisors and admins always see it."""
    if not blind or status not in (S.OPEN, S.COUNTING):
        return True
    return Role.ADMIN in roles or any(role in roles for role in SUPERVISORS)


@dataclass(frozen=True, slots=True)
class CountRequest:
    stocktake_number: str
    location_code: str
    quantity: Decimal
    device_id: str
    idempotency_key: str
    sku: str | None = None
    barcode: str | None = None
    lot: str | None = None


def count_problems(request: CountRequest) -> list[Problem]:
    """What is wrong with a count before anything is looked up."""
    problems: list[Problem | None] = [
        key_problem(request.idempotency_key), amount_problem(request.quantity, "quantity")]
    if request.quantity.is_finite() and request.quantity < 0:
        problems.append(Problem("INVALID_INPUT", f"a count cannot be negative (got "
                                f"{request.quantity})", "quantity"))
    if (request.sku is None) == (request.barcode is None):
        problems.append(Problem("INVALID_INPUT", "give the sku or the scanned barcode, one of "
                                "them", "sku"))
    if not request.device_id.strip():
        problems.append(Problem("INVALID_INPUT", "deviceId must not be empty", "deviceId"))
    elif len(request.device_id) > MAX_DEVICE_ID_LENGTH:
        problems.append(Problem("INVALID_INPUT", f"deviceId has at most {MAX_DEVICE_ID_LENGTH} "
                                "characters", "deviceId"))
    if request.lot is not None and len(request.lot.strip()) > MAX_LOT_LENGTH:
        problems.append(Problem("INVALID_INPUT", f"a lot has at most {MAX_LOT_LENGTH} "
                                "characters", "lot"))
    return [problem for problem in problems if problem is not None]
