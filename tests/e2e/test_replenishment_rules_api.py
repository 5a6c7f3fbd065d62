"""Replenishment rules edited and read over GraphQL."""

from __future__ import annotations

from typing import Any

import pytest

from server.auth import Principal, Role
from server.catalog import suppliers
from server.catalog.drafts import SupplierDraft
from server.db import Database
from server.planning.rules import SEED_GROWTH_CONDITION
from tests.conftest import UserFactory
from tests.e2e.conftest import Api, token_for

SET = """mutation($input: SetReplenishmentRuleInput!) { setReplenishmentRule(input: $input) {
  rule { name priority condition actions { target operation value }
         scope { skus categories tags warehouseCodes } active version updatedAt updatedBy }
  userErrors { code field message } } }"""
DELETE = """mutation($name: String!) { deleteReplenishmentRule(input: {name: $name}) {
  name userErrors { code field message } } }"""
RULES = """query($activeOnly: Boolean) { replenishmentRules(activeOnly: $activeOnly)
  { name priority version active } }"""
SEED: dict[str, Any] = {
    "name": "growth streak", "priority": 10, "condition": SEED_GROWTH_CONDITION,
    "actions": [{"target": "SAFETY_STOCK", "operation": "MULTIPLY", "value": "1.15"}],
    "scope": {"warehouseCodes": ["WH1"], "categories": ["tea"]},
}


@pytest.fixture
async def manager(make_user: UserFactory) -> Principal:
    return await make_user(Role.PURCHASE_MANAGER, username="manager")


async def test_rule_is_saved_replaced_listed_and_deleted(
    api: Api, db: Database, manager: Principal
) -> None:
    token = await token_for(db, manager)
    created = (await api(SET, {"input": SEED}, token=token))["data"]["setReplenishmentRule"]
    assert created["userErrors"] == []
    rule = created["rule"]
    assert {k: rule[k] for k in ("name", "priority", "active", "version", "updatedBy")} == {
        "name": "growth streak", "priority": 10, "active": True, "version": 1,
        "updatedBy": "manager"}
    assert rule["condition"] == SEED_GROWTH_CONDITION
    assert rule["actions"] == [{"target": "SAFETY_STOCK", "operation": "MULTIPLY",
                                "value": "1.15"}]
    assert rule["scope"] == {"skus": [], "categories": ["tea"], "tags": [],
                             "warehouseCodes": ["WH1"]}

    inactive = {**SEED, "name": "off", "priority": 1, "active": False}
    assert (await api(SET, {"input": inactive}, token=token))["data"][
        "setReplenishmentRule"]["userErrors"] == []
    replaced = await api(SET, {"input": {**SEED, "priority": 5, "basedOnVersion": 1}},
                         token=token)
    assert replaced["data"]["setReplenishmentRule"]["rule"]["version"] == 2

    listed = (await api(RULES, {}, token=token))["data"]["replenishmentRules"]
    assert [(r["name"], r["priority"], r["version"]) for r in listed] == [
        ("off", 1, 1), ("growth streak", 5, 2)]
    active = (await api(RULES, {"activeOnly": True}, token=token))["data"]["replenishmentRules"]
    assert [r["name"] for r in active] == ["growth streak"]

    deleted = (await api(DELETE, {"name": "off"}, token=token))["data"]["deleteReplenishmentRule"]
    assert deleted == {"name": "off", "userErrors": []}
    missing = (await api(DELETE, {"name": "off"}, token=token))["data"]["deleteReplenishmentRule"]
    assert missing["name"] is None
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]


async def test_bad_rules_come_back_as_user_errors_and_change_nothing(
    api: Api, db: Database, manager: Principal
) -> None:
    token = await token_for(db, manager)
    bad_cel = await api(SET, {"input": {**SEED, "condition": "growth[0] >"}}, token=token)
    payload = bad_cel["data"]["setReplenishmentRule"]
    [error] = payload["userErrors"]
    assert payload["rule"] is None
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "condition")
    assert "line 1" in error["message"] and "column" in error["message"]

    negative = {**SEED, "actions": [{"target": "FORECAST", "operation": "SET", "value": "-3"}]}
    [error] = (await api(SET, {"input": negative}, token=token))["data"][
        "setReplenishmentRule"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "actions[0].value")

    await api(SET, {"input": SEED}, token=token)
    await api(SET, {"input": SEED}, token=token)
    stale = await api(SET, {"input": {**SEED, "basedOnVersion": 1}}, token=token)
    assert [e["code"] for e in stale["data"]["setReplenishmentRule"]["userErrors"]] == [
        "STALE_VERSION"]
    listed = (await api(RULES, {}, token=token))["data"]["replenishmentRules"]
    assert [(r["name"], r["version"]) for r in listed] == [("growth streak", 2)]


async def test_roles_decide_who_edits_and_who_reads(
    api: Api, db: Database, make_user: UserFactory, admin: Principal
) -> None:
    sales = await token_for(db, await make_user(Role.SALES))
    refused = await api(SET, {"input": SEED}, token=sales)
    assert [e["code"] for e in refused["data"]["setReplenishmentRule"]["userErrors"]] == [
        "FORBIDDEN"]
    assert (await api(RULES, {}, token=sales))["data"]["replenishmentRules"] == []

    anonymous = await api(SET, {"input": SEED})
    assert [e["code"] for e in anonymous["data"]["setReplenishmentRule"]["userErrors"]] == [
        "UNAUTHENTICATED"]

    anonymous_read = await api(RULES, {})
    assert anonymous_read["data"] is None
    assert anonymous_read["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    acme = await suppliers.create_supplier(db, admin, SupplierDraft("ACME", "ACME Ltd"))
    supplier = await token_for(db, await make_user(Role.SUPPLIER, supplier_id=acme.id))
    supplier_read = await api(RULES, {}, token=supplier)
    assert supplier_read["data"] is None
    assert supplier_read["errors"][0]["extensions"]["code"] == "FORBIDDEN"
