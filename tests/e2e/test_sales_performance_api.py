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
    return {name: await token_for(db, world[name]) for name in ("finance", "sales", "warehouse")}


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
        'attachment; filename="sales-performance-2026-03-01-2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["key", "label", "orders", "revenue", "cogs", "margin", "marginPct", "collections"],
        ["", "(none)", "1", "0.00", "0.00", "0.00", "", "0.00"],
        ["sales", "sales", "2", "1400.00", "680.00", "720.00", "51.43", "678.00"]]
