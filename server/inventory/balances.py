"""Row-level balance changes for a posting, in one global lock order to rule out deadlocks:
first the cost rows (product, warehouse), then positions (product, warehouse, bucket), then
quants (product, location, lot, bucket). Every posting on a product × warehouse locks its cost
row first, so the rest of its changes to that pair never wait on another posting.

A cost row is locked by one ``INSERT ... ON CONFLICT DO UPDATE SET version = version + 1
RETURNING``, which creates it when new. An increase is one such upsert of the position or quant,
``quantity + :d``; a decrease is one ``UPDATE ... SET quantity = quantity + :d WHERE ... AND
quantity + :d >= 0 RETURNING``, which either applies whole or returns nothing (no row: nothing
there), and then the caller's transaction is rolled back.
``round(…, 4)`` keeps SQLite's floating-point NUMERIC exact at 4 places (a no-op on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, Table, Update, bindparam, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert_insert
from server.errors import DomainError
from server.inventory.models import Bucket, StockCost, StockPosition, StockQuant
from server.inventory.moves import PositionKey, QuantKey, plain
from server.inventory.valuation import ZERO, CostState

Pair = tuple[int, int]  # product, warehouse


# The statements of a posting, built once: building one and its cache key per call costs more
# than sending it. Core, on the tables; ``session.execute`` still autoflushes before each.
_cost, _position, _quant = StockCost.__table__, StockPosition.__table__, StockQuant.__table__
_COST_KEY = (_cost.c.product_id == bindparam("key_product"),
             _cost.c.warehouse_id == bindparam("key_warehouse"))
_SAVE_COST = update(_cost).where(*_COST_KEY)
_POSITION_KEY = (_position.c.product_id == bindparam("key_product"),
                 _position.c.warehouse_id == bindparam("key_warehouse"),
                 _position.c.bucket == bindparam("key_bucket"))
_QUANT_KEY = (_quant.c.product_id == bindparam("key_product"),
              _quant.c.location_id == bindparam("key_location"),
              _quant.c.lot == bindparam("key_lot"), _quant.c.bucket == bindparam("key_bucket"))


def _delta(table: Table) -> BindParameter[Decimal]:
    return bindparam("delta", type_=table.c.quantity.type)


def _change_statement(table: Table, key: Sequence[Any], bump_version: bool) -> Update:
    """``quantity + :delta`` where that stays >= 0, returning the new quantity."""
    new_quantity = func.round(table.c.quantity + _delta(table), 4)
    values: dict[str, Any] = {"quantity": new_quantity}
    if bump_version:
        values["version"] = table.c.version + 1
    return (update(table).where(*key, new_quantity >= 0).values(**values)
            .returning(table.c.quantity))


class _Upserts(NamedTuple):
    lock_cost: Any
    add_position: Any
    add_quant: Any


@cache
def _upserts(dialect: str) -> _Upserts:
    """The cost row's lock and the increases of a position and a quant, each creating its row
    when new: INSERT ... ON CONFLICT DO UPDATE, in the dialect's own form."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    lock_cost = insert(_cost).values(
        product_id=bindparam("key_product"), warehouse_id=bindparam("key_warehouse"),
        valued_quantity=ZERO, value=ZERO, average_cost=None, version=1)
    lock_cost = lock_cost.on_conflict_do_update(
        index_elements=[_cost.c.product_id, _cost.c.warehouse_id],
        set_={"version": _cost.c.version + 1},
    ).returning(_cost.c.valued_quantity, _cost.c.value, _cost.c.average_cost, _cost.c.version)
    add_position = insert(_position).values(
        product_id=bindparam("key_product"), warehouse_id=bindparam("key_warehouse"),
        bucket=bindparam("key_bucket"), quantity=func.round(_delta(_position), 4), version=1)
    add_position = add_position.on_conflict_do_update(
        index_elements=[_position.c.product_id, _position.c.warehouse_id, _position.c.bucket],
        set_={"quantity": func.round(_position.c.quantity + _delta(_position), 4),
              "version": _position.c.version + 1},
    ).returning(_position.c.quantity)
    add_quant = insert(_quant).values(
        product_id=bindparam("key_product"), location_id=bindparam("key_location"),
        lot=bindparam("key_lot"), bucket=bindparam("key_bucket"),
        warehouse_id=bindparam("key_warehouse"), quantity=func.round(_delta(_quant), 4))
    add_quant = add_quant.on_conflict_do_update(
        index_elements=[_quant.c.product_id, _quant.c.location_id, _quant.c.lot,
                        _quant.c.bucket],
        set_={"quantity": func.round(_quant.c.quantity + _delta(_quant), 4)},
    ).returning(_quant.c.quantity)
    return _Upserts(lock_cost, add_position, add_quant)


_CHANGE_POSITION = _change_statement(_position, _POSITION_KEY, bump_version=True)
_CHANGE_QUANT = _change_statement(_quant, _QUANT_KEY, bump_version=False)
_POSITION_QUANTITY = select(_position.c.quantity).where(*_POSITION_KEY)
_QUANT_QUANTITY = select(_quant.c.quantity).where(*_QUANT_KEY)
_LEVELS = select(_position.c.product_id, _position.c.warehouse_id, _position.c.bucket,
                 _position.c.quantity).where(tuple_(_position.c.product_id,
                                                    _position.c.warehouse_id)
                                             .in_(bindparam("pairs", expanding=True)))


