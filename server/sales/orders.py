"""Sales order use cases: create, update, cancel. Each runs in one transaction, bumps the order's
version and writes a ``sales_order`` event; stock follows through the ledger.

Why no order is ever oversold, even by 200 at once: ``create_sales_order`` first locks the cost rows
of its products (``lock_for_posting``, in the global order) and only then reads what is available.
Every posting locks a pair's cost row first, so nothing read can change before this transaction
commits: the check and the reservation are one step, and orders for the same product take turns (in
one process, before they take a connection: ``server.sales.turns``). REJECT refuses before a number
is taken or anything written, so a refused order consumes no number. Only a saved order takes one,
after its stock is locked: the number row, which every order needs, stays locked just for the writes
after it, and nothing waits on stock rows while holding it. BACKORDER reserves what there is and
backorders the rest in the same posting. Update and cancel lock the cost rows of the order's
products before the order row, the lock order ``server.sales.reserve`` describes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User, UserRole
from server.catalog.customers import customer_by_code
from server.catalog.models import Product
from server.catalog.rules import raise_problems
from server.catalog.service import warehouse_by_code
from server.db import Database, utcnow
from server.errors import Conflict, DomainError, Forbidden, InvalidState, Problem
from server.idempotency import run_once
from server.inventory.moves import total_problem
from server.numbering import next_number
from server.sales import queries
from server.sales.alerts import DOCUMENT_TYPE, order_event
from server.sales.models import SalesOrder, SalesOrderLine, SalesOrderState
from server.sales.queries import OrderView
from server.sales.reserve import lock_for_posting, lock_stock, plan_new_stock, release_lines
from server.sales.rules import (
    SalesLineDraft,
    SalesOrderChanges,
    SalesOrderDraft,
    Shortage,
    changes_problems,
    draft_problems,
    order_total,
    reason_problem,
    unit_price_of,
)
from server.sales.turns import take_turn

SELLERS = (Role.SALES,)
OPERATION = "createSalesOrder"


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """The order as saved, and what of it had to be backordered."""

    view: OrderView
    shortages: list[Shortage]


async def create_sales_order(
    db: Database, principal: Principal, draft: SalesOrderDraft
) -> OrderOutcome:
    principal.require(*SELLERS)
    today = utcnow().date()
    raise_problems(*draft_problems(draft, today))

    async def perform(session: AsyncSession) -> dict[str, Any]:
        await take_turn(session, [(draft.warehouse_code, line.sku) for line in draft.lines])
        return await _create(session, principal, draft, today)

    if draft.idempotency_key is not None:
        result = (await run_once(db, principal, OPERATION, draft.idempotency_key, perform)).result
    else:
        async with db.transaction() as session:
            result = await perform(session)
    return await _outcome(db, result)


async def update_sales_order(
    db: Database, principal: Principal, changes: SalesOrderChanges
) -> OrderOutcome:
    """Change notes and lines of an open order: more reserves (or backorders, or is refused
    under REJECT), less releases the backorder first, then reserved stock."""
    principal.require(*SELLERS)
    raise_problems(*changes_problems(changes, date.min))
    skus = [line.sku for line in changes.lines or ()]
    async with db.transaction() as session:
        order, products = await _lock_order(session, changes.number, skus)
        _check_changeable(order, principal, changes.based_on_version)
        # A line may keep the requested date it was taken with.
        raise_problems(*changes_problems(changes, order.order_date))
        if changes.notes is not None:
            order.notes = changes.notes.strip()
        shortages: list[Shortage] = []
        if changes.lines is not None:
            shortages = await _edit_lines(session, order, changes.lines, products, principal)
        order.total_amount = order_total((line.quantity, line.unit_price) for line in order.lines)
        raise_problems(total_problem(order.total_amount, "lines"))
        order.version += 1
        await session.flush()
        await order_event(session, order, "SO_UPDATED")
        result = {"number": order.number, "shortages": [_shortage_json(s) for s in shortages]}
    return await _outcome(db, result)


async def cancel_sales_order(
    db: Database, principal: Principal, number: str, reason: str,
    based_on_version: int | None = None,
) -> OrderView:
    """Cancel an open order nothing of which is picked: reservations and backorders are
    released (freed stock goes to waiting backorders at once)."""
    principal.require(*SELLERS)
    raise_problems(reason_problem(reason))
    async with db.transaction() as session:
        order, _ = await _lock_order(session, number, [])
        _check_changeable(order, principal, based_on_version)
        started = [line.line_no for line in order.lines
                   if line.picked_quantity > 0 or line.shipped_quantity > 0]
        if started:
            raise InvalidState(f"{order.number} has picked or shipped lines "
                               f"({', '.join(map(str, started))}); it cannot be cancelled",
                               field="number")
        await _refuse_picking(session, order.lines)
        order.state = SalesOrderState.CANCELLED.value
        order.cancelled_at = utcnow()
        order.notes = f"{order.notes}\ncancelled: {reason.strip()}".strip()
        order.version += 1
        await release_lines(
            session, order,
            [(line, line.reserved_quantity + line.backordered_quantity) for line in order.lines],
            principal, f"{order.number} cancelled: {reason.strip()}")
        await order_event(session, order, "SO_CANCELLED")
    async with db.reader() as session:
        return await queries.order_view(session, number)


async def _create(
    session: AsyncSession, principal: Principal, draft: SalesOrderDraft, today: date
) -> dict[str, Any]:
    customer = await customer_by_code(session, draft.customer_code, "customerCode")
    warehouse = await warehouse_by_code(session, draft.warehouse_code, "warehouseCode")
    salesperson_id = customer.salesperson_id
    problems = [
        None if customer.active else Problem(
            "INVALID_INPUT", f"customer {customer.code} is inactive", "customerCode"),
        None if warehouse.active else Problem(
            "INVALID_INPUT", f"warehouse {warehouse.code} is inactive", "warehouseCode"),
    ]
    if draft.salesperson is not None:
        salesperson_id, problem = await _salesperson(session, draft.salesperson)
        problems.append(problem)
    products = await _products(session, [line.sku for line in draft.lines])
    problems += _product_problems(products, [line.sku for line in draft.lines])
    raise_problems(*problems)

    order = SalesOrder(
        customer_id=customer.id, warehouse_id=warehouse.id,
        region=(draft.region if draft.region is not None else customer.region).strip(),
        salesperson_id=salesperson_id, state=SalesOrderState.OPEN.value,
        shortage_policy=draft.shortage_policy.value, currency=draft.currency or "CNY",
        notes=draft.notes.strip(), created_by_id=principal.user_id, order_date=today,
        lines=[SalesOrderLine(
            line_no=index, product_id=products[line.sku].id, quantity=line.quantity,
            unit_price=unit_price_of(line.unit_price, products[line.sku].list_price),
            requested_date=line.requested_date,
        ) for index, line in enumerate(draft.lines, start=1)],
    )
    order.total_amount = order_total((line.quantity, line.unit_price) for line in order.lines)
    raise_problems(total_problem(order.total_amount, "lines"))
    # Every line posts (a reservation or a backorder) unless the order is refused.
    locked = await lock_for_posting(session, [(p.id, warehouse.id) for p in products.values()])
    for line in order.lines:
        line.expected_unit_cost = locked[(line.product_id, warehouse.id)].state.average_cost
    # Planned (and, under REJECT, refused) before the order is numbered or written.
    plan = await plan_new_stock(session, order,
                                [(index, line, line.quantity)
                                 for index, line in enumerate(order.lines)],
                                {p.id: p for p in products.values()})
    number = order.number = await next_number(session, DOCUMENT_TYPE, today)
    session.add(order)  # written with its lines by the posting's first flush
    await plan.apply(session, order, principal, why=f"{number} taken short", locked=locked)
    await order_event(session, order, "SO_CREATED", {line.product_id for line in order.lines})
    return {"number": number, "shortages": [_shortage_json(s) for s in plan.shortages]}


async def _edit_lines(
    session: AsyncSession, order: SalesOrder, drafts: Sequence[SalesLineDraft],
    products: dict[str, Product], actor: Principal,
) -> list[Shortage]:
    """Replace the order's lines: named lines change in place, unnamed ones are added, lines
    left out are removed. Less releases (the backorder first), more is planned like a new
    order's lines; a line never drops below what is picked or shipped of it."""
    existing = {line.line_no: line for line in order.lines}
    problems = _product_problems(products, [draft.sku for draft in drafts])
    named = {draft.line_no for draft in drafts if draft.line_no is not None}
    for index, draft in enumerate(drafts):
        if draft.line_no is None:
            continue
        line = existing.get(draft.line_no)
        if line is None:
            problems.append(Problem("NOT_FOUND", f"{order.number} has no line {draft.line_no}",
                                    f"lines[{index}].lineNo"))
            continue
        product = products.get(draft.sku)
        if product is not None and product.id != line.product_id:
            problems.append(Problem("INVALID_INPUT", f"line {line.line_no} is for another "
                                    "product; remove it and add a new line",
                                    f"lines[{index}].sku"))
        started = line.picked_quantity + line.shipped_quantity
        if draft.quantity < started:
            problems.append(Problem("INVALID_STATE", f"line {line.line_no} has {started} picked "
                                    "or shipped; it cannot drop below that",
                                    f"lines[{index}].quantity"))
    removed = [line for line_no, line in existing.items() if line_no not in named]
    problems += [Problem("INVALID_STATE", f"line {line.line_no} has been picked or shipped; it "
                         "cannot be removed", "lines")
                 for line in removed if line.picked_quantity + line.shipped_quantity > 0]
    raise_problems(*problems)
    smaller = [(existing[d.line_no], existing[d.line_no].quantity - d.quantity) for d in drafts
               if d.line_no is not None and d.quantity < existing[d.line_no].quantity]
    await _refuse_picking(session, removed + [line for line, _ in smaller])
    await release_lines(session, order, [
        *((line, line.reserved_quantity + line.backordered_quantity) for line in removed),
        *smaller], actor, f"{order.number} changed")
    for line in removed:
        order.lines.remove(line)
    costs = await lock_stock(session, [(p.id, order.warehouse_id) for p in products.values()])
    wanted: list[tuple[int, SalesOrderLine, Decimal]] = []
    next_no = max(existing, default=0) + 1
    for index, draft in enumerate(drafts):
        product = products[draft.sku]
        if draft.line_no is None:
            line = SalesOrderLine(
                line_no=next_no, product_id=product.id, quantity=draft.quantity,
                unit_price=unit_price_of(draft.unit_price, product.list_price),
                requested_date=draft.requested_date,
                expected_unit_cost=costs.get((product.id, order.warehouse_id)))
            next_no += 1
            order.lines.append(line)
            wanted.append((index, line, draft.quantity))
            continue
        line = existing[draft.line_no]
        if draft.quantity > line.quantity:
            wanted.append((index, line, draft.quantity - line.quantity))
        line.quantity = draft.quantity
        line.unit_price = draft.unit_price if draft.unit_price is not None else line.unit_price
        line.requested_date = draft.requested_date
    await session.flush()
    plan = await plan_new_stock(session, order, wanted, {p.id: p for p in products.values()})
    await plan.apply(session, order, actor, why=f"{order.number} changed")
    return plan.shortages


