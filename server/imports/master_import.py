"""Importing customers (the sales role, as ``createCustomer``) and warehouse locations (the
warehouse role, as ``createLocation``): one transaction per file, a row creating or overwriting
the record with its code. A customer's salesperson is an active user holding the sales role;
a location stays in the warehouse it was made in.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.auth import Principal, Role, User, UserRole
from server.catalog.access import CUSTOMER_EDITORS
from server.catalog.drafts import CustomerDraft
from server.catalog.models import Customer, Location, Warehouse
from server.catalog.service import WAREHOUSE_EDITORS, LocationDraft
from server.db import Database
from server.imports.master_rows import parse_customers, parse_locations
from server.imports.report import ImportOutcome, RowError
from server.imports.table import Parsed, read_sheet, settle
from server.imports.writing import KEYS_PER_QUERY, Progress, ids_by_key, rows_by_key, upsert


async def import_customers(
    db: Database, principal: Principal, data: bytes, *, skip_bad_rows: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    principal.require(*CUSTOMER_EDITORS)
    parsed = parse_customers(*read_sheet(data))
    async with db.transaction() as session:
        salespeople = await _salespeople(session, parsed)
        parsed.errors.extend(_salesperson_errors(parsed, salespeople))
        drafts, skipped = settle(parsed, skip_bad_rows)
        existing = await ids_by_key(session, Customer.code, (draft.code for draft in drafts))
        await upsert(session, Customer, [
            {"code": draft.code, "name": draft.name.strip(), "region": draft.region.strip(),
             "salesperson_id": salespeople[draft.salesperson][0] if draft.salesperson else None}
            for draft in drafts], ["code"], on_progress=on_progress)
    return ImportOutcome(imported=len(drafts), created=len(drafts) - len(existing),
                         updated=len(existing), skipped=skipped)


async def _salespeople(
    session: AsyncSession, parsed: Parsed[CustomerDraft]
) -> dict[str, tuple[int, bool, bool]]:
    """username -> (id, holds the sales role, active) for the users the file names."""
    names = sorted({draft.salesperson for _, draft in parsed.rows if draft.salesperson})
    roles: dict[int, set[str]] = defaultdict(set)
    users: list[User] = []
    for offset in range(0, len(names), KEYS_PER_QUERY):
        chunk = list(await session.scalars(
            select(User).where(User.username.in_(names[offset:offset + KEYS_PER_QUERY]))))
        users.extend(chunk)
        for user_id, role in await session.execute(select(UserRole.user_id, UserRole.role).where(
                UserRole.user_id.in_([user.id for user in chunk]))):
            roles[user_id].add(role)
    return {user.username: (user.id, Role.SALES.value in roles[user.id], user.active)
            for user in users}


def _salesperson_errors(
    parsed: Parsed[CustomerDraft], salespeople: dict[str, tuple[int, bool, bool]]
) -> list[RowError]:
    """The same refusals as ``createCustomer`` gives for its salesperson."""
    errors = []
    for row_number, draft in parsed.rows:
        if not draft.salesperson:
            continue
        found = salespeople.get(draft.salesperson)
        if found is None:
            errors.append(RowError(row_number, "salesperson", f"no user {draft.salesperson!r}",
                                   "NOT_FOUND"))
        elif not found[1]:
            errors.append(RowError(row_number, "salesperson",
                                   f"user {draft.salesperson!r} does not have the sales role"))
        elif not found[2]:
            errors.append(RowError(row_number, "salesperson",
                                   f"user {draft.salesperson!r} is deactivated"))
    return errors


async def import_locations(
    db: Database, principal: Principal, data: bytes, *, skip_bad_rows: bool = False,
    on_progress: Progress | None = None,
) -> ImportOutcome:
    principal.require(*WAREHOUSE_EDITORS)
    parsed = parse_locations(*read_sheet(data))
    async with db.transaction() as session:
        warehouses = await rows_by_key(session, Warehouse, Warehouse.code,
                                       (draft.warehouse_code for _, draft in parsed.rows))
        existing = await rows_by_key(session, Location, Location.code,
                                     (draft.code for _, draft in parsed.rows))
        parsed.errors.extend(_location_errors(parsed, warehouses, existing))
        drafts, skipped = settle(parsed, skip_bad_rows)
        await upsert(session, Location, [
            {"code": draft.code, "warehouse_id": warehouses[draft.warehouse_code].id,
             "type": draft.type.value} for draft in drafts], ["code"], on_progress=on_progress)
    updated = sum(1 for draft in drafts if draft.code in existing)
    return ImportOutcome(imported=len(drafts), created=len(drafts) - updated, updated=updated,
                         skipped=skipped)


def _location_errors(
    parsed: Parsed[LocationDraft], warehouses: dict[str, Warehouse],
    existing: dict[str, Location],
) -> list[RowError]:
    errors = []
    for row_number, draft in parsed.rows:
        warehouse = warehouses.get(draft.warehouse_code)
        if not draft.warehouse_code:
            continue
        if warehouse is None:
            errors.append(RowError(row_number, "warehouse",
                                   f"no warehouse {draft.warehouse_code!r}", "NOT_FOUND"))
        elif not warehouse.active:
            errors.append(RowError(row_number, "warehouse",
                                   f"warehouse {warehouse.code} is inactive"))
        elif draft.code in existing and existing[draft.code].warehouse_id != warehouse.id:
            errors.append(RowError(row_number, "warehouse", f"location {draft.code} exists in "
                                   "another warehouse: a location cannot move", "DUPLICATE"))
    return errors
