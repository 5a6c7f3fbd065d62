"""sales_performance on both backends, on the fixture of test_fulfilment_report.py (prices 100,
P1 costing 50 and P3 40):

    sales: SO1 and SO3 (2 orders); shipped SO1 P1 4 + P3 2 and SO3 P1 8 → revenue 1,400.00,
        COGS 4 × 50 + 2 × 40 + 8 × 50 = 680.00, margin 720.00 = 51.43 %;
        collections: SO1's invoice, 600.00 + 13 % VAT = 678.00, paid 03-15
    nobody: SO2 (1 order), nothing shipped or collected
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from server.db import Database
from server.errors import DomainError
from server.finance.sales_performance import PerformanceRow, sales_performance
from tests.integration.test_fulfilment_report import FROM, TO, fulfilment_world
from tests.world import World

D = Decimal
SALES = PerformanceRow("sales", "sales", 2, D("1400.00"), D("680.00"), D("720.00"), D("51.43"),
                       D("678.00"))
NOBODY = PerformanceRow("", "(none)", 1, D("0.00"), D("0.00"), D("0.00"), None, D("0.00"))


@pytest.fixture
async def world(db: Database) -> World:
    return await fulfilment_world(db)


async def performance(db: Database, world: World, who: str, date_from: date = FROM,
                      date_to: date = TO) -> list[PerformanceRow]:
    async with db.reader() as session:
        return (await sales_performance(session, world[who], date_from, date_to)).rows


async def test_per_salesperson_to_the_cent(db: Database, world: World) -> None:
    assert await performance(db, world, "finance") == [NOBODY, SALES]
    assert await performance(db, world, "sales") == [SALES]


async def test_collections_follow_the_payment_date(db: Database, world: World) -> None:
    rows = await performance(db, world, "finance", FROM, date(2026, 3, 14))
    assert [(row.key, row.collections) for row in rows] == [("", D("0.00")),
                                                             ("sales", D("0.00"))]


async def test_refusals(db: Database, world: World) -> None:
    with pytest.raises(DomainError) as raised:
        await performance(db, world, "warehouse")
    assert raised.value.problems[0].code == "FORBIDDEN"
    with pytest.raises(DomainError) as raised:
        await performance(db, world, "finance", TO, FROM)
    assert raised.value.problems[0].field == "dateFrom"