async def _lock_order(
    session: AsyncSession, number: str, skus: Sequence[str]
) -> tuple[SalesOrder, dict[str, Product]]:
    """The order, locked after the stock of its products and of ``skus`` (found by sku)."""
    current = await queries.load_order(session, number)
    products = await _products(session, skus)
    known = {line.product_id for line in current.lines} | {p.id for p in products.values()}
    await lock_stock(session, [(product_id, current.warehouse_id) for product_id in known])
    order = await queries.load_order(session, number, lock=True)
    if {line.product_id for line in order.lines} - known:
        raise Conflict(f"{number} changed while it was being loaded; try again", field="number")
    return order, products


def _check_changeable(
    order: SalesOrder, principal: Principal, based_on_version: int | None
) -> None:
    if Role.ADMIN not in principal.roles and principal.user_id not in (
            order.created_by_id, order.salesperson_id):
        raise Forbidden(f"{order.number} is not yours: only its salesperson, whoever took it "
                        "or an admin may change it", field="number")
    if based_on_version is not None and based_on_version != order.version:
        raise DomainError(f"{order.number} changed since version {based_on_version}: it is now "
                          f"version {order.version} ({order.state}); reload it",
                          field="basedOnVersion", code="STALE_VERSION")
    if order.state != SalesOrderState.OPEN.value:
        raise InvalidState(f"{order.number} is {order.state}: only open orders can change",
                           field="number")


