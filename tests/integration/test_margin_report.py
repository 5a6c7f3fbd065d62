"""margin_report on both backends, pinned by a hand-computed fixture: P1 comes in at two prices,
ships, partly comes back, comes in again at a third price and ships again.

The product has no pick cancellation (a picked line can only ship), so the stock that comes back
does so by a stock adjustment into its bin at the cost it left at, as a return would.

    in   10 @ 100.00 + 10 @ 130.00          → 20 on hand, value 2,300.00, average 115.0000
    SO-A 6 × 300.00 taken (expected 115.00), shipped: COGS 6 × 115 = 690.00 → 14, 1,610.00
    back 2 @ 115.00                           → 16 on hand, 1,840.00, average 115.0000
    SO-B 3 × 280.00 taken (expected 115.00, reserved from the 16)
    in   5 @ 121.30 = 606.50                  → 21 on hand, 2,446.50, average 116.5000
    SO-B shipped: COGS 3 × 116.50 = 349.50 (expected 345.00)
    revenue 1,800 + 840 = 2,640.00; COGS 1,039.50; margin 1,600.50 = 60.625 % → 60.63 %
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from server import auth
from server.auth import Role
from server.db import Database
from server.errors import DomainError
from server.finance.margin import MarginGroupBy, MarginReport, MarginRow, margin_report
from server.sales.shipping import confirm_shipment
from tests.integration.test_shipping import pick_all, release, shipment_request
from tests.picking_setup import average_cost, picking_world, put_stock, sales_order
from tests.world import PASSWORD, World

D = Decimal
TODAY = datetime.now(UTC).date()


@dataclass(frozen=True, slots=True)
class Scene:
    world: World
    first: str
    second: str


async def ship(db: Database, world: World, number: str) -> None:
    picked = await pick_all(db, world, await release(db, world, number))
    await confirm_shipment(db, world["warehouse"], shipment_request(picked.pick_list.number))


@pytest.fixture
async def scene(db: Database) -> Scene:
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    await put_stock(db, world, "P1", "WH1-A-02", 10, "130")
    first = await sales_order(db, world, {"P1": 6}, unit_price="300")
    await ship(db, world, first)
    await put_stock(db, world, "P1", "WH1-A-01", 2, "115")
    second = await sales_order(db, world, {"P1": 3}, unit_price="280")
    await put_stock(db, world, "P1", "WH1-A-02", 5, "121.30")
    assert await average_cost(db, "P1") == D("116.5000")
    await ship(db, world, second)
    return Scene(world, first, second)


async def report(db: Database, scene: Scene, group_by: MarginGroupBy,
                 who: str = "finance") -> MarginReport:
    async with db.reader() as session:
        return await margin_report(session, scene.world[who], TODAY, TODAY, group_by)


def figures(row: MarginRow) -> tuple[object, ...]:
    return (row.key, row.label, row.revenue, row.cogs, row.margin, row.margin_pct,
            row.expected_cogs, row.expected_margin, row.expected_margin_pct)


TOTAL = ("", "Total", D("2640.00"), D("1039.50"), D("1600.50"), D("60.63"), D("1035.00"),
         D("1605.00"), D("60.80"))


async def test_margin_by_order_to_the_cent(db: Database, scene: Scene) -> None:
    answer = await report(db, scene, MarginGroupBy.ORDER)
    assert [figures(row) for row in answer.rows] == [
        (scene.first, "Customer One", D("1800.00"), D("690.00"), D("1110.00"), D("61.67"),
         D("690.00"), D("1110.00"), D("61.67")),
        (scene.second, "Customer One", D("840.00"), D("349.50"), D("490.50"), D("58.39"),
         D("345.00"), D("495.00"), D("58.93")),
    ]
    assert figures(answer.total) == TOTAL


@pytest.mark.parametrize(("group_by", "key", "label"), [
    (MarginGroupBy.PRODUCT, "P1", "Product P1"),
    (MarginGroupBy.CATEGORY, "tools", "tools"),
    (MarginGroupBy.REGION, "East", "East"),
    (MarginGroupBy.CUSTOMER, "C1", "Customer One"),
    (MarginGroupBy.SALESPERSON, "sales", "sales"),
])
async def test_every_grouping_adds_up_to_the_same_total(
    db: Database, scene: Scene, group_by: MarginGroupBy, key: str, label: str
) -> None:
    answer = await report(db, scene, group_by)
    assert [figures(row) for row in answer.rows] == [(key, label, *TOTAL[2:])]
    assert figures(answer.total) == TOTAL


async def test_the_date_range_and_who_may_read_it(db: Database, scene: Scene) -> None:
    async with db.reader() as session:
        yesterday = await margin_report(session, scene.world["finance"], TODAY - timedelta(3),
                                        TODAY - timedelta(1), MarginGroupBy.ORDER)
    assert yesterday.rows == []
    assert (yesterday.total.revenue, yesterday.total.cogs, yesterday.total.margin_pct) == (
        D("0.00"), D("0.00"), None)
    assert figures((await report(db, scene, MarginGroupBy.PRODUCT, "sales")).total) == TOTAL
    other = await auth.create_user(db, "sales2", PASSWORD, [Role.SALES])
    async with db.reader() as session:
        theirs = await margin_report(session, other, TODAY, TODAY, MarginGroupBy.PRODUCT)
        assert theirs.rows == [] and theirs.total.revenue == D("0.00")
        for principal in (scene.world["warehouse"], scene.world["manager"]):
            with pytest.raises(DomainError) as refused:
                await margin_report(session, principal, TODAY, TODAY, MarginGroupBy.ORDER)
            assert refused.value.problems[0].code == "FORBIDDEN"
        with pytest.raises(DomainError) as backwards:
            await margin_report(session, scene.world["finance"], TODAY, TODAY - timedelta(1),
                                MarginGroupBy.ORDER)
        assert backwards.value.problems[0].field == "dateFrom"


async def test_a_shipment_of_two_lines_meets_its_own_ledger_rows(
    db: Database, scene: Scene
) -> None:
    await put_stock(db, scene.world, "P3", "WH1-A-01", 4, "40")
    number = await sales_order(db, scene.world, {"P3": 2, "P1": 1}, unit_price="50")
    await ship(db, scene.world, number)
    rows = {row.key: row for row in (await report(db, scene, MarginGroupBy.PRODUCT)).rows}
    assert (rows["P3"].revenue, rows["P3"].cogs) == (D("100.00"), D("80.00"))
    assert (rows["P1"].revenue, rows["P1"].cogs) == (D("2690.00"), D("1156.00"))
