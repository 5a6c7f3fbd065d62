"""Pure rules of purchase returns: checking a request before anything is looked up, taking a
quantity from what each PO line or bin can still give, and pairing the two takings up into
return lines. No database here."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from server.catalog.rules import code_problem
from server.errors import Problem
from server.inventory.models import Bucket
from server.inventory.moves import MAX_LOT_LENGTH, amount_problem

ZERO = Decimal(0)
MAX_LINES = 200
MAX_REASON_LENGTH = 500
RETURNABLE_BUCKETS = (Bucket.AVAILABLE, Bucket.REJECTED)

K = TypeVar("K", bound=Hashable)
L = TypeVar("L", bound=Hashable)


@dataclass(frozen=True, slots=True)
class ReturnLineDraft:
    sku: str
    quantity: Decimal
    from_bucket: Bucket
    reason: str
    lot: str = ""
    po_number: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnDraft:
    supplier_code: str
    warehouse_code: str
    lines: Sequence[ReturnLineDraft]


def draft_problems(draft: ReturnDraft) -> list[Problem]:
    """Everything wrong with a return request on its face, all at once."""
    problems = [code_problem(draft.supplier_code, "supplierCode"),
                code_problem(draft.warehouse_code, "warehouseCode")]
    if not draft.lines:
        problems.append(Problem("INVALID_INPUT", "a return has at least one line", "lines"))
    if len(draft.lines) > MAX_LINES:
        problems.append(Problem("INVALID_INPUT", f"a return has at most {MAX_LINES} lines",
                                "lines"))
    for index, line in enumerate(draft.lines):
        where = f"lines[{index}]"
        problems.append(amount_problem(line.quantity, f"{where}.quantity"))
        if line.quantity.is_finite() and line.quantity <= 0:
            problems.append(Problem("INVALID_INPUT", f"quantity must be greater than 0 (got "
                                    f"{line.quantity})", f"{where}.quantity"))
        if line.from_bucket not in RETURNABLE_BUCKETS:
            problems.append(Problem("INVALID_INPUT", "goods go back from the available or the "
                                    f"rejected stock, not {line.from_bucket.value}",
                                    f"{where}.fromBucket"))
        if not line.reason.strip():
            problems.append(Problem("INVALID_INPUT", "say why the goods go back",
                                    f"{where}.reason"))
        elif len(line.reason) > MAX_REASON_LENGTH:
            problems.append(Problem("INVALID_INPUT", f"a reason has at most {MAX_REASON_LENGTH} "
                                    "characters", f"{where}.reason"))
        if len(line.lot.strip()) > MAX_LOT_LENGTH:
            problems.append(Problem("INVALID_INPUT", f"a lot has at most {MAX_LOT_LENGTH} "
                                    "characters", f"{where}.lot"))
    return [problem for problem in problems if problem is not None]


@dataclass(frozen=True, slots=True)
class LineClaims:
    """What returns already take from one PO line, by where the goods came from: ``held`` by
    returns not yet shipped, ``shipped`` by returns gone."""

    held_available: Decimal = ZERO
    held_rejected: Decimal = ZERO
    shipped_available: Decimal = ZERO
    shipped_rejected: Decimal = ZERO


def returnable(
    bucket: Bucket, accepted: Decimal, rejected: Decimal, claims: LineClaims
) -> Decimal:
    """What a PO line can still give back from ``bucket``. Shipping a return of accepted goods
    moves them from the line's accepted count to its rejected count, so: from available, what
    was accepted less what returns hold of it; from rejected, what was rejected less what
    returns of rejected goods took and the accepted goods shipped back (now counted there)."""
    if bucket is Bucket.AVAILABLE:
        left = accepted - claims.held_available
    else:
        left = rejected - claims.held_rejected - claims.shipped_rejected \
            - claims.shipped_available
    return max(left, ZERO)


def take(quantity: Decimal, sources: Sequence[tuple[K, Decimal]]) -> list[tuple[K, Decimal]]:
    """Take ``quantity`` from the sources in their order, each giving at most what it has.
    Returns the takings, which sum to less than ``quantity`` when the sources run short."""
    taken: list[tuple[K, Decimal]] = []
    left = quantity
    for key, has in sources:
        if left <= 0:
            break
        part = min(left, has)
        if part > 0:
            taken.append((key, part))
            left -= part
    return taken


def taken_total(taken: Sequence[tuple[Any, Decimal]]) -> Decimal:
    return sum((quantity for _, quantity in taken), ZERO)


def consume(remaining: dict[K, Decimal], taken: Sequence[tuple[K, Decimal]]) -> None:
    """Lower what each source has by what was taken, for the next line of the same request."""
    for key, quantity in taken:
        remaining[key] -= quantity


def in_order(remaining: Mapping[K, Decimal], keys: Sequence[K]) -> list[tuple[K, Decimal]]:
    return [(key, remaining[key]) for key in keys]


def pair_up(
    first: Sequence[tuple[K, Decimal]], second: Sequence[tuple[L, Decimal]]
) -> list[tuple[K, L, Decimal]]:
    """Split two takings of the same total into common pieces: taking 5 from PO line A and 3
    from B, and 6 from bin X and 2 from Y, gives (A, X, 5), (B, X, 1), (B, Y, 2)."""
    if taken_total(first) != taken_total(second):
        raise ValueError("both takings must cover the same quantity")
    pieces: list[tuple[K, L, Decimal]] = []
    i = j = 0
    left_first = first[0][1] if first else ZERO
    left_second = second[0][1] if second else ZERO
    while i < len(first) and j < len(second):
        part = min(left_first, left_second)
        pieces.append((first[i][0], second[j][0], part))
        left_first -= part
        left_second -= part
        if left_first == 0:
            i += 1
            left_first = first[i][1] if i < len(first) else ZERO
        if left_second == 0:
            j += 1
            left_second = second[j][1] if j < len(second) else ZERO
    return pieces


def approval_facts(supplier_code: str, amount: Decimal, lines: int) -> dict[str, Any]:
    """What a PURCHASE_RETURN approval condition may test: ``amount`` (the credit value),
    ``supplier`` and ``lines`` (how many)."""
    return {"amount": amount, "supplier": supplier_code, "lines": lines}


SAMPLE_FACTS = approval_facts("SUP", Decimal(1), 1)
