"""Finance reports over HTTP: the marginReport and inventoryReport queries, and the same reports
as files at /reports/{name}.csv|.xlsx with the bearer token (content type, header row, openpyxl
reads the workbook back; 401, 403, 404 and 400 answer JSON errors)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.integration.test_margin_report import ship
from tests.picking_setup import picking_world, put_stock, sales_order

TODAY = datetime.now(UTC).date().isoformat()
MARGIN = """query($input: MarginReportInput!) { marginReport(input: $input) {
  rows { key label revenue cogs margin marginPct expectedCogs expectedMarginPct }
  total { label revenue cogs margin marginPct } } }"""
INVENTORY = """query($input: InventoryReportInput!) { inventoryReport(input: $input) {
  asOf rows { sku onHand value cogsLast365Days turnover daysOfCover age0To30Days dead } } }"""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def tokens(db: Database) -> dict[str, str]:
    """P1 in at 100 and 130 (average 115); 4 sold at 300 and shipped: COGS 460, margin 740."""
    world = await picking_world(db)
    await put_stock(db, world, "P1", "WH1-A-01", 10, "100")
    await put_stock(db, world, "P1", "WH1-A-02", 10, "130")
    await ship(db, world, await sales_order(db, world, {"P1": 4}, unit_price="300"))
    return {name: await token_for(db, world[name])
            for name in ("finance", "manager", "warehouse")}


async def get(api: Api, url: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await api.http.get(url, headers=headers)


async def test_the_report_queries(api: Api, tokens: dict[str, str]) -> None:
    body = await api(MARGIN, {"input": {"dateFrom": TODAY, "dateTo": TODAY,
                                        "groupBy": "PRODUCT"}}, token=tokens["finance"])
    assert "errors" not in body, body
    assert body["data"]["marginReport"] == {
        "rows": [{"key": "P1", "label": "Product P1", "revenue": "1200.00", "cogs": "460.00",
                  "margin": "740.00", "marginPct": "61.67", "expectedCogs": "460.00",
                  "expectedMarginPct": "61.67"}],
        "total": {"label": "Total", "revenue": "1200.00", "cogs": "460.00", "margin": "740.00",
                  "marginPct": "61.67"}}
    body = await api(INVENTORY, {"input": {"warehouseCode": "WH1"}}, token=tokens["manager"])
    assert "errors" not in body, body
    assert body["data"]["inventoryReport"] == {"asOf": TODAY, "rows": [{
        "sku": "P1", "onHand": "16.0000", "value": "1840.00", "cogsLast365Days": "460.00",
        "turnover": "0.50", "daysOfCover": "360.00", "age0To30Days": "16.0000",
        "dead": False}]}
    refused = await api(MARGIN, {"input": {"dateFrom": TODAY, "dateTo": TODAY,
                                           "groupBy": "ORDER"}}, token=tokens["warehouse"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_csv_and_excel_exports(api: Api, tokens: dict[str, str]) -> None:
    query = f"dateFrom={TODAY}&dateTo={TODAY}&groupBy=product"
    response = await get(api, f"/reports/margin.csv?{query}", tokens["finance"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == \
        f'attachment; filename="margin-product-{TODAY}-{TODAY}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        ["key", "label", "revenue", "cogs", "margin", "marginPct", "expectedCogs",
         "expectedMargin", "expectedMarginPct", "returnedRevenue", "restockedCogs", "scrapLoss"],
        ["P1", "Product P1", "1200.00", "460.00", "740.00", "61.67", "460.00", "740.00",
         "61.67", "0.00", "0.00", "0.00"],
        ["", "Total", "1200.00", "460.00", "740.00", "61.67", "460.00", "740.00", "61.67",
         "0.00", "0.00", "0.00"]]

    response = await get(api, f"/reports/margin.xlsx?{query}", tokens["finance"])
    assert (response.status_code, response.headers["content-type"]) == (200, XLSX)
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:4] == ["key", "label", "revenue", "cogs"]
    assert values[1][:5] == ["P1", "Product P1", 1200, 460, 740]
    assert values[2][1:3] == ["Total", 1200]

    response = await get(api, "/reports/inventory.xlsx?warehouseCode=WH1&deadDays=30",
                         tokens["manager"])
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    header, *products = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:4] == ["sku", "name", "onHand", "value"]
    assert header[9:] == ["age0To30Days", "age31To90Days", "age91To180Days", "ageOver180Days",
                          "lastMovementAt", "dead"]
    assert [row[:4] for row in products] == [["P1", "Product P1", 16, 1840]]


async def test_export_errors_answer_json(api: Api, tokens: dict[str, str]) -> None:
    good = f"/reports/margin.csv?dateFrom={TODAY}&dateTo={TODAY}&groupBy=ORDER"
    cases = [
        (good, None, 401, "UNAUTHENTICATED"),
        (good, tokens["warehouse"], 403, "FORBIDDEN"),
        (good, tokens["manager"], 403, "FORBIDDEN"),
        (f"/reports/scorecard.csv?dateFrom={TODAY}", tokens["finance"], 404, "NOT_FOUND"),
        (good.replace(".csv", ".pdf"), tokens["finance"], 404, "NOT_FOUND"),
        ("/reports/inventory.csv?warehouseCode=WH9", tokens["finance"], 404, "NOT_FOUND"),
        (good.replace("ORDER", "COLOUR"), tokens["finance"], 400, "INVALID_INPUT"),
        (good.replace(f"dateFrom={TODAY}", "dateFrom=yesterday"), tokens["finance"], 400,
         "INVALID_INPUT"),
        ("/reports/inventory.csv?deadDays=-1", tokens["finance"], 400, "INVALID_INPUT"),
    ]
    for url, token, status, code in cases:
        response = await get(api, url, token)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), url
