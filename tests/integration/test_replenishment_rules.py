"""Replenishment rules saved, replaced, refused and deleted on a real database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from server.auth import Principal, Role
from server.db import Database
from server.errors import DomainError, Forbidden, InvalidInput, NotFound
from server.planning.metrics import ProductFacts, product_metrics
from server.planning.models import ReplenishmentRule
from server.planning.rule_store import (
    ActionDraft,
    RuleDraft,
    ScopeDraft,
    delete_replenishment_rule,
    list_rules,
    rules_for_engine,
    set_replenishment_rule,
)
from server.planning.rules import SEED_GROWTH_CONDITION, PlanningParameters, Target, apply_rules
from tests.conftest import UserFactory

SEED_NAME = "growth streak raises safety stock"
RAISE_SAFETY_STOCK = ActionDraft("safety_stock", "multiply", Decimal("1.15"))
PARAMETERS = PlanningParameters(safety_stock=Decimal("100"), forecast=Decimal("400"),
                                lead_time_days=Decimal("14"), min_order_quantity=Decimal("50"))
SUPPLIER = Principal(0, "s1", frozenset({Role.SUPPLIER}), supplier_id=1)


@pytest.fixture
async def manager(make_user: UserFactory) -> Principal:
    return await make_user(Role.PURCHASE_MANAGER)


def seed_draft(**changes: object) -> RuleDraft:
    fields: dict[str, object] = {"name": SEED_NAME, "condition": SEED_GROWTH_CONDITION,
                                 "actions": [RAISE_SAFETY_STOCK], "priority": 10}
    fields.update(changes)
    return RuleDraft(**fields)  # type: ignore[arg-type]


async def stored(db: Database) -> list[tuple[str, int, int, str]]:
    async with db.reader() as session:
        rows = await session.scalars(select(ReplenishmentRule).order_by(ReplenishmentRule.name))
        return [(r.name, r.priority, r.version, r.condition) for r in rows]


async def test_rule_is_created_with_its_scope_and_actions(db: Database, manager: Principal) -> None:
    row = await set_replenishment_rule(db, manager, seed_draft(
        scope=ScopeDraft(skus=["P1", " "], warehouse_codes=["WH1"])))
    assert (row.name, row.priority, row.version, row.active) == (SEED_NAME, 10, 1, True)
    assert row.updated_by_id == manager.user_id
    assert row.scope == {"skus": ["P1"], "categories": [], "tags": [], "warehouseCodes": ["WH1"]}
    assert row.actions == [{"target": "safety_stock", "operation": "multiply", "value": "1.15"}]


async def test_saving_the_same_name_replaces_the_rule_and_bumps_its_version(
    db: Database, manager: Principal
) -> None:
    await set_replenishment_rule(db, manager, seed_draft())
    row = await set_replenishment_rule(db, manager, seed_draft(
        condition="average > 10.0", priority=-5, based_on_version=1))
    assert row.version == 2
    assert await stored(db) == [(SEED_NAME, -5, 2, "average > 10.0")]


async def test_stale_version_is_refused_and_nothing_changes(
    db: Database, manager: Principal
) -> None:
    await set_replenishment_rule(db, manager, seed_draft())
    await set_replenishment_rule(db, manager, seed_draft(priority=20))
    with pytest.raises(DomainError) as refused:
        await set_replenishment_rule(db, manager, seed_draft(priority=30, based_on_version=1))
    [problem] = refused.value.problems
    assert (problem.code, problem.field) == ("STALE_VERSION", "basedOnVersion")
    assert await stored(db) == [(SEED_NAME, 20, 2, SEED_GROWTH_CONDITION)]


async def test_based_on_version_of_a_new_rule_must_be_zero(
    db: Database, manager: Principal
) -> None:
    with pytest.raises(DomainError) as refused:
        await set_replenishment_rule(db, manager, seed_draft(based_on_version=3))
    assert refused.value.problems[0].code == "STALE_VERSION"
    assert await stored(db) == []


async def test_invalid_cel_is_refused_with_its_position_and_nothing_is_stored(
    db: Database, manager: Principal
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await set_replenishment_rule(db, manager, seed_draft(condition="average >\n  && true"))
    [problem] = refused.value.problems
    assert problem.field == "condition"
    assert "line 2" in problem.message and "column" in problem.message
    assert await stored(db) == []


@pytest.mark.parametrize(("action", "field"), [
    (ActionDraft("price", "multiply", Decimal("2")), "actions[0].target"),
    (ActionDraft("forecast", "divide", Decimal("2")), "actions[0].operation"),
    (ActionDraft("forecast", "multiply", "lots"), "actions[0].value"),
    (ActionDraft("forecast", "multiply", Decimal("-1")), "actions[0].value"),
])
async def test_bad_action_is_refused_naming_the_field(
    db: Database, manager: Principal, action: ActionDraft, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await set_replenishment_rule(db, manager, seed_draft(actions=[action]))
    assert refused.value.problems[0].field == field
    assert await stored(db) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "  "}, "name"), ({"name": "x" * 101}, "name"), ({"actions": []}, "actions"),
    ({"priority": 2**31}, "priority"),
])
async def test_bad_name_priority_or_missing_actions_are_refused(
    db: Database, manager: Principal, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await set_replenishment_rule(db, manager, seed_draft(**changes))
    assert refused.value.problems[0].field == field


async def test_delete_removes_the_rule_and_a_missing_one_is_not_found(
    db: Database, manager: Principal
) -> None:
    await set_replenishment_rule(db, manager, seed_draft())
    assert await delete_replenishment_rule(db, manager, SEED_NAME) == SEED_NAME
    assert await stored(db) == []
    with pytest.raises(NotFound):
        await delete_replenishment_rule(db, manager, SEED_NAME)


async def test_list_orders_by_priority_then_name_and_can_skip_inactive(
    db: Database, manager: Principal, make_user: UserFactory
) -> None:
    for name, priority, active in (("b", 5, True), ("a", 5, False), ("c", 1, True)):
        await set_replenishment_rule(db, manager, seed_draft(name=name, priority=priority,
                                                              active=active))
    sales = await make_user(Role.SALES)
    async with db.reader() as session:
        assert [r.name for r in await list_rules(session, sales)] == ["c", "a", "b"]
        assert [r.name for r in await list_rules(session, sales, active_only=True)] == ["c", "b"]
        assert [r.name for r in await rules_for_engine(session)] == ["c", "b"]


async def test_only_purchase_managers_and_admins_change_rules_and_suppliers_cannot_read(
    db: Database, make_user: UserFactory, admin: Principal
) -> None:
    purchaser = await make_user(Role.PURCHASER)
    with pytest.raises(Forbidden):
        await set_replenishment_rule(db, purchaser, seed_draft())
    await set_replenishment_rule(db, admin, seed_draft())
    with pytest.raises(Forbidden):
        await delete_replenishment_rule(db, purchaser, SEED_NAME)
    async with db.reader() as session:
        with pytest.raises(Forbidden):
            await list_rules(session, SUPPLIER)
        assert len(await list_rules(session, purchaser)) == 1
    async with db.reader() as session:
        count = await session.scalar(select(func.count()).select_from(ReplenishmentRule))
    assert count == 1


@pytest.mark.parametrize(("sales", "fires"), [
    ((100, 125, 155, 190), True),
    ((100, 125, 130, 170), False),
])
async def test_stored_seed_rule_fires_only_on_three_weeks_of_growth_over_20_percent(
    db: Database, manager: Principal, sales: tuple[int, ...], fires: bool
) -> None:
    await set_replenishment_rule(db, manager, seed_draft(
        scope=ScopeDraft(warehouse_codes=["WH1"])))
    async with db.reader() as session:
        rules = await rules_for_engine(session)
    metrics = product_metrics(ProductFacts(
        sku="P1", warehouse_code="WH1", category="tea", tags=("fast",),
        weekly_sales=tuple(float(s) for s in sales), available=70, month=6))
    outcome = apply_rules(rules, metrics, PARAMETERS)
    assert outcome.failures == ()
    if fires:
        [applied] = outcome.applications
        assert (applied.rule, applied.target) == (SEED_NAME, Target.SAFETY_STOCK)
        assert (applied.before, applied.after) == (Decimal("100"), Decimal("115.00"))
        assert outcome.parameters.safety_stock == Decimal("115.00")
    else:
        assert outcome.applications == ()
        assert outcome.parameters == PARAMETERS
