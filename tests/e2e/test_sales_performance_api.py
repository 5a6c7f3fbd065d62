"""salesPerformance over HTTP: the GraphQL query and the CSV export, on the fixture of
tests/integration/test_fulfilment_report.py (figures in test_sales_performance.py)."""

from __future__ import annotations

import csv
import io

import pytest

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_reports_api import get
from tests.integration.test_fulfilment_report import fulfilment_world

QUERY = """query($input: SalesPerformanceInput!) { salesPerformance(input: $input) {
  dateFrom rows { key label orders revenue cogs margin marginPct collections } } }"""
RANGE = {"dateFrom": "2026-03-01", "dateTo": "2026-03-31"}


@pytest.fixture
async def tokens(db: Database) -> dict[str, str]:
    world = await fulfilment_world(db)
    return {"admin": await token_for(db, world.admin),
            **{name: await token_for(db, world[name])
               for name in ("finance", "sales", "warehouse")}}


async def test_the_performance_query(api: Api, tokens: dict[str, str]) -> None:
    body = await api(QUERY, {"input": RANGE}, token=tokens["sales"])
    assert "errors" not in body, body
    assert body["data"]["salesPerformance"] == {"dateFrom": "2026-03-01", "rows": [{
        "key": "sales", "label": "sales", "orders": 2, "revenue": "1400.00", "cogs": "680.00",
        "margin": "720.00", "marginPct": "51.43", "collections": "678.00"}]}
    refused = await api(QUERY, {"input": RANGE}, token=tokens["warehouse"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_performance_csv(api: Api, tokens: dict[str, str]) -> None:
    response = await get(api, "/reports/sales-performance.csv?dateFrom=2026-03-01"
                              "&dateTo=2026-03-31", tokens["finance"])
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == \
        'attachment; filename="sales-performance-salesperson-2026-03-01-2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["key", "label", "orders", "revenue", "cogs", "margin", "marginPct", "collections"],
        ["", "(none)", "1", "0.00", "0.00", "0.00", "", "0.00"],
        ["sales", "sales", "2", "1400.00", "680.00", "720.00", "51.43", "678.00"]]


TEAM_MUTATIONS = """mutation($code: String!, $usernames: [String!]!) {
  createSalesTeam(input: {code: $code, name: "East"}) { team { code } userErrors { code } }
  setSalesTeamMembers(input: {code: $code, usernames: $usernames}) {
    team { code name members { username } } userErrors { code field } } }"""


async def test_teams_through_the_api_and_the_report_by_team(
        api: Api, tokens: dict[str, str]) -> None:
    refused = await api(TEAM_MUTATIONS, {"code": "EAST", "usernames": ["sales"]},
                        token=tokens["finance"])
    assert refused["data"]["createSalesTeam"]["userErrors"] == [{"code": "FORBIDDEN"}]
    bad = await api(TEAM_MUTATIONS, {"code": "EAST", "usernames": ["sales", "ghost"]},
                    token=tokens["admin"])
    assert bad["data"]["setSalesTeamMembers"] == {
        "team": None, "userErrors": [{"code": "NOT_FOUND", "field": "usernames.1"}]}
    fixed = await api(TEAM_MUTATIONS.replace("createSalesTeam", "again: createSalesTeam"),
                      {"code": "EAST", "usernames": ["sales"]}, token=tokens["admin"])
    assert fixed["data"]["again"]["userErrors"] == [{"code": "DUPLICATE"}]
    assert fixed["data"]["setSalesTeamMembers"]["team"] == {
        "code": "EAST", "name": "East", "members": [{"username": "sales"}]}
    listed = await api("{ salesTeams { code members { username } } }", token=tokens["sales"])
    assert listed["data"]["salesTeams"] == [{"code": "EAST", "members": [{"username": "sales"}]}]
    body = await api(QUERY, {"input": {**RANGE, "groupBy": "TEAM"}}, token=tokens["finance"])
    assert [(row["key"], row["orders"], row["revenue"])
            for row in body["data"]["salesPerformance"]["rows"]] == [("", 1, "0.00"),
                                                                      ("EAST", 2, "1400.00")]
    response = await get(api, "/reports/sales-performance.csv?dateFrom=2026-03-01"
                              "&dateTo=2026-03-31&groupBy=team", tokens["finance"])
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[2] == ["EAST", "East", "2", "1400.00", "680.00", "720.00", "51.43", "678.00"]
    wrong = await get(api, "/reports/sales-performance.csv?dateFrom=2026-03-01"
                           "&dateTo=2026-03-31&groupBy=REGION", tokens["finance"])
    assert wrong.status_code == 400
