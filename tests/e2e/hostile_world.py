"""What the fuzz, isolation and hostile-input suites stand on: the sales world with stock, an
approved order from each supplier, an advance shipping notice from S2 and a sales order; the
row counts that must not move when a request fails; and the rule for telling a refused
request from a broken server."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from server.approvals import service as approvals
from server.db import Database
from server.documents import templates
from server.models import Base
from server.purchasing import orders, portal
from server.purchasing.orders import OrderDraft
from server.purchasing.rules import LineDraft
from tests.e2e.conftest import token_for
from tests.sales_setup import order_for, put_stock, sales_world
from tests.world import World

# The audit log grows with every mutation, refused or not: that is its job.
GROWS_ON_REFUSAL = frozenset({"audit_log"})
# A user per role (and one with no token at all), as tests/world.py names them.
ROLE_USERS: dict[str, str | None] = {
    "anonymous": None, "admin": "admin", "purchaser": "purchaser", "purchase_manager": "manager",
    "finance_director": "finance", "warehouse": "warehouse", "qc": "qc", "sales": "sales",
    "supplier": "s1",
}


@dataclass(frozen=True, slots=True)
class Documents:
    s1_order: str
    s2_order: str
    s2_notice: str
    sales_order: str


async def approved_order_from(db: Database, world: World, supplier: str, sku: str) -> str:
    order = await orders.create_purchase_order(db, world["purchaser"], OrderDraft(
        supplier, "WH1", [LineDraft(sku, Decimal(10))]))
    await orders.submit_purchase_order(db, world["purchaser"], order.number)
    async with db.reader() as session:
        tasks = await approvals.tasks_of(session, world["manager"])
    for task, _ in tasks:
        await approvals.decide(db, world["manager"], task.id, True, None)
    return order.number


async def hostile_world(db: Database) -> tuple[World, Documents]:
    world = await sales_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 20, lot="L1")
    s1_order = await approved_order_from(db, world, "S1", "P1")
    s2_order = await approved_order_from(db, world, "S2", "P3")
    notice, _ = await portal.create_shipment_notice(db, world["s2"], portal.NoticeDraft(
        s2_order, [portal.NoticeLine(1, Decimal(10), lot="S2-LOT")]))
    sale = await order_for(db, world, [("P1", 2)])
    # The first read of the print templates installs the built-in ones: done here, so that
    # "a query changes nothing" holds from the first generated query on.
    await templates.print_templates(db, world.admin)
    return world, Documents(s1_order, s2_order, notice.number, sale.view.order.number)


async def role_tokens(db: Database, world: World) -> dict[str, str | None]:
    users = {**world.users, "admin": world.admin}
    return {role: None if user is None else await token_for(db, users[user])
            for role, user in ROLE_USERS.items()}


async def row_counts(db: Database) -> dict[str, int]:
    """Rows in every table but the audit log, in one statement."""
    tables = [t for t in Base.metadata.sorted_tables if t.name not in GROWS_ON_REFUSAL]
    counts = select(*[select(func.count()).select_from(t).scalar_subquery().label(t.name)
                      for t in tables])
    async with db.reader() as session:
        row = (await session.execute(counts)).one()
    return dict(zip([t.name for t in tables], row, strict=True))


def server_failures(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors raised while executing without a code: an exception nobody expected. Errors
    without a path (parsing, validation, variable coercion) are the request's fault."""
    return [error for error in body.get("errors") or []
            if error.get("path") and not (error.get("extensions") or {}).get("code")]


def user_error_codes(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return []
    return [error["code"] for error in payload.get("userErrors") or []]