class InsufficientStock(DomainError):
    """A move would take more than a bucket or a bin holds; nothing of the posting is written."""

    code = "INSUFFICIENT_STOCK"

    def __init__(self, message: str, *, available: Decimal, requested: Decimal) -> None:
        super().__init__(message, field="quantity")
        self.available = available
        self.requested = requested


@dataclass(frozen=True, slots=True)
class Names:
    """Business keys for messages and events: sku per product, code per warehouse and bin."""

    skus: Mapping[int, str]
    warehouse_codes: Mapping[int, str]
    location_codes: Mapping[int, str]


@dataclass(frozen=True, slots=True)
class LockedCost:
    state: CostState
    version: int


async def _ensure_rows(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    if rows:
        await session.execute(
            upsert_insert(session, table).values(list(rows)).on_conflict_do_nothing())


async def ensure_cost_rows(session: AsyncSession, pairs: Sequence[Pair]) -> None:
    """Create the cost rows of pairs never stocked, so they can be locked like the others."""
    await _ensure_rows(session, StockCost.__table__, [
        {"product_id": p, "warehouse_id": w, "valued_quantity": ZERO, "value": ZERO,
         "average_cost": None, "version": 0}
        for p, w in pairs
    ])


async def lock_costs(session: AsyncSession, pairs: Sequence[Pair]) -> dict[Pair, LockedCost]:
    """Lock each pair's cost row (creating it if new), bump its version, return its state."""
    lock_cost = _upserts(session.bind.dialect.name).lock_cost
    locked: dict[Pair, LockedCost] = {}
    for product_id, warehouse_id in sorted(set(pairs)):
        quantity, value, average, version = (await session.execute(
            lock_cost, {"key_product": product_id, "key_warehouse": warehouse_id})).one()
        state = CostState(quantity, value, average)
        locked[(product_id, warehouse_id)] = LockedCost(state, version)
    return locked


async def save_cost(session: AsyncSession, pair: Pair, state: CostState) -> None:
    product_id, warehouse_id = pair
    await session.execute(_SAVE_COST, {
        "key_product": product_id, "key_warehouse": warehouse_id,
        "valued_quantity": state.quantity, "value": state.value,
        "average_cost": state.average_cost})


async def _change(session: AsyncSession, increase: Any, decrease: Update, key: dict[str, Any],
                  delta: Decimal) -> Decimal | None:
    """The new quantity, or None when a decrease would go below zero (or finds no row)."""
    statement = increase if delta >= 0 else decrease
    return (await session.execute(statement, {**key, "delta": delta})).scalar_one_or_none()


async def change_positions(
    session: AsyncSession, deltas: Mapping[PositionKey, Decimal], names: Names
) -> None:
    """Apply net bucket changes in key order; a bucket that would go negative raises."""
    add_position = _upserts(session.bind.dialect.name).add_position
    for (product_id, warehouse_id, bucket), delta in deltas.items():
        key = {"key_product": product_id, "key_warehouse": warehouse_id,
               "key_bucket": bucket.value}
        if await _change(session, add_position, _CHANGE_POSITION, key, delta) is None:
            have = await session.scalar(_POSITION_QUANTITY, key)
            where = f"{bucket.value} in {names.warehouse_codes[warehouse_id]}"
            raise _shortage(names, product_id, have, -delta, where)


async def change_quants(
    session: AsyncSession, deltas: Mapping[QuantKey, Decimal], names: Names,
    warehouse_of_location: Mapping[int, int],
) -> None:
    """Apply net bin changes in key order; a bin, lot and bucket that would go negative
    raises."""
    add_quant = _upserts(session.bind.dialect.name).add_quant
    for (product_id, location_id, lot, bucket), delta in deltas.items():
        key = {"key_product": product_id, "key_location": location_id, "key_lot": lot,
               "key_bucket": bucket.value, "key_warehouse": warehouse_of_location[location_id]}
        if await _change(session, add_quant, _CHANGE_QUANT, key, delta) is None:
            have = await session.scalar(_QUANT_QUANTITY, key)
            warehouse = names.warehouse_codes[warehouse_of_location[location_id]]
            lot_text = f" (lot {lot})" if lot else ""
            where = (f"{bucket.value} in {warehouse} bin "
                     f"{names.location_codes[location_id]}{lot_text}")
            raise _shortage(names, product_id, have, -delta, where)


def _shortage(
    names: Names, product_id: int, have: Decimal | None, asked: Decimal, where: str
) -> InsufficientStock:
    available = have if have is not None else ZERO
    return InsufficientStock(
        f"not enough {names.skus[product_id]} {where}: {plain(available)} there, "
        f"{plain(asked)} asked",
        available=available, requested=asked,
    )


async def bucket_levels(
    session: AsyncSession, pairs: Sequence[Pair]
) -> dict[Pair, dict[Bucket, Decimal]]:
    """Every bucket of each pair (0 where no row exists yet)."""
    levels: dict[Pair, dict[Bucket, Decimal]] = {
        pair: dict.fromkeys(Bucket, ZERO) for pair in pairs
    }
    if not pairs:
        return levels
    rows = await session.execute(_LEVELS, {"pairs": list(pairs)})
    for product_id, warehouse_id, bucket, quantity in rows:
        levels[(product_id, warehouse_id)][Bucket(bucket)] = quantity
    return levels
