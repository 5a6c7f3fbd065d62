"""``post_moves``: the one way stock changes. Every area calls it, in its own transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from server.catalog.models import Location, Product, Warehouse
from server.catalog.rules import raise_problems
from server.changes import mark_changed
from server.db import IdType, insert_rows, utcnow
from server.errors import InvalidInput, Problem
from server.events import record_event
from server.inventory import balances
from server.inventory.balances import Names, Pair
from server.inventory.listeners import available_increased
from server.inventory.models import PHYSICAL_BUCKETS, Bucket, StockLedger
from server.inventory.moves import (
    Move,
    PositionKey,
    PostingContext,
    move_problems,
    position_deltas,
    quant_deltas,
)
from server.inventory.valuation import CostState, Valuation, ValuedMove, round4, value_moves

STOCK_TOPIC = "stock"
STOCK_CHANGED = "STOCK_CHANGED"


@dataclass(frozen=True, slots=True)
class PairChange:
    """How one product × warehouse stands after a posting, as its event reports it."""

    product_id: int
    warehouse_id: int
    deltas: dict[Bucket, Decimal]
    levels: dict[Bucket, Decimal]
    cost: CostState
    version: int


@dataclass(frozen=True, slots=True)
class Posting:
    """``entries``: the ledger rows written, as objects outside the session."""

    posting_id: str
    posted_at: datetime
    entries: list[StockLedger]
    changes: list[PairChange]


Locks = Mapping[Pair, balances.LockedCost]


async def lock_stock(session: AsyncSession, moves: Sequence[Move]) -> Locks:
    """Lock the cost rows a posting of ``moves`` will touch, ahead of it: a caller that numbers
    its document only after this keeps its number row locked for the shortest time. Such a
    caller must then never wait on stock rows while it holds its number."""
    return await balances.lock_costs(session, sorted(group_by_pair(moves)))


@dataclass(frozen=True, slots=True)
class AppliedMoves:
    """Moves whose balances and cost are written, waiting for their ledger rows and events."""

    moves: Sequence[Move]
    # each pair's moves, by their index in ``moves``
    grouped: dict[Pair, list[int]]
    names: Names
    positions: dict[PositionKey, Decimal]
    valuations: dict[int, Valuation]
    costs: dict[Pair, CostState]
    locked: Locks
    levels: dict[Pair, dict[Bucket, Decimal]]


async def post_moves(
    session: AsyncSession, moves: Sequence[Move], context: PostingContext,
    locked: Locks | None = None,
) -> Posting:
    """Write the ledger rows, balances, quants, moving-average cost and STOCK_CHANGED events of
    ``moves`` in the caller's transaction. A move that would take a bucket or bin below zero
    raises ``InsufficientStock`` and the caller's rollback leaves no trace of the posting.
    When ``available`` grew, the listeners of ``server.inventory.listeners`` run last, in the
    same transaction (sales serves waiting backorders there).
    Callers that number their document take the number before posting (sequence row first,
    stock rows after), or lock the stock first with ``lock_stock`` and pass its ``locked``; such
    a caller may also ``apply_moves`` before its number and ``record_moves`` after it."""
    return await record_moves(session, await apply_moves(session, moves, locked), context)


@dataclass(frozen=True, slots=True)
class HeldNames:
    """The business keys of everything moved, and each bin's warehouse, as a caller read them in
    its transaction: a posting given them does not look them up again."""

    names: Names
    warehouse_of_location: Mapping[int, int]


async def apply_moves(
    session: AsyncSession, moves: Sequence[Move], locked: Locks | None = None,
    held: HeldNames | None = None,
) -> AppliedMoves:
    """The first half of ``post_moves``: check the moves, lock the cost rows (unless ``locked``),
    change balances, quants and cost, and read the levels after. It needs no document number,
    and never waits on another posting once the cost rows are locked."""
    raise_problems(*move_problems(moves))
    if held is None:
        held = await _names(session, moves)
    names, warehouse_of_location = held.names, held.warehouse_of_location
    _check_keys(moves, held)
    grouped = group_by_pair(moves)
    pairs = sorted(grouped)
    if locked is None or set(locked) != set(pairs):
        locked = await balances.lock_costs(session, pairs)
    positions = position_deltas(moves)
    await balances.change_positions(session, positions, names)
    await balances.change_quants(session, quant_deltas(moves), names, warehouse_of_location)

    valuations: dict[int, Valuation] = {}
    costs: dict[Pair, CostState] = {}
    for pair in pairs:
        indices = grouped[pair]
        state, valued = value_moves(
            locked[pair].state,
            [ValuedMove(moves[i].flow, moves[i].quantity, moves[i].unit_cost) for i in indices],
        )
        if state != locked[pair].state:
            await balances.save_cost(session, pair, state)
        costs[pair] = state
        valuations.update(zip(indices, valued, strict=True))
    levels = await balances.bucket_levels(session, pairs)
    return AppliedMoves(moves, grouped, names, positions, valuations, costs, locked, levels)


async def record_moves(
    session: AsyncSession, applied: AppliedMoves, context: PostingContext
) -> Posting:
    """The second half of ``post_moves``: the ledger rows and events of applied moves, then the
    listeners of grown ``available`` stock."""
    moves, grouped, names, positions = (applied.moves, applied.grouped, applied.names,
                                        applied.positions)
    pairs = sorted(grouped)
    posted_at = utcnow()
    posting_id = uuid.uuid4().hex
    rows = [_entry(posting_id, posted_at, move, context, applied.valuations[index])
            for index, move in enumerate(moves)]
    ids = await insert_rows(session, StockLedger.__table__, rows)
    entries = [StockLedger(id=id_, **row) for id_, row in zip(ids, rows, strict=True)]

    changes: list[PairChange] = []
    for pair in pairs:
        change = PairChange(
            product_id=pair[0], warehouse_id=pair[1],
            deltas={b: d for (p, w, b), d in positions.items() if (p, w) == pair},
            levels=applied.levels[pair], cost=applied.costs[pair],
            version=applied.locked[pair].version,
        )
        changes.append(change)
        lines = {moves[i].document_line or context.document_line for i in grouped[pair]}
        await record_event(
            session, topic=STOCK_TOPIC, kind=STOCK_CHANGED, warehouse_id=change.warehouse_id,
            document_type=context.document_type, document_number=context.document_number,
            payload=stock_changed_payload(
                change, names, context, posted_at, lines.pop() if len(lines) == 1 else None
            ),
        )
    mark_changed(session, pairs)
    increases = [(p, w) for (p, w, b), d in positions.items() if b is Bucket.AVAILABLE and d > 0]
    if increases:
        await available_increased(session, increases, applied.levels, context)
    return Posting(posting_id, posted_at, entries, changes)


def _entry(
    posting_id: str, posted_at: datetime, move: Move, context: PostingContext,
    valuation: Valuation,
) -> dict[str, Any]:
    return {
        "posting_id": posting_id,
        "product_id": move.product_id,
        "warehouse_id": move.warehouse_id,
        "from_bucket": move.from_bucket and move.from_bucket.value,
        "to_bucket": move.to_bucket and move.to_bucket.value,
        "from_location_id": move.from_location_id,
        "to_location_id": move.to_location_id,
        "lot": move.lot,
        "quantity": move.quantity,
        "unit_cost": valuation.unit_cost,
        "value": valuation.value,
        "document_type": context.document_type,
        "document_number": context.document_number,
        "document_line": move.document_line or context.document_line,
        "reason": context.reason,
        "actor_user_id": context.actor.user_id,
        "posted_at": posted_at,
    }


# One round trip for the three kinds of key, each row tagged with its kind; built once.
_NAMES = union_all(
    select(literal("product"), Product.id, Product.sku, cast(null(), IdType))
    .where(Product.id.in_(bindparam("products", expanding=True))),
    select(literal("warehouse"), Warehouse.id, Warehouse.code, cast(null(), IdType))
    .where(Warehouse.id.in_(bindparam("warehouses", expanding=True))),
    select(literal("location"), Location.id, Location.code, Location.warehouse_id)
    .where(Location.id.in_(bindparam("locations", expanding=True))),
)


async def _names(session: AsyncSession, moves: Sequence[Move]) -> HeldNames:
    """Look up the business keys of everything moved (``_check_keys`` tells what is missing)."""
    rows = (await session.execute(_NAMES, {
        "products": list({m.product_id for m in moves}),
        "warehouses": list({m.warehouse_id for m in moves}),
        "locations": list(_location_ids(moves))})).all()
    names = Names({row[1]: row[2] for row in rows if row[0] == "product"},
                  {row[1]: row[2] for row in rows if row[0] == "warehouse"},
                  {row[1]: row[2] for row in rows if row[0] == "location"})
    return HeldNames(names, {row[1]: row[3] for row in rows if row[0] == "location"})


def _location_ids(moves: Sequence[Move]) -> set[int]:
    return {loc for m in moves for loc in (m.from_location_id, m.to_location_id) if loc}


def _check_keys(moves: Sequence[Move], held: HeldNames) -> None:
    """Refuse what does not exist, and a bin of another warehouse."""
    skus, codes = held.names.skus, held.names.warehouse_codes
    bins, warehouse_of = held.names.location_codes, held.warehouse_of_location
    problems = [Problem("NOT_FOUND", f"no product with id {i}")
                for i in {m.product_id for m in moves} - set(skus)]
    problems += [Problem("NOT_FOUND", f"no warehouse with id {i}")
                 for i in {m.warehouse_id for m in moves} - set(codes)]
    problems += [Problem("NOT_FOUND", f"no location with id {i}")
                 for i in _location_ids(moves) - set(bins)]
    for move in moves:
        for location_id in (move.from_location_id, move.to_location_id):
            if location_id in bins and warehouse_of[location_id] != move.warehouse_id:
                problems.append(Problem(
                    "INVALID_INPUT",
                    f"bin {bins[location_id]} is not in warehouse {codes.get(move.warehouse_id)}",
                ))
    if problems:
        raise InvalidInput.of(problems)


def _amount(amount: Decimal) -> str:
    return str(round4(amount))


def stock_changed_payload(
    change: PairChange, names: Names, context: PostingContext, posted_at: datetime,
    document_line: int | None,
) -> dict[str, Any]:
    """The STOCK_CHANGED event body (see the stock event contract): deltas of the buckets that
    changed, every level after, and a version that orders snapshots of the pair."""
    on_hand = sum((change.levels[b] for b in PHYSICAL_BUCKETS), Decimal(0))
    return {
        "productId": change.product_id,
        "sku": names.skus[change.product_id],
        "warehouseId": change.warehouse_id,
        "warehouseCode": names.warehouse_codes[change.warehouse_id],
        "deltas": {b.value: _amount(d) for b, d in change.deltas.items()},
        "levels": {b.value: _amount(q) for b, q in change.levels.items()},
        "onHand": _amount(on_hand),
        "averageCost": _amount(change.cost.average_cost or Decimal(0)),
        "value": _amount(change.cost.value),
        "positionVersion": change.version,
        "documentType": context.document_type,
        "documentNumber": context.document_number,
        "documentLine": document_line,
        "reason": context.reason,
        "actor": context.actor.username,
        "postedAt": posted_at.isoformat(),
    }


def group_by_pair(moves: Sequence[Move]) -> dict[Pair, list[int]]:
    """The positions in ``moves`` of each product × warehouse's moves, in posting order."""
    grouped: dict[Pair, list[int]] = defaultdict(list)
    for index, move in enumerate(moves):
        grouped[(move.product_id, move.warehouse_id)].append(index)
    return grouped
