"""Random sequences of whole flow steps of #11 mixed with adjustments: purchases and returns to
the supplier, sales and returns from the customer (received, inspected), transfers between the
warehouses (created, picked, cancelled, shipped, received) and stocktakes (started, counted,
posted), all through their services. After every step the ledger's invariants hold
(tests/ledger_invariants.py, transfers included), a refused step changed nothing, and the
company holds what the steps brought in minus what they sent out.

As in test_ledger_stateful.py the machine runs in a worker thread with its own event loop and
Database on the fixture's URL."""

from __future__ import annotations

import asyncio
import uuid
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

from server.db import Database
from server.errors import DomainError
from server.finance.returns import ship_purchase_return
from server.inventory.models import Bucket
from server.inventory.rules import AdjustmentRequest
from server.inventory.service import adjust_stock
from server.purchasing.returns import create_purchase_return
from server.receiving.receipt_rules import ReceiveLine
from server.sales import orders as sales_orders
from server.sales.return_receiving import receive_sales_return
from server.sales.rules import SalesLineDraft, SalesOrderDraft
from server.stocktake.closing import post_stocktake
from server.stocktake.service import StartRequest, record_count, start_stocktake
from server.transfers.cancel import CancelTransferRequest, cancel_transfer
from server.transfers.models import TransferState
from server.transfers.queries import TransferView
from tests.ledger_flows import (
    OPENING,
    SKUS,
    STORAGE_BINS,
    SUPPLIED_LOT,
    WAREHOUSES,
    ZERO,
    Count,
    Documents,
    FlowWorld,
    Goods,
    Travel,
    amounts,
    available_in,
    chosen,
    flow_world,
    held_in_bin,
    owned_in,
    pick_and_ship,
    portion,
    restore,
    transfer_of,
)
from tests.ledger_invariants import Tables, check_against_ledger, read_tables
from tests.receiving_setup import approved_order, receive
from tests.return_setup import draft, line
from tests.returns_setup import create_return, inspect, qc_tasks, receipt_request
from tests.stocktake_setup import count, posting
from tests.transfer_setup import new_transfer, pick_all, ship
from tests.transfer_setup import receive as receive_transfer

T = TypeVar("T")
# Steps are whole flows of up to four transactions each: ~55 s on either backend here.
SEQUENCES = {"sqlite": 10, "postgresql": 6}
STEPS = 40
# A purchase is four transactions (order, submit, approve, receive): a few per sequence will do.
MAX_PURCHASES = 2
# Stocktake variances never wait for an approval here: approvals are #3's and #5's concern.
NO_APPROVAL = Decimal(10) ** 9

shares = st.sampled_from([None, Decimal(1), Decimal("0.5"), Decimal("0.25")])
costs = st.decimals(min_value=Decimal(0), max_value=Decimal(50), places=2)
skus = st.sampled_from(SKUS)
warehouses = st.sampled_from(WAREHOUSES)
picks = st.integers(0, 99)


