"""supplierScorecard over HTTP: the GraphQL query and the CSV export, on the fixture of
tests/integration/test_supplier_scorecard.py."""

from __future__ import annotations

import csv
import io

import pytest

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.e2e.test_reports_api import get
from tests.integration.test_supplier_scorecard import scorecard_world

QUERY = """query($input: SupplierScorecardInput!) { supplierScorecard(input: $input) {
  dateFrom rows { supplierCode lines linesReceived otifConfirmedPct otifRequestedPct
  rejectRatePct concessionRatePct priceTrendPct priceVariance priceVariancePct
  averageLeadTimeDays } } }"""


@pytest.fixture
async def tokens(db: Database) -> dict[str, str]:
    world = await scorecard_world(db)
    return {name: await token_for(db, world[name]) for name in ("manager", "warehouse")}


async def test_the_scorecard_query(api: Api, tokens: dict[str, str]) -> None:
    body = await api(QUERY, {"input": {"dateFrom": "2026-03-01", "dateTo": "2026-03-31",
                                       "supplierCode": "S1"}}, token=tokens["manager"])
    assert "errors" not in body, body
    assert body["data"]["supplierScorecard"] == {"dateFrom": "2026-03-01", "rows": [{
        "supplierCode": "S1", "lines": 3, "linesReceived": 4, "otifConfirmedPct": "66.67",
        "otifRequestedPct": "50.00", "rejectRatePct": "25.00", "concessionRatePct": "25.00",
        "priceTrendPct": "2.86", "priceVariance": "140.00", "priceVariancePct": "7.14",
        "averageLeadTimeDays": "10.00"}]}
    refused = await api(QUERY, {"input": {"dateFrom": "2026-03-01", "dateTo": "2026-03-31"}},
                        token=tokens["warehouse"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_scorecard_csv(api: Api, tokens: dict[str, str]) -> None:
    response = await get(api, "/reports/supplier-scorecard.csv?dateFrom=2026-03-01"
                              "&dateTo=2026-03-31", tokens["manager"])
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == \
        'attachment; filename="supplier-scorecard-all-2026-03-01-2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["supplierCode", "supplierName", "lines", "linesReceived", "otifConfirmedPct",
         "otifRequestedPct", "inspectedQuantity", "rejectRatePct", "concessionRatePct",
         "priceTrendPct", "priceVariance", "priceVariancePct", "averageLeadTimeDays",
         "returnedQuantity", "returnRatePct"],
        ["S1", "Supplier S1", "3", "4", "66.67", "50.00", "4.0000", "25.00", "25.00", "2.86",
         "140.00", "7.14", "10.00", "0.0000", "0.00"]]
