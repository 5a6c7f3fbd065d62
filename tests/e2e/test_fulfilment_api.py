"""fulfilmentReport over HTTP: the GraphQL query and the CSV export, on the fixture of
tests/integration/test_fulfilment_report.py."""

from __future__ import annotations

import csv
import io

import pytest

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_reports_api import get
from tests.integration.test_fulfilment_report import fulfilment_world

QUERY = """query($input: FulfilmentReportInput!) { fulfilmentReport(input: $input) {
  dateTo rows { key label orders lines filledLines fillRatePct backorderedLines
  backorderRatePct daysToShip daysToInvoice daysToPay daysOrderToCash } } }"""
EAST = ["East", "East", "2", "3", "2", "66.67", "1", "33.33", "3.25", "1.00", "9.17", "13.67"]
WEST = ["West", "West", "1", "1", "0", "0.00", "1", "100.00", "", "", "", ""]


@pytest.fixture
async def tokens(db: Database) -> dict[str, str]:
    world = await fulfilment_world(db)
    return {name: await token_for(db, world[name]) for name in ("finance", "sales", "warehouse")}


async def test_the_fulfilment_query(api: Api, tokens: dict[str, str]) -> None:
    variables = {"input": {"dateFrom": "2026-03-01", "dateTo": "2026-03-31",
                           "groupBy": "REGION"}}
    body = await api(QUERY, variables, token=tokens["sales"])
    assert "errors" not in body, body
    assert body["data"]["fulfilmentReport"] == {"dateTo": "2026-03-31", "rows": [{
        "key": "East", "label": "East", "orders": 2, "lines": 3, "filledLines": 2,
        "fillRatePct": "66.67", "backorderedLines": 1, "backorderRatePct": "33.33",
        "daysToShip": "3.25", "daysToInvoice": "1.00", "daysToPay": "9.17",
        "daysOrderToCash": "13.67"}]}
    refused = await api(QUERY, variables, token=tokens["warehouse"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_fulfilment_csv(api: Api, tokens: dict[str, str]) -> None:
    response = await get(api, "/reports/fulfilment.csv?dateFrom=2026-03-01&dateTo=2026-03-31"
                              "&groupBy=region", tokens["finance"])
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == \
        'attachment; filename="fulfilment-region-2026-03-01-2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["key", "label", "orders", "lines", "filledLines", "fillRatePct",
                     "backorderedLines", "backorderRatePct", "daysToShip", "daysToInvoice",
                     "daysToPay", "daysOrderToCash"], EAST, WEST]
    bad = await get(api, "/reports/fulfilment.csv?dateFrom=2026-03-01&dateTo=2026-03-31"
                         "&groupBy=colour", tokens["finance"])
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "groupBy")