async def _refuse_picking(session: AsyncSession, lines: Sequence[SalesOrderLine]) -> None:
    on_lists = await queries.open_pick_lines(session, [line.id for line in lines])
    if on_lists:
        raise InvalidState("the order is being picked (" + ", ".join(sorted(set(on_lists.values())))
                           + "); finish or cancel the picking first", field="number")


async def _products(session: AsyncSession, skus: Sequence[str]) -> dict[str, Product]:
    if not skus:
        return {}
    found = await session.scalars(select(Product).where(Product.sku.in_(set(skus))))
    return {product.sku: product for product in found}


def _product_problems(products: dict[str, Product], skus: Sequence[str]) -> list[Problem | None]:
    problems: list[Problem | None] = []
    for index, sku in enumerate(skus):
        product = products.get(sku)
        if product is None:
            problems.append(Problem("NOT_FOUND", f"no product with sku {sku!r}",
                                    f"lines[{index}].sku"))
        elif not product.active:
            problems.append(Problem("INVALID_INPUT", f"product {sku} is inactive",
                                    f"lines[{index}].sku"))
    return problems


async def _salesperson(session: AsyncSession, username: str) -> tuple[int | None, Problem | None]:
    field = "salespersonUsername"
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        return None, Problem("NOT_FOUND", f"no user {username!r}", field)
    sells = await session.scalar(select(UserRole.user_id).where(
        UserRole.user_id == user.id, UserRole.role == Role.SALES.value))
    if sells is None or not user.active:
        return None, Problem("INVALID_INPUT", f"user {username!r} is not an active salesperson",
                             field)
    return user.id, None


def _shortage_json(shortage: Shortage) -> dict[str, Any]:
    return {"index": shortage.index, "lineNo": shortage.line_no, "sku": shortage.sku,
            "requested": str(shortage.requested), "available": str(shortage.available),
            "expectedDate": shortage.expected_date and shortage.expected_date.isoformat(),
            "expectedQuantity": (str(shortage.expected_quantity)
                                 if shortage.expected_quantity is not None else None)}


def _shortage_of(body: dict[str, Any]) -> Shortage:
    expected = body["expectedQuantity"]
    return Shortage(body["index"], body["lineNo"], body["sku"], Decimal(body["requested"]),
                    Decimal(body["available"]),
                    date.fromisoformat(body["expectedDate"]) if body["expectedDate"] else None,
                    Decimal(expected) if expected is not None else None)


async def _outcome(db: Database, result: dict[str, Any]) -> OrderOutcome:
    async with db.reader() as session:
        view = await queries.order_view(session, result["number"])
    return OrderOutcome(view, [_shortage_of(body) for body in result["shortages"]])

