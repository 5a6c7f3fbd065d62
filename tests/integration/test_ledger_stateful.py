"""Random sequences of adjustments and bin moves, checked against the ledger after every step.

Hypothesis drives state machines synchronously, so the machine runs in a worker thread with an
event loop and a Database of its own on the fixture's URL; the session's loop only waits."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete

from server.db import Database
from server.errors import DomainError
from server.events import Event
from server.idempotency import IdempotencyRecord
from server.inventory.models import (
    StockCost,
    StockLedger,
    StockPosition,
    StockQuant,
)
from server.inventory.service import adjust_stock, move_stock
from server.inventory.valuation import round4
from server.numbering import DocumentSequence
from tests.ledger_invariants import Tables, check_against_ledger, nonzero, read_tables
from tests.stock_setup import StockWorld, adjustment, bin_move, build_stock_world

T = TypeVar("T")
LAYOUT = {"WH1": ["A1", "A2", "A3"], "WH2": ["B1", "B2"]}
WAREHOUSE_OF_BIN = {code: wh for wh, codes in LAYOUT.items() for code in codes}
SKUS = ("P1", "P2", "P3")
# 40 sequences of 50 steps on SQLite, ~2,000 steps (~60 % of them go through, the rest are
# refused and must change nothing). The rules are the same on both backends; PostgreSQL adds its
# CHECKs and row locks, which 15 sequences exercise, since each step costs it ~4x SQLite's time.
SEQUENCES = {"sqlite": 40, "postgresql": 15}


def machine_settings(backend: str) -> settings:
    return settings(
        max_examples=SEQUENCES[backend], stateful_step_count=50, deadline=None, database=None,
        # Each step is a few transactions: shrinking a failure could take many minutes, and the
        # printed steps of an unshrunk failing sequence are enough to replay it.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


quantities = st.one_of(
    st.integers(1, 12).map(Decimal),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(6), places=4),
)
# Mostly with a cost: a first increase without one is refused (no average yet).
costs = st.one_of(
    st.none(),
    st.decimals(min_value=Decimal(0), max_value=Decimal(50), places=2),
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(3), places=4),
)
# From a stocked bin take a share of what it holds, or a random quantity (perhaps too much).
shares = st.sampled_from([None, Decimal(1), Decimal("0.5"), Decimal("0.25")])
bins = st.sampled_from(sorted(WAREHOUSE_OF_BIN))
lots = st.sampled_from(["", "L1", "L2"])
skus = st.sampled_from(SKUS)


async def clear_stock(database: Database) -> None:
    """Forget all stock (master data stays), so each sequence starts from empty shelves."""
    async with database.transaction() as session:
        for model in (StockLedger, StockPosition, StockQuant, StockCost, Event,
                      IdempotencyRecord, DocumentSequence):
            await session.execute(delete(model))


class StockMachine(RuleBasedStateMachine):
    def __init__(
        self, loop: asyncio.AbstractEventLoop, database: Database, world: StockWorld
    ) -> None:
        super().__init__()
        self.loop = loop
        self.db = database
        self.world = world
        self.run(clear_stock(database))
        self.expected: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        self.costed: set[tuple[str, str]] = set()
        self.before: Tables | None = None
        self.failed = False

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def attempt(self, coroutine: Coroutine[Any, Any, Any], refusal: str | None) -> None:
        """Run a use case; it must fail with ``refusal`` exactly when the model says so."""
        try:
            self.run(coroutine)
        except DomainError as error:
            codes = {p.code for p in error.problems}
            assert refusal in codes, f"unexpected refusal {error.problems}"
            self.failed = True
            return
        assert refusal is None, f"expected {refusal}, but it went through"

    @rule(sku=skus, location=bins, lot=lots, quantity=quantities, cost=costs)
    def add(self, sku: str, location: str, lot: str, quantity: Decimal,
            cost: Decimal | None) -> None:
        pair = (sku, WAREHOUSE_OF_BIN[location])
        refusal = "INVALID_INPUT" if cost is None and pair not in self.costed else None
        self.attempt(adjust_stock(self.db, self.world.keeper, adjustment(
            sku, location, quantity, warehouse=pair[1], lot=lot or None,
            unit_cost=None if cost is None else str(cost),
        )), refusal)
        if refusal is None:
            self.expected[(sku, location, lot)] += quantity
            self.costed.add(pair)

    def held(self, pick: int) -> tuple[str, str, str]:
        keys = sorted(key for key, quantity in self.expected.items() if quantity)
        return keys[pick % len(keys)]

    def take(self, key: tuple[str, str, str], quantity: Decimal) -> None:
        sku, location, lot = key
        short = self.expected[key] < quantity
        self.attempt(adjust_stock(self.db, self.world.keeper, adjustment(
            sku, location, -quantity, warehouse=WAREHOUSE_OF_BIN[location], lot=lot or None,
        )), "INSUFFICIENT_STOCK" if short else None)
        if not short:
            self.expected[key] -= quantity

    def carry(self, key: tuple[str, str, str], destination: str, quantity: Decimal) -> None:
        sku, origin, lot = key
        refusal = None
        if origin == destination or WAREHOUSE_OF_BIN[origin] != WAREHOUSE_OF_BIN[destination]:
            refusal = "INVALID_INPUT"
        elif self.expected[key] < quantity:
            refusal = "INSUFFICIENT_STOCK"
        self.attempt(move_stock(self.db, self.world.keeper, bin_move(
            sku, origin, destination, quantity, lot=lot or None,
        )), refusal)
        if refusal is None:
            self.expected[key] -= quantity
            self.expected[(sku, destination, lot)] += quantity

    @precondition(lambda self: any(self.expected.values()))
    @rule(pick=st.integers(0, 99), quantity=quantities, share=shares)
    def take_from_a_stocked_bin(self, pick: int, quantity: Decimal, share: Decimal | None
                                ) -> None:
        key = self.held(pick)
        self.take(key, quantity if share is None else share_of(self.expected[key], share))

    @precondition(lambda self: any(self.expected.values()))
    @rule(pick=st.integers(0, 99))
    def empty_the_shelves(self, pick: int) -> None:
        """Take every unit of one product out of one warehouse, bin by bin: the last take must
        leave no value behind, however the average was rounded."""
        sku, location, _ = self.held(pick)
        warehouse = WAREHOUSE_OF_BIN[location]
        for key in sorted(self.expected):
            if key[0] == sku and WAREHOUSE_OF_BIN[key[1]] == warehouse and self.expected[key]:
                self.take(key, self.expected[key])

    @rule(moving=st.booleans(), sku=skus, origin=bins, destination=bins, lot=lots,
          quantity=quantities)
    def take_or_move_anywhere(self, moving: bool, sku: str, origin: str, destination: str,
                              lot: str, quantity: Decimal) -> None:
        """Any bin, lot and destination: mostly refused as too much or a bad route."""
        if moving:
            self.carry((sku, origin, lot), destination, quantity)
        else:
            self.take((sku, origin, lot), quantity)

    @precondition(lambda self: any(self.expected.values()))
    @rule(pick=st.integers(0, 99), other=st.integers(0, 9), quantity=quantities, share=shares)
    def move_from_a_stocked_bin(self, pick: int, other: int, quantity: Decimal,
                                share: Decimal | None) -> None:
        key = self.held(pick)
        neighbours = [b for b in LAYOUT[WAREHOUSE_OF_BIN[key[1]]] if b != key[1]]
        amount = quantity if share is None else share_of(self.expected[key], share)
        self.carry(key, neighbours[other % len(neighbours)], amount)

    async def read(self) -> Tables:
        return await read_tables(self.db)

    @invariant()
    def balances_are_the_ledger(self) -> None:
        tables = self.run(self.read())
        if self.failed:
            assert self.before is not None
            assert tables.fingerprint() == self.before.fingerprint(), "a failed step wrote"
            self.failed = False
        self.before = tables
        check_against_ledger(tables)
        self.check_against_model(tables)

    def check_against_model(self, tables: Tables) -> None:
        product_ids = self.world.products
        bin_ids = self.world.bins
        expected = {(product_ids[sku], bin_ids[loc], lot): quantity
                    for (sku, loc, lot), quantity in self.expected.items() if quantity}
        in_bins: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
        for (product_id, location_id, lot, _bucket), quantity in tables.quants.items():
            in_bins[(product_id, location_id, lot)] += quantity
        assert nonzero(in_bins) == expected


def share_of(held: Decimal, share: Decimal) -> Decimal:
    """Part of what a bin holds, at least the smallest quantity there is, never more than held."""
    return max(round4(held * share), Decimal("0.0001"))


def run_machine(url: str) -> None:
    loop = asyncio.new_event_loop()
    database = Database(url)
    try:
        world = loop.run_until_complete(build_stock_world(database, LAYOUT, SKUS))
        backend = "sqlite" if database.is_sqlite else "postgresql"
        run_state_machine_as_test(
            lambda: StockMachine(loop, database, world), settings=machine_settings(backend)
        )
    finally:
        loop.run_until_complete(database.dispose())
        loop.close()


async def test_random_adjustments_and_moves_keep_every_balance_equal_to_the_ledger(
    db: Database,
) -> None:
    await asyncio.to_thread(run_machine, db.url)
