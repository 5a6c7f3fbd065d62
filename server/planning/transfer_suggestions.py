"""``transfer_suggestions``: for one product, the transfers between its warehouses that would
cover their shortages from the others' surplus (``server.planning.transfer_cover``), worked out
from the same facts, rules and policy as the purchase suggestions. With the policy's
``prefer_transfers`` set, those purchase suggestions are already reduced by them."""

from __future__ import annotations

from sqlalchemy import select

from server.auth import Principal
from server.catalog.models import Warehouse
from server.catalog.products import product_by_sku
from server.db import Database, utcnow
from server.planning.engine import MAX_FORECAST_WEEKS, transfers_for
from server.planning.inputs import Window, load_facts, load_policy
from server.planning.rule_store import rules_for_engine
from server.planning.transfer_cover import SuggestedTransfer


async def transfer_suggestions(
    db: Database, principal: Principal, sku: str
) -> list[SuggestedTransfer]:
    principal.require_internal()
    async with db.reader() as session:
        product = await product_by_sku(session, sku.strip())
        policy = await load_policy(session)
        window = Window.of(utcnow().date(), policy, MAX_FORECAST_WEEKS)
        warehouse_ids = await session.scalars(select(Warehouse.id).where(Warehouse.active))
        facts = await load_facts(session, [(product.id, w) for w in warehouse_ids], window)
        rules = await rules_for_engine(session)
    return list(transfers_for(facts, rules, policy, window.today).get(product.id, ()))
