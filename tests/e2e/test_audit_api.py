"""Every mutation leaves an audit entry with its outcome; only admins read the log; the log
refuses UPDATE and DELETE on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from server.auth import Principal, Role
from server.db import Database
from tests.conftest import UserFactory
from tests.e2e.conftest import Api, token_for

CREATE_SUPPLIER = """
mutation ($input: CreateSupplierInput!) {
  createSupplier(input: $input) { supplier { code } userErrors { code } }
}"""
AUDIT_LOG = """
query ($actor: String, $operation: String, $from: DateTime, $first: Int!) {
  auditLog(actor: $actor, operation: $operation, from: $from, first: $first) {
    nodes { actor operation target outcome errorCodes requestId at }
    pageInfo { hasNextPage }
  }
}"""
LOGIN = """
mutation ($input: LoginInput!) { login(input: $input) { token userErrors { code } } }"""


async def test_successful_and_refused_mutations_are_audited(api: Api, admin: Principal) -> None:
    token = await token_for(api.database, admin)
    supplier = {"code": "SUP-A", "name": "Alpha"}
    created = await api(CREATE_SUPPLIER, {"input": supplier}, token=token)
    assert created["data"]["createSupplier"]["userErrors"] == []
    repeated = await api(CREATE_SUPPLIER, {"input": supplier}, token=token)
    assert repeated["data"]["createSupplier"]["userErrors"] == [{"code": "DUPLICATE"}]
    await api(LOGIN, {"input": {"username": "admin", "password": "not-it"}})

    log = await api(AUDIT_LOG, {"operation": "createSupplier", "first": 10}, token=token)
    entries = log["data"]["auditLog"]["nodes"]
    assert [(e["actor"], e["target"], e["outcome"], e["errorCodes"]) for e in entries] == [
        ("admin", "input.code=SUP-A", "USER_ERROR", ["DUPLICATE"]),
        ("admin", "input.code=SUP-A", "OK", []),
    ]
    assert all(e["requestId"] for e in entries)

    logins = (await api(AUDIT_LOG, {"operation": "login", "first": 10},
                        token=token))["data"]["auditLog"]["nodes"]
    assert [(e["actor"], e["target"], e["outcome"]) for e in logins] == [
        (None, "input.username=admin", "USER_ERROR")]
    assert "not-it" not in str(logins)

    by_actor = await api(AUDIT_LOG, {"actor": "nobody", "first": 10}, token=token)
    assert by_actor["data"]["auditLog"]["nodes"] == []
    later = await api(AUDIT_LOG, {"from": "2999-01-01T00:00:00Z", "first": 10}, token=token)
    assert later["data"]["auditLog"]["nodes"] == []


@pytest.mark.parametrize("role", [Role.PURCHASER, Role.FINANCE_DIRECTOR, Role.SALES])
async def test_non_admins_cannot_read_the_log(api: Api, make_user: UserFactory,
                                              role: Role) -> None:
    token = await token_for(api.database, await make_user(role))
    refused = await api(AUDIT_LOG, {"first": 5}, token=token)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = await api(AUDIT_LOG, {"first": 5})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("change", ["UPDATE audit_log SET outcome = 'OK'", "DELETE FROM audit_log"])
async def test_the_log_refuses_updates_and_deletes(api: Api, admin: Principal, db: Database,
                                                   change: str) -> None:
    token = await token_for(api.database, admin)
    await api(CREATE_SUPPLIER, {"input": {"code": "SUP-B", "name": "Beta"}}, token=token)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as connection:
            await connection.execute(text(change))
    async with db.engine.connect() as connection:
        kept = await connection.scalar(text("SELECT count(*) FROM audit_log"))
    assert kept == 1
