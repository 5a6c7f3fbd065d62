"""Planning with transfers preferred, on both backends: a shortage at WH2 is covered by WH1's
surplus before any purchase suggestion, only when the policy says so; what the surplus cannot
cover is still bought; a shipped transfer is incoming supply to the destination's netting; the
policy is set by purchase managers only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from server.catalog.models import Product, Warehouse
from server.db import Database
from server.errors import DomainError
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.planning.policy import PolicyChange, set_planning_policy
from server.planning.transfer_suggestions import transfer_suggestions
from tests.picking_setup import put_stock, sales_order
from tests.transfer_setup import new_transfer, pick_all, ship, transfer_world
from tests.world import World

D = Decimal


@pytest.fixture
async def world(db: Database) -> World:
    found = await transfer_world(db)
    await put_stock(db, found, "P1", "WH1-A-01", 10, "10")
    return found


async def suggested(db: Database) -> dict[tuple[str, str], ReplenishmentSuggestion]:
    async with db.reader() as session:
        rows = await session.execute(
            select(Product.sku, Warehouse.code, ReplenishmentSuggestion)
            .join(Product, Product.id == ReplenishmentSuggestion.product_id)
            .join(Warehouse, Warehouse.id == ReplenishmentSuggestion.warehouse_id)
            .where(ReplenishmentSuggestion.status == SuggestionStatus.OPEN.value))
        return {(sku, code): suggestion for sku, code, suggestion in rows}


async def prefer_transfers(db: Database, world: World, on: bool = True) -> None:
    policy = await set_planning_policy(db, world["manager"], PolicyChange(prefer_transfers=on))
    assert policy.prefer_transfers is on


async def test_without_the_policy_a_shortage_is_bought_even_with_surplus_elsewhere(
    db: Database, world: World
) -> None:
    await sales_order(db, world, {"P1": 6}, warehouse="WH2")
    assert (await suggested(db))[("P1", "WH2")].quantity == D(6)
    # planning still shows what a transfer could do
    [transfer] = await transfer_suggestions(db, world["purchaser"], "P1")
    assert (transfer.from_warehouse_code, transfer.to_warehouse_code, transfer.quantity) == (
        "WH1", "WH2", D(6))


async def test_with_the_policy_the_surplus_covers_the_shortage_before_a_purchase(
    db: Database, world: World
) -> None:
    await prefer_transfers(db, world)
    await sales_order(db, world, {"P1": 6}, warehouse="WH2")
    assert ("P1", "WH2") not in await suggested(db)
    [transfer] = await transfer_suggestions(db, world["purchaser"], "P1")
    assert (transfer.from_warehouse_code, transfer.to_warehouse_code, transfer.quantity) == (
        "WH1", "WH2", D(6))
    assert "WH1 has 10 available" in transfer.note


async def test_what_the_surplus_cannot_cover_is_still_bought_and_explained(
    db: Database, world: World
) -> None:
    await prefer_transfers(db, world)
    await sales_order(db, world, {"P1": 14}, warehouse="WH2")
    suggestion = (await suggested(db))[("P1", "WH2")]
    assert suggestion.quantity == D(4)
    assert any("in_transit includes 10 by a suggested transfer from WH1" in note
               for note in suggestion.explanation["notes"])


async def test_only_purchase_managers_set_the_policy_and_within_bounds(
    db: Database, world: World
) -> None:
    with pytest.raises(DomainError) as error:
        await set_planning_policy(db, world["purchaser"], PolicyChange(prefer_transfers=True))
    assert error.value.problems[0].code == "FORBIDDEN"
    with pytest.raises(DomainError) as error:
        await set_planning_policy(db, world["manager"], PolicyChange(service_level=D("1.2")))
    assert [(p.code, p.field) for p in error.value.problems] == [
        ("INVALID_INPUT", "serviceLevel")]


async def test_a_shipped_transfer_counts_as_incoming_supply_at_the_destination(
    db: Database, world: World
) -> None:
    await sales_order(db, world, {"P1": 6}, warehouse="WH2")
    assert (await suggested(db))[("P1", "WH2")].quantity == D(6)
    view = await ship(db, world, await pick_all(db, world, await new_transfer(
        db, world, {"P1": 6})))
    assert view.transfer.state == "in_transit"
    assert ("P1", "WH2") not in await suggested(db)
