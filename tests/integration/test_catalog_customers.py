"""Customer use cases and reads on a real database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.auth import Principal, Role
from server.catalog import customers
from server.catalog.customers import CustomerFilter
from server.catalog.drafts import CustomerChanges, CustomerDraft
from server.catalog.models import Customer
from server.catalog.queries import PageRequest
from server.db import Database
from server.errors import Duplicate, Forbidden, InvalidInput, NotFound
from tests.conftest import UserFactory

PAGE = PageRequest(first=50, after=None, max_page_size=200)


@pytest.fixture
async def sales(make_user: UserFactory) -> Principal:
    return await make_user(Role.SALES, username="wang")


async def count(db: Database) -> int:
    async with db.reader() as session:
        return await session.scalar(select(func.count()).select_from(Customer)) or 0


async def codes(db: Database, reader: Principal, where: CustomerFilter) -> list[str]:
    async with db.reader() as session:
        page = await customers.list_customers(session, reader, PAGE, where)
    return [c.code for c in page.rows]


async def test_customers_are_created_and_filtered(
    db: Database, sales: Principal, make_user: UserFactory
) -> None:
    await make_user(Role.SALES, username="zhao")
    await customers.create_customer(db, sales, CustomerDraft("C-001", "Hua Mart", "east",
                                                             salesperson="wang"))
    await customers.create_customer(db, sales, CustomerDraft("C-002", "Bei Foods", "north",
                                                             salesperson="zhao"))
    await customers.create_customer(db, sales, CustomerDraft("C-003", "East Hua Co", "east"))
    assert await codes(db, sales, CustomerFilter(region="east")) == ["C-001", "C-003"]
    assert await codes(db, sales, CustomerFilter(salesperson="zhao")) == ["C-002"]
    assert await codes(db, sales, CustomerFilter(search="hua")) == ["C-001", "C-003"]
    async with db.reader() as session:
        found = await customers.customer_of_code(session, sales, "C-001")
        assert found is not None
        [person] = await customers.salespeople_by_ids(session, [found.salesperson_id or 0])
    assert person is not None and person.username == "wang"


async def test_bad_salesperson_and_duplicate_code_write_nothing(
    db: Database, sales: Principal, make_user: UserFactory
) -> None:
    await make_user(Role.PURCHASER, username="li")
    await customers.create_customer(db, sales, CustomerDraft("C-001", "Hua Mart"))
    with pytest.raises(NotFound) as unknown:
        await customers.create_customer(db, sales, CustomerDraft("C-002", "X",
                                                                 salesperson="nobody"))
    assert (unknown.value.problems[0].code, unknown.value.problems[0].field) == (
        "NOT_FOUND", "salesperson")
    with pytest.raises(InvalidInput) as not_sales:
        await customers.create_customer(db, sales, CustomerDraft("C-002", "X", salesperson="li"))
    assert not_sales.value.problems[0].field == "salesperson"
    with pytest.raises(Duplicate) as both:
        await customers.create_customer(db, sales, CustomerDraft("C-001", "X", salesperson="li"))
    assert [(p.code, p.field) for p in both.value.problems] == [
        ("DUPLICATE", "code"), ("INVALID_INPUT", "salesperson")
    ]
    assert await count(db) == 1


async def test_update_reassigns_unassigns_and_deactivates(
    db: Database, sales: Principal, make_user: UserFactory
) -> None:
    await make_user(Role.SALES, username="zhao")
    await customers.create_customer(db, sales, CustomerDraft("C-001", "Hua Mart", "east",
                                                             salesperson="wang"))
    moved = await customers.update_customer(db, sales, "C-001", CustomerChanges(
        salesperson="zhao", region="south"))
    assert (moved.name, moved.region) == ("Hua Mart", "south")
    assert await codes(db, sales, CustomerFilter(salesperson="zhao")) == ["C-001"]
    with pytest.raises(InvalidInput):
        await customers.update_customer(db, sales, "C-001", CustomerChanges(
            salesperson="wang", unassign_salesperson=True))
    left = await customers.update_customer(db, sales, "C-001", CustomerChanges(
        unassign_salesperson=True, active=False))
    assert (left.salesperson_id, left.active) == (None, False)
    assert await codes(db, sales, CustomerFilter(active=True)) == []
    with pytest.raises(NotFound):
        await customers.update_customer(db, sales, "C-404", CustomerChanges(active=True))


async def test_purchasing_cannot_edit_customers(
    db: Database, make_user: UserFactory
) -> None:
    purchaser = await make_user(Role.PURCHASER)
    with pytest.raises(Forbidden):
        await customers.create_customer(db, purchaser, CustomerDraft("C-001", "Hua Mart"))
    assert await count(db) == 0
    assert await codes(db, purchaser, CustomerFilter()) == []
