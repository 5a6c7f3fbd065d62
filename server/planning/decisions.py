"""A buyer's decisions on replenishment suggestions: convert them into draft purchase orders, or
dismiss one with a reason.

Decided suggestions are history: a recompute never touches a converted or dismissed row. A fresh
open suggestion may appear later for the same product × warehouse if the need persists; a
converted need does not come back, because draft purchase order lines count as supply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role
from server.catalog.models import Product, Supplier, SupplierItem, Warehouse
from server.catalog.rules import positive_problem, raise_problems, text_problem
from server.db import Database, utcnow
from server.errors import DomainError, NotFound, Problem
from server.numbering import next_number
from server.planning.models import ReplenishmentSuggestion, SuggestionStatus
from server.planning.suggestion_events import SuggestionChanges, record_suggestion_changes
from server.planning.suggestion_queries import SuggestionView, suggestion_views
from server.purchasing.events import order_event
from server.purchasing.models import PurchaseOrder, PurchaseOrderLine
from server.purchasing.orders import ORDER_PREFIX
from server.purchasing.rules import LineFacts, order_total
from server.purchasing.states import PoState

RowT = TypeVar("RowT", Product, Supplier, Warehouse)
DECIDERS = (Role.PURCHASER, Role.PURCHASE_MANAGER)  # and admins, as everywhere
MAX_CONVERTED = 500  # suggestions per call
MAX_REASON_LENGTH = 500
NOT_OPEN = "SUGGESTION_NOT_OPEN"


@dataclass(frozen=True, slots=True)
class ConversionOverride:
    """What the buyer changes on one suggestion before converting it: the quantity, and/or
    the supplier (whose active item for the product gives price and currency)."""

    suggestion_id: int
    quantity: Decimal | None = None
    supplier_code: str | None = None


@dataclass(frozen=True, slots=True)
class Conversion:
    orders: list[PurchaseOrder]
    order_numbers: dict[int, str]  # suggestion id → the number of the order it went into


@dataclass(frozen=True, slots=True)
class _Terms:
    """How one suggestion will be bought."""

    suggestion: ReplenishmentSuggestion
    index: int  # in the ids given, for error fields
    supplier_id: int
    quantity: Decimal
    unit_price: Decimal
    currency: str


@dataclass(slots=True)
class _Draft:
    """One order in the making: a supplier × warehouse × currency and its lines by product."""

    quantities: dict[int, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    prices: dict[int, Decimal] = field(default_factory=dict)
    needed_by: dict[int, date | None] = field(default_factory=dict)
    suggestions: list[ReplenishmentSuggestion] = field(default_factory=list)


async def convert_suggestions(
    db: Database, principal: Principal, ids: Sequence[int],
    overrides: Sequence[ConversionOverride] = (),
) -> Conversion:
    """Open suggestions into draft purchase orders, all or none: one order per supplier ×
    warehouse (× currency, as an order has one), lines of one product merged with their
    quantities added, each line requested by its suggestions' earliest need date (today when
    that has passed). The suggestions become converted and point at their order."""
    principal.require(*DECIDERS)
    raise_problems(*_request_problems(ids, overrides))
    async with db.transaction() as session:
        rows = await _locked(session, ids)
        products = await _by_id(session, Product, {row.product_id for row in rows.values()})
        await _refuse_decided(session, ids, rows, products)
        terms = await _terms(session, ids, rows, overrides, products)
        orders, numbers = await _create_orders(session, principal, terms, products)
        await _closed(session, [rows[i] for i in ids], products, principal,
                      SuggestionStatus.CONVERTED)
        return Conversion(orders=orders, order_numbers=numbers)


async def dismiss_suggestion(
    db: Database, principal: Principal, suggestion_id: int, reason: str
) -> SuggestionView:
    """Say no to an open suggestion, with a reason the next buyer reads."""
    principal.require(*DECIDERS)
    raise_problems(text_problem(reason, "reason", MAX_REASON_LENGTH))
    async with db.transaction() as session:
        rows = await _locked(session, [suggestion_id], field="id")
        products = await _by_id(session, Product, {row.product_id for row in rows.values()})
        await _refuse_decided(session, [suggestion_id], rows, products, field="id")
        row = rows[suggestion_id]
        row.dismiss_reason = reason.strip()
        await _closed(session, [row], products, principal, SuggestionStatus.DISMISSED)
        [view] = await suggestion_views(session, [row])
        return view


def _request_problems(
    ids: Sequence[int], overrides: Sequence[ConversionOverride]
) -> list[Problem | None]:
    problems: list[Problem | None] = []
    if not ids:
        problems.append(Problem("INVALID_INPUT", "name at least one suggestion", "ids"))
    if len(ids) > MAX_CONVERTED:
        problems.append(Problem("INVALID_INPUT",
                                f"convert at most {MAX_CONVERTED} suggestions at once", "ids"))
    seen: set[int] = set()
    for index, suggestion_id in enumerate(ids):
        if suggestion_id in seen:
            problems.append(Problem("INVALID_INPUT", f"suggestion {suggestion_id} is named twice",
                                    f"ids[{index}]"))
        seen.add(suggestion_id)
    overridden: set[int] = set()
    for index, override in enumerate(overrides):
        where = f"overrides[{index}]"
        if override.suggestion_id not in seen:
            problems.append(Problem("INVALID_INPUT", f"suggestion {override.suggestion_id} is "
                                    "not among the ids to convert", f"{where}.id"))
        if override.suggestion_id in overridden:
            problems.append(Problem("INVALID_INPUT", f"suggestion {override.suggestion_id} has "
                                    "two overrides", f"{where}.id"))
        overridden.add(override.suggestion_id)
        problems.append(positive_problem(override.quantity, f"{where}.quantity"))
        if override.supplier_code is not None and not override.supplier_code.strip():
            problems.append(Problem("INVALID_INPUT", "supplierCode must not be blank",
                                    f"{where}.supplierCode"))
    return problems


async def _locked(
    session: AsyncSession, ids: Sequence[int], field: str = "ids"
) -> dict[int, ReplenishmentSuggestion]:
    """The suggestions, locked in id order (so two buyers never deadlock) and read fresh."""
    stmt = (select(ReplenishmentSuggestion).where(ReplenishmentSuggestion.id.in_(ids))
            .order_by(ReplenishmentSuggestion.id).with_for_update()
            .execution_options(populate_existing=True))
    rows = {row.id: row for row in await session.scalars(stmt)}
    missing = [Problem("NOT_FOUND", f"no replenishment suggestion {suggestion_id}",
                       _position(field, index, len(ids)))
               for index, suggestion_id in enumerate(ids) if suggestion_id not in rows]
    if missing:
        raise NotFound.of(missing)
    return rows


def _position(field: str, index: int, count: int) -> str:
    return f"{field}[{index}]" if field == "ids" or count > 1 else field


async def _refuse_decided(
    session: AsyncSession, ids: Sequence[int], rows: Mapping[int, ReplenishmentSuggestion],
    products: Mapping[int, Product], field: str = "ids",
) -> None:
    decided = [(index, rows[i]) for index, i in enumerate(ids)
               if rows[i].status != SuggestionStatus.OPEN.value]
    if not decided:
        return
    numbers = dict((await session.execute(
        select(PurchaseOrder.id, PurchaseOrder.number).where(PurchaseOrder.id.in_(
            [row.purchase_order_id for _, row in decided if row.purchase_order_id]))
    )).all())
    problems = []
    for index, row in decided:
        what = f"suggestion {row.id} ({products[row.product_id].sku})"
        if row.status == SuggestionStatus.CONVERTED.value:
            message = f"{what} was already converted into {numbers.get(row.purchase_order_id)}"
        else:
            message = f"{what} was dismissed: {row.dismiss_reason}"
        problems.append(Problem(NOT_OPEN, message, _position(field, index, len(ids))))
    raise DomainError.of(problems)


async def _terms(
    session: AsyncSession, ids: Sequence[int], rows: Mapping[int, ReplenishmentSuggestion],
    overrides: Sequence[ConversionOverride], products: Mapping[int, Product],
) -> list[_Terms]:
    """Each suggestion's supplier, quantity and price, overrides applied; every supplier in
    the result is active."""
    overridden = {o.suggestion_id: (index, o) for index, o in enumerate(overrides)}
    codes = {o.supplier_code.strip() for o in overrides if o.supplier_code}
    named = {s.code: s for s in await session.scalars(
        select(Supplier).where(Supplier.code.in_(codes)))}
    items = {(item.supplier_id, item.product_id): item for item in await session.scalars(
        select(SupplierItem).where(SupplierItem.active.is_(True), SupplierItem.supplier_id.in_(
            [supplier.id for supplier in named.values()])))}
    problems: list[Problem] = []
    terms: list[_Terms] = []
    for index, suggestion_id in enumerate(ids):
        row = rows[suggestion_id]
        at, override = overridden.get(suggestion_id, (None, ConversionOverride(suggestion_id)))
        quantity = override.quantity or row.quantity
        if not override.supplier_code:
            terms.append(_Terms(row, index, row.supplier_id, quantity, row.unit_price,
                                row.currency))
            continue
        code = override.supplier_code.strip()
        where = f"overrides[{at}].supplierCode"
        supplier = named.get(code)
        item = items.get((supplier.id, row.product_id)) if supplier else None
        if supplier is None or not supplier.active:
            problems.append(Problem("NOT_FOUND", f"no active supplier {code!r}", where))
        elif item is None:
            problems.append(Problem("NOT_SUPPLIED", f"{code} has no active item for "
                                    f"{products[row.product_id].sku}", where))
        else:
            terms.append(_Terms(row, index, supplier.id, quantity, item.price, item.currency))
    suppliers = await _by_id(session, Supplier, {t.supplier_id for t in terms})
    problems.extend(
        Problem("NOT_FOUND", f"supplier {suppliers[t.supplier_id].code} of suggestion "
                f"{t.suggestion.id} is no longer active; choose another with supplierCode",
                f"ids[{t.index}]")
        for t in terms if not suppliers[t.supplier_id].active)
    if problems:
        raise DomainError.of(problems)
    return terms


async def _create_orders(
    session: AsyncSession, principal: Principal, terms: Sequence[_Terms],
    products: Mapping[int, Product],
) -> tuple[list[PurchaseOrder], dict[int, str]]:
    today = utcnow().date()
    drafts: dict[tuple[int, int, str], _Draft] = defaultdict(_Draft)
    for t in terms:
        draft = drafts[(t.supplier_id, t.suggestion.warehouse_id, t.currency)]
        product_id = t.suggestion.product_id
        draft.quantities[product_id] += t.quantity
        draft.prices.setdefault(product_id, t.unit_price)
        needs = [d for d in (draft.needed_by.get(product_id), t.suggestion.need_date) if d]
        draft.needed_by[product_id] = max(min(needs), today) if needs else None
        draft.suggestions.append(t.suggestion)
    orders: list[PurchaseOrder] = []
    numbers: dict[int, str] = {}
    for (supplier_id, warehouse_id, currency), draft in sorted(drafts.items()):
        order = PurchaseOrder(
            number=await next_number(session, ORDER_PREFIX, today), supplier_id=supplier_id,
            warehouse_id=warehouse_id, state=PoState.DRAFT.value, currency=currency,
            created_by_id=principal.user_id, order_date=today,
            notes="From replenishment suggestions "
                  + ", ".join(str(s.id) for s in sorted(draft.suggestions, key=lambda s: s.id)),
            lines=[PurchaseOrderLine(line_no=line_no, product_id=product_id, quantity=quantity,
                                     unit_price=draft.prices[product_id],
                                     requested_date=draft.needed_by[product_id])
                   for line_no, (product_id, quantity) in enumerate(
                       sorted(draft.quantities.items()), start=1)],
        )
        order.total_amount = order_total([
            LineFacts(products[line.product_id].sku, products[line.product_id].category,
                      line.quantity, line.unit_price) for line in order.lines])
        session.add(order)
        await session.flush()
        await order_event(session, order, "PO_CREATED", principal)
        for suggestion in draft.suggestions:
            suggestion.purchase_order_id = order.id
            numbers[suggestion.id] = order.number
        orders.append(order)
    return orders, numbers


async def _closed(
    session: AsyncSession, rows: Sequence[ReplenishmentSuggestion],
    products: Mapping[int, Product], principal: Principal, status: SuggestionStatus,
) -> None:
    """Mark ``rows`` decided and tell each warehouse's followers."""
    now = utcnow()
    warehouses = await _by_id(session, Warehouse, {row.warehouse_id for row in rows})
    changes: dict[int, SuggestionChanges] = {}
    for row in rows:
        row.status = status.value
        row.decided_by_id = principal.user_id
        row.decided_at = now
        change = changes.setdefault(row.warehouse_id, SuggestionChanges(
            row.warehouse_id, warehouses[row.warehouse_id].code))
        change.closed += 1
        change.skus.add(products[row.product_id].sku)
    await session.flush()
    await record_suggestion_changes(session, list(changes.values()))


async def _by_id(
    session: AsyncSession, model: type[RowT], ids: set[int]
) -> dict[int, RowT]:
    found = await session.scalars(select(model).where(model.id.in_(ids)))
    return {row.id: row for row in found}
