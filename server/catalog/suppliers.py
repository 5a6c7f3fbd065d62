"""Suppliers: use cases (one transaction each) and reads. A supplier user sees only its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal
from server.catalog.access import PURCHASING_EDITORS, supplier_scope
from server.catalog.drafts import SupplierChanges, SupplierDraft
from server.catalog.models import Supplier
from server.catalog.queries import PageRequest
from server.catalog.rules import (
    as_amount,
    raise_problems,
    supplier_changes_problems,
    supplier_draft_problems,
)
from server.db import Database
from server.errors import Duplicate, NotFound
from server.pagination import Page, paginate


@dataclass(frozen=True, slots=True)
class SupplierFilter:
    search: str | None = None
    active: bool | None = None


async def supplier_by_code(session: AsyncSession, code: str, field: str = "code") -> Supplier:
    supplier = await session.scalar(select(Supplier).where(Supplier.code == code))
    if supplier is None:
        raise NotFound(f"no supplier with code {code!r}", field=field)
    return supplier


async def create_supplier(db: Database, principal: Principal, draft: SupplierDraft) -> Supplier:
    principal.require(*PURCHASING_EDITORS)
    raise_problems(*supplier_draft_problems(draft))
    async with db.transaction() as session:
        if await session.scalar(select(Supplier.id).where(Supplier.code == draft.code)):
            raise Duplicate(f"a supplier with code {draft.code!r} exists", field="code")
        supplier = Supplier(
            code=draft.code,
            name=draft.name.strip(),
            contact_name=draft.contact_name.strip(),
            contact_phone=draft.contact_phone.strip(),
            contact_email=draft.contact_email.strip(),
            over_receipt_tolerance_pct=as_amount(draft.over_receipt_tolerance_pct),
        )
        session.add(supplier)
        await session.flush()
        return supplier


async def update_supplier(
    db: Database, principal: Principal, code: str, changes: SupplierChanges
) -> Supplier:
    """Change a supplier's fields (``None`` leaves one alone); ``active=False`` deactivates it."""
    principal.require(*PURCHASING_EDITORS)
    raise_problems(*supplier_changes_problems(changes))
    async with db.transaction() as session:
        supplier = await supplier_by_code(session, code)
        if changes.name is not None:
            supplier.name = changes.name.strip()
        if changes.contact_name is not None:
            supplier.contact_name = changes.contact_name.strip()
        if changes.contact_phone is not None:
            supplier.contact_phone = changes.contact_phone.strip()
        if changes.contact_email is not None:
            supplier.contact_email = changes.contact_email.strip()
        if changes.over_receipt_tolerance_pct is not None:
            supplier.over_receipt_tolerance_pct = as_amount(changes.over_receipt_tolerance_pct)
        if changes.active is not None:
            supplier.active = changes.active
        await session.flush()
        return supplier


async def list_suppliers(
    session: AsyncSession, principal: Principal, page: PageRequest, where: SupplierFilter
) -> Page[Supplier]:
    """Suppliers by id; ``search`` matches code or name, ignoring case."""
    scope = supplier_scope(principal)
    stmt = select(Supplier)
    if scope is not None:
        stmt = stmt.where(Supplier.id == scope)
    if where.search:
        stmt = stmt.where(or_(Supplier.code.icontains(where.search, autoescape=True),
                              Supplier.name.icontains(where.search, autoescape=True)))
    if where.active is not None:
        stmt = stmt.where(Supplier.active.is_(where.active))
    return await paginate(session, stmt, Supplier.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size)


async def supplier_of_code(
    session: AsyncSession, principal: Principal, code: str
) -> Supplier | None:
    scope = supplier_scope(principal)
    stmt = select(Supplier).where(Supplier.code == code)
    if scope is not None:
        stmt = stmt.where(Supplier.id == scope)
    return await session.scalar(stmt)


async def suppliers_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Supplier | None]:
    rows = {s.id: s for s in await session.scalars(select(Supplier).where(Supplier.id.in_(ids)))}
    return [rows.get(i) for i in ids]
