"""Customers: use cases (one transaction each) and reads. A customer's salesperson is a user
holding the sales role, named by username. Supplier users never see customers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User, UserRole
from server.catalog.access import CUSTOMER_EDITORS
from server.catalog.drafts import CustomerChanges, CustomerDraft
from server.catalog.models import Customer
from server.catalog.queries import PageRequest
from server.catalog.rules import customer_changes_problems, customer_draft_problems, raise_problems
from server.db import Database
from server.errors import Duplicate, InvalidInput, NotFound, Problem
from server.pagination import Page, paginate


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    search: str | None = None
    region: str | None = None
    salesperson: str | None = None
    active: bool | None = None


async def customer_by_code(session: AsyncSession, code: str, field: str = "code") -> Customer:
    customer = await session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise NotFound(f"no customer with code {code!r}", field=field)
    return customer


async def _salesperson(session: AsyncSession, username: str) -> tuple[int | None, Problem | None]:
    """The id of the active sales user called ``username``, or the problem with that name."""
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        return None, Problem(NotFound.code, f"no user {username!r}", "salesperson")
    sells = await session.scalar(select(UserRole.user_id).where(
        UserRole.user_id == user.id, UserRole.role == Role.SALES.value
    ))
    if sells is None:
        return None, Problem(InvalidInput.code, f"user {username!r} does not have the sales role",
                             "salesperson")
    if not user.active:
        return None, Problem(InvalidInput.code, f"user {username!r} is deactivated",
                             "salesperson")
    return user.id, None


async def create_customer(db: Database, principal: Principal, draft: CustomerDraft) -> Customer:
    principal.require(*CUSTOMER_EDITORS)
    raise_problems(*customer_draft_problems(draft))
    async with db.transaction() as session:
        code_taken = await session.scalar(select(Customer.id).where(Customer.code == draft.code))
        salesperson_id, salesperson_problem = (
            await _salesperson(session, draft.salesperson) if draft.salesperson is not None
            else (None, None)
        )
        raise_problems(
            Problem(Duplicate.code, f"a customer with code {draft.code!r} exists", "code")
            if code_taken else None,
            salesperson_problem,
        )
        customer = Customer(code=draft.code, name=draft.name.strip(), region=draft.region.strip(),
                            salesperson_id=salesperson_id)
        session.add(customer)
        await session.flush()
        return customer


async def update_customer(
    db: Database, principal: Principal, code: str, changes: CustomerChanges
) -> Customer:
    """Change a customer's fields (``None`` leaves one alone); ``active=False`` deactivates it."""
    principal.require(*CUSTOMER_EDITORS)
    raise_problems(*customer_changes_problems(changes))
    async with db.transaction() as session:
        customer = await customer_by_code(session, code)
        if changes.salesperson is not None:
            salesperson_id, problem = await _salesperson(session, changes.salesperson)
            raise_problems(problem)
            customer.salesperson_id = salesperson_id
        if changes.unassign_salesperson:
            customer.salesperson_id = None
        if changes.name is not None:
            customer.name = changes.name.strip()
        if changes.region is not None:
            customer.region = changes.region.strip()
        if changes.active is not None:
            customer.active = changes.active
        await session.flush()
        return customer


async def list_customers(
    session: AsyncSession, principal: Principal, page: PageRequest, where: CustomerFilter
) -> Page[Customer]:
    """Customers by id; ``search`` matches code or name ignoring case, ``salesperson`` is a
    username."""
    principal.require_internal()
    stmt = select(Customer)
    if where.search:
        stmt = stmt.where(or_(Customer.code.icontains(where.search, autoescape=True),
                              Customer.name.icontains(where.search, autoescape=True)))
    if where.region is not None:
        stmt = stmt.where(Customer.region == where.region)
    if where.salesperson is not None:
        stmt = stmt.join(User, User.id == Customer.salesperson_id).where(
            User.username == where.salesperson
        )
    if where.active is not None:
        stmt = stmt.where(Customer.active.is_(where.active))
    return await paginate(session, stmt, Customer.id, first=page.first, after=page.after,
                          max_page_size=page.max_page_size)


async def customer_of_code(
    session: AsyncSession, principal: Principal, code: str
) -> Customer | None:
    principal.require_internal()
    return await session.scalar(select(Customer).where(Customer.code == code))


async def salespeople_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[User | None]:
    rows = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
    return [rows.get(i) for i in ids]
