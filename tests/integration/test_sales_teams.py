"""Sales teams on both backends: admins create them and set their members; salesPerformance by
TEAM adds members up (figures of test_sales_performance.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.db import Database
from server.errors import DomainError
from server.finance.sales_performance import PerformanceGroupBy, PerformanceRow, sales_performance
from server.sales import teams
from server.sales.models import SalesTeam, SalesTeamMember
from tests.integration.test_fulfilment_report import FROM, TO, fulfilment_world
from tests.world import World, build_world

D = Decimal


async def refusal(action: object) -> list[tuple[str, str | None]]:
    with pytest.raises(DomainError) as raised:
        await action  # type: ignore[misc]
    return [(p.code, p.field) for p in raised.value.problems]


async def counts(db: Database) -> tuple[int | None, int | None]:
    async with db.reader() as session:
        return (await session.scalar(select(func.count()).select_from(SalesTeam)),
                await session.scalar(select(func.count()).select_from(SalesTeamMember)))


async def test_teams_are_created_renamed_and_staffed(db: Database) -> None:
    world = await build_world(db)
    await teams.create_team(db, world.admin, " EAST ", "East")
    await teams.create_team(db, world.admin, "WEST", "West")
    east = await teams.set_members(db, world.admin, "EAST", ["sales", "manager"])
    assert [m.username for m in east.members] == ["manager", "sales"]
    # Moving someone to another team takes them out of the first; the unlisted leave.
    west = await teams.set_members(db, world.admin, "WEST", ["sales"])
    assert [m.username for m in west.members] == ["sales"]
    renamed = await teams.rename_team(db, world.admin, "EAST", "East & Central")
    assert (renamed.name, [m.username for m in renamed.members]) == ("East & Central",
                                                                       ["manager"])
    await teams.set_members(db, world.admin, "EAST", [])
    async with db.reader() as session:
        listed = await teams.list_teams(session, world["sales"])
    assert [(t.code, t.name, [m.username for m in t.members]) for t in listed] == [
        ("EAST", "East & Central", []), ("WEST", "West", ["sales"])]


async def test_bad_requests_change_nothing(db: Database, is_postgres: bool) -> None:
    world = await build_world(db)
    await teams.create_team(db, world.admin, "EAST", "East")
    await teams.set_members(db, world.admin, "EAST", ["sales"])
    before = await counts(db)
    assert await refusal(teams.create_team(db, world.admin, "EAST", "Again")) == \
        [("DUPLICATE", "code")]
    assert await refusal(teams.create_team(db, world.admin, "two words", "")) == \
        [("INVALID_INPUT", "code"), ("INVALID_INPUT", "name")]
    assert await refusal(teams.create_team(db, world["sales"], "X", "X")) == \
        [("FORBIDDEN", None)]
    assert await refusal(teams.set_members(db, world.admin, "EAST", ["manager", "nobody",
                                                                     "s1"])) == \
        [("NOT_FOUND", "usernames.1"), ("INVALID_INPUT", "usernames.2")]
    assert await refusal(teams.set_members(db, world.admin, "NOPE", [])) == \
        [("NOT_FOUND", "code")]
    assert await refusal(teams.rename_team(db, world.admin, "EAST", " ")) == \
        [("INVALID_INPUT", "name")]
    async with db.reader() as session:
        assert await refusal(teams.list_teams(session, world["warehouse"])) == \
            [("FORBIDDEN", None)]
        listed = await teams.list_teams(session, world.admin)
    assert await counts(db) == before
    assert [(t.name, [m.username for m in t.members]) for t in listed] == [("East", ["sales"])]


async def by_team(db: Database, world: World, who: str) -> list[PerformanceRow]:
    async with db.reader() as session:
        return (await sales_performance(session, world[who], FROM, TO,
                                        PerformanceGroupBy.TEAM)).rows


async def test_sales_performance_by_team(db: Database) -> None:
    world = await fulfilment_world(db)
    # Nobody in a team yet: every order, shipment and payment is in the row of no team.
    assert await by_team(db, world, "finance") == [PerformanceRow(
        "", "(none)", 3, D("1400.00"), D("680.00"), D("720.00"), D("51.43"), D("678.00"))]
    await teams.create_team(db, world.admin, "EAST", "East")
    await teams.set_members(db, world.admin, "EAST", ["sales"])
    east = PerformanceRow("EAST", "East", 2, D("1400.00"), D("680.00"), D("720.00"),
                          D("51.43"), D("678.00"))
    assert await by_team(db, world, "finance") == [
        PerformanceRow("", "(none)", 1, D("0.00"), D("0.00"), D("0.00"), None, D("0.00")), east]
    # A salesperson sees their own figures, under their team.
    assert await by_team(db, world, "sales") == [east]