def machine_settings(backend: str) -> settings:
    return settings(
        max_examples=SEQUENCES[backend], stateful_step_count=STEPS, deadline=None,
        database=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


class FlowMachine(RuleBasedStateMachine):
    def __init__(self, loop: asyncio.AbstractEventLoop, database: Database, world: FlowWorld
                 ) -> None:
        super().__init__()
        self.loop, self.db, self.world = loop, database, world
        self.run(restore(database, world))
        self.users = world.users
        self.tables = self.run(read_tables(database))
        self.docs = Documents(
            owned={sku: owned_in(self.tables, world.products[sku]) for sku in SKUS},
            supplied=OPENING)
        self.failed = False

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def attempt(self, coroutine: Coroutine[Any, Any, T], refusal: str | None) -> T | None:
        """Run a use case: it must be refused with ``refusal`` exactly when the model says so."""
        try:
            outcome = self.run(coroutine)
        except DomainError as error:
            codes = {p.code for p in error.problems}
            assert refusal in codes, f"unexpected refusal {error.problems}"
            self.failed = True
            return None
        assert refusal is None, f"expected {refusal}, but it went through"
        return outcome

    def available(self, sku: str, warehouse: str, lot: str | None = None,
                  location: str | None = None) -> Decimal:
        return available_in(self.tables, self.world.products[sku],
                            self.world.warehouses[warehouse], lot,
                            None if location is None else self.world.bins[location])

    @rule(sku=skus, warehouse=warehouses, other=st.integers(0, 1), quantity=amounts, cost=costs)
    def add_found_stock(self, sku: str, warehouse: str, other: int, quantity: Decimal,
                 cost: Decimal) -> None:
        location = STORAGE_BINS[warehouse][other]
        self.attempt(adjust_stock(self.db, self.users["warehouse"], AdjustmentRequest(
            warehouse_code=warehouse, sku=sku, location_code=location, quantity=quantity,
            reason="found", idempotency_key=uuid.uuid4().hex, unit_cost=cost)), None)
        self.docs.owned[sku] += quantity

    @rule(sku=skus, warehouse=warehouses, other=st.integers(0, 1), quantity=amounts,
          share=shares)
    def write_off(self, sku: str, warehouse: str, other: int, quantity: Decimal,
                  share: Decimal | None) -> None:
        location = STORAGE_BINS[warehouse][other]
        held = self.available(sku, warehouse, "", location)
        quantity = portion(held, share, quantity) if held else quantity
        short = quantity > held
        self.attempt(adjust_stock(self.db, self.users["warehouse"], AdjustmentRequest(
            warehouse_code=warehouse, sku=sku, location_code=location, quantity=-quantity,
            reason="broken", idempotency_key=uuid.uuid4().hex)),
            "INSUFFICIENT_STOCK" if short else None)
        if not short:
            self.docs.owned[sku] -= quantity

    @precondition(lambda self: self.docs.purchases < MAX_PURCHASES)
    @rule(quantity=st.integers(1, 8))
    def purchase(self, quantity: int) -> None:
        self.docs.purchases += 1
        order = self.run(approved_order(self.db, self.users, {"P1": quantity}))
        self.run(receive(self.db, self.users, order.number, [("P1", quantity, SUPPLIED_LOT)]))
        self.docs.owned["P1"] += quantity
        self.docs.supplied += quantity

    @precondition(lambda self: self.docs.supplied > 0)
    @rule(quantity=amounts, share=shares)
    def return_to_supplier(self, quantity: Decimal, share: Decimal | None) -> None:
        returnable = min(self.docs.supplied, self.available("P1", "WH1", SUPPLIED_LOT))
        quantity = portion(returnable, share, quantity) if returnable else quantity
        created = self.attempt(create_purchase_return(
            self.db, self.users["purchaser"], draft(line("P1", quantity, Bucket.AVAILABLE,
                                                         lot=SUPPLIED_LOT))),
            "INSUFFICIENT_STOCK" if quantity > returnable else None)
        if created is not None:
            self.docs.supplied -= quantity
            self.docs.held_returns.append(created.number)

    @precondition(lambda self: self.docs.held_returns)
    @rule()
    def ship_to_supplier(self) -> None:
        shipped = self.run(ship_purchase_return(
            self.db, self.users["warehouse"], self.docs.held_returns.pop(0), uuid.uuid4().hex))
        self.docs.owned["P1"] -= sum(r.quantity for r in shipped.purchase_return.lines)

    @rule(sku=skus, warehouse=warehouses, quantity=amounts, share=shares)
    def sell(self, sku: str, warehouse: str, quantity: Decimal, share: Decimal | None) -> None:
        """An order taken whole or refused, then released, picked in full and shipped."""
        available = self.available(sku, warehouse)
        quantity = portion(available, share, quantity) if available else quantity
        taken = self.attempt(sales_orders.create_sales_order(
            self.db, self.users["sales"], SalesOrderDraft(
                "C1", warehouse, [SalesLineDraft(sku, quantity, unit_price=Decimal(300))])),
            "INSUFFICIENT_STOCK" if quantity > available else None)
        if taken is None:
            return
        number = taken.view.order.number
        self.run(pick_and_ship(self.db, self.users, number))
        self.docs.owned[sku] -= quantity
        self.docs.returnable_sales[number] = Goods(sku, quantity, warehouse)

    @precondition(lambda self: self.docs.returnable_sales)
    @rule(pick=picks, quantity=amounts, share=shares)
    def return_from_customer(self, pick: int, quantity: Decimal, share: Decimal | None) -> None:
        number = chosen(sorted(self.docs.returnable_sales), pick)
        sold = self.docs.returnable_sales[number]
        quantity = portion(sold.quantity, share, quantity)
        created = self.attempt(create_return(self.db, self.users, number, {sold.sku: quantity}),
                               "OVER_RETURN" if quantity > sold.quantity else None)
        if created is None:
            return
        sold.quantity -= quantity
        if not sold.quantity:
            del self.docs.returnable_sales[number]
        self.docs.sales_returns_due[created.row.number] = Goods(sold.sku, quantity,
                                                                sold.warehouse)

    @precondition(lambda self: self.docs.sales_returns_due)
    @rule(pick=picks, share=shares, quantity=amounts)
    def receive_from_customer(self, pick: int, share: Decimal | None, quantity: Decimal
                              ) -> None:
        number = chosen(sorted(self.docs.sales_returns_due), pick)
        due = self.docs.sales_returns_due[number]
        quantity = portion(due.quantity, share, quantity)
        received = self.attempt(receive_sales_return(
            self.db, self.users["warehouse"],
            receipt_request(number, {due.sku: quantity}, due.warehouse)),
            "OVER_RECEIPT" if quantity > due.quantity else None)
        if received is None:
            return
        self.docs.owned[due.sku] += quantity
        due.quantity -= quantity
        if not due.quantity:
            del self.docs.sales_returns_due[number]
        for task in self.run(qc_tasks(self.db, received.receipt.number)):
            self.docs.qc_tasks[task.id] = Goods(due.sku, task.quantity, due.warehouse)

    @precondition(lambda self: self.docs.qc_tasks)
    @rule(pick=picks, restock=shares, scrap=shares)
    def inspect_returned(self, pick: int, restock: Decimal | None, scrap: Decimal | None
                         ) -> None:
        """Restock part and scrap part; WH2 has no rejected bin to scrap into."""
        task_id = chosen(sorted(self.docs.qc_tasks), pick)
        task = self.docs.qc_tasks[task_id]
        back = portion(task.quantity, restock, task.quantity)
        left = task.quantity - back
        thrown = portion(left, scrap, left) if left > 0 else ZERO
        refusal = "INVALID_INPUT" if thrown and task.warehouse == "WH2" else None
        if self.attempt(inspect(self.db, self.users, task_id, restock=back, scrap=thrown),
                        refusal) is None:
            return
        task.quantity -= back + thrown
        if not task.quantity:
            del self.docs.qc_tasks[task_id]

    @rule(sku=skus, source=warehouses, quantity=amounts, share=shares)
    def send(self, sku: str, source: str, quantity: Decimal, share: Decimal | None) -> None:
        available = self.available(sku, source)
        quantity = portion(available, share, quantity) if available else quantity
        destination = next(w for w in WAREHOUSES if w != source)
        view = self.attempt(new_transfer(self.db, self.users, {sku: quantity}, source,
                                         destination),
                            "INSUFFICIENT_STOCK" if quantity > available else None)
        if view is not None:
            self.docs.transfers[view.transfer.number] = Travel(sku, TransferState.PICKING)

    def transfers_in(self, *states: str) -> list[str]:
        return sorted(n for n, t in self.docs.transfers.items() if t.state in states)

    @precondition(lambda self: self.transfers_in(TransferState.PICKING))
    @rule(pick=picks)
    def pick_transfer(self, pick: int) -> None:
        number = chosen(self.transfers_in(TransferState.PICKING), pick)
        view = self.run(pick_all(self.db, self.users, self.view_of(number)))
        assert view.transfer.state == TransferState.PICKED
        self.docs.transfers[number].state = TransferState.PICKED

    def view_of(self, number: str) -> TransferView:
        return self.run(transfer_of(self.db, number))

    @precondition(lambda self: self.transfers_in(TransferState.PICKING, TransferState.PICKED))
    @rule(pick=picks)
    def cancel_sending(self, pick: int) -> None:
        number = chosen(self.transfers_in(TransferState.PICKING, TransferState.PICKED), pick)
        picked = self.docs.transfers[number].state == TransferState.PICKED
        if self.attempt(cancel_transfer(self.db, self.users["warehouse"], CancelTransferRequest(
                number, "not needed", uuid.uuid4().hex)),
                "INVALID_STATE" if picked else None) is not None:
            self.docs.transfers[number].state = TransferState.CANCELLED

    @precondition(lambda self: self.transfers_in(TransferState.PICKED))
    @rule(pick=picks)
    def ship_transfer(self, pick: int) -> None:
        number = chosen(self.transfers_in(TransferState.PICKED), pick)
        view = self.run(ship(self.db, self.users, self.view_of(number)))
        travel = self.docs.transfers[number]
        travel.state = TransferState.IN_TRANSIT
        travel.to_receive = sum(line.line.quantity for line in view.lines)

    @precondition(lambda self: self.transfers_in(TransferState.IN_TRANSIT))
    @rule(pick=picks, quantity=amounts, share=shares)
    def receive_transfer(self, pick: int, quantity: Decimal, share: Decimal | None) -> None:
        number = chosen(self.transfers_in(TransferState.IN_TRANSIT), pick)
        travel = self.docs.transfers[number]
        quantity = portion(travel.to_receive, share, quantity)
        destination = self.view_of(number).to_warehouse_code
        if self.attempt(receive_transfer(
                self.db, self.users, number, ReceiveLine(quantity, sku=travel.sku),
                warehouse=destination),
                "OVER_RECEIPT" if quantity > travel.to_receive else None) is None:
            return
        travel.to_receive -= quantity
        if not travel.to_receive:
            travel.state = TransferState.RECEIVED

    @precondition(lambda self: self.docs.stocktake is None)
    @rule(warehouse=warehouses, which=st.sampled_from([(0,), (1,), (0, 1)]))
    def start_count(self, warehouse: str, which: tuple[int, ...]) -> None:
        bins = tuple(STORAGE_BINS[warehouse][i] for i in which)
        started = self.run(start_stocktake(self.db, self.users["warehouse"],
                                           StartRequest(warehouse, bins)))
        self.docs.stocktake = Count(started.number, warehouse, bins)

    @precondition(lambda self: self.docs.stocktake is not None)
    @rule(pick=picks, sku=skus, difference=st.integers(-3, 3))
    def count_a_bin(self, pick: int, sku: str, difference: int) -> None:
        stocktake = self.docs.stocktake
        assert stocktake is not None
        location = chosen(list(stocktake.bins), pick)
        key = (location, sku, "")
        if key in stocktake.counted:
            return
        held = held_in_bin(self.tables, self.world.products[sku], self.world.bins[location], "")
        counted = max(held + difference, ZERO)
        self.run(record_count(self.db, self.users["warehouse"], count(
            stocktake.number, location, counted, sku=sku)))
        stocktake.counted[key] = counted

    @precondition(lambda self: self.docs.stocktake is not None and self.docs.stocktake.counted)
    @rule()
    def post_count(self) -> None:
        """Variances against what the bins hold now; missing stock must be available to go."""
        stocktake = self.docs.stocktake
        assert stocktake is not None
        variances = {key: quantity - held_in_bin(
            self.tables, self.world.products[key[1]], self.world.bins[key[0]], key[2])
            for key, quantity in stocktake.counted.items()}
        short = any(-v > self.available(sku, stocktake.warehouse, lot, location)
                    for (location, sku, lot), v in variances.items() if v < 0)
        posted = self.attempt(post_stocktake(self.db, self.users["warehouse"],
                                             posting(stocktake.number), NO_APPROVAL),
                              "INSUFFICIENT_STOCK" if short else None)
        if posted is None:
            return
        for (_location, sku, _lot), variance in variances.items():
            self.docs.owned[sku] += variance
        self.docs.stocktake = None

    @invariant()
    def balances_are_the_ledger(self) -> None:
        tables = self.run(read_tables(self.db))
        if self.failed:
            assert tables.fingerprint() == self.tables.fingerprint(), "a refused step wrote"
            self.failed = False
        self.tables = tables
        check_against_ledger(tables)
        self.check_against_model(tables)

    def check_against_model(self, tables: Tables) -> None:
        for sku in SKUS:
            assert owned_in(tables, self.world.products[sku]) == self.docs.owned[sku], sku
        in_transit = {sku: sum((t.to_receive for t in self.docs.transfers.values()
                                if t.sku == sku), ZERO) for sku in SKUS}
        for sku in SKUS:
            found = sum((q for (p, _w, b), q in tables.positions.items()
                         if p == self.world.products[sku] and b == Bucket.IN_TRANSIT.value),
                        ZERO)
            assert found == in_transit[sku], f"{sku} in transit"


def run_machine(url: str) -> None:
    loop = asyncio.new_event_loop()
    database = Database(url)
    try:
        world = loop.run_until_complete(flow_world(database))
        backend = "sqlite" if database.is_sqlite else "postgresql"
        run_state_machine_as_test(lambda: FlowMachine(loop, database, world),
                                  settings=machine_settings(backend))
    finally:
        loop.run_until_complete(database.dispose())
        loop.close()


async def test_random_flows_keep_the_ledger_whole_and_refusals_change_nothing(
    db: Database,
) -> None:
    await asyncio.to_thread(run_machine, db.url)
