"""Imports over HTTP: ``importData`` as a GraphQL multipart upload (the request spec's
operations, map and file parts), and the templates at /imports/templates/{kind}.{format}."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.app import create_app
from server.catalog.models import Product
from server.config import Settings
from server.db import Database
from tests.e2e.conftest import Api, token_for
from tests.world import build_world

IMPORT = """mutation($input: ImportDataInput!) { importData(input: $input) {
  imported created updated skippedRows rowErrors { row column code message }
  userErrors { code field message } } }"""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PRODUCTS = "sku,name,barcode\nN1,New,6923450657713\nN2,Takes P1's,6901234567892\nN3,Fine,\n"


@pytest.fixture
async def tokens(db: Database) -> dict[str, str]:
    world = await build_world(db)
    return {name: await token_for(db, world[name]) for name in ("purchaser", "warehouse", "s1")}


async def upload(http: httpx.AsyncClient, token: str | None, kind: str, data: bytes,
                 skip_bad_rows: bool = False) -> httpx.Response:
    operations = {"query": IMPORT, "variables": {"input": {
        "kind": kind, "file": None, "skipBadRows": skip_bad_rows}}}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/graphql", headers=headers, data={
        "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.input.file"]}),
    }, files={"0": ("products.csv", data, "text/csv")})


async def products(db: Database) -> int:
    async with db.reader() as session:
        return await session.scalar(select(func.count()).select_from(Product)) or 0


def payload(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["importData"]
    return result


async def test_a_file_with_a_bad_row_is_refused_whole_then_imported_skipping_it(
    api: Api, db: Database, tokens: dict[str, str]
) -> None:
    before = await products(db)
    refused = payload(await upload(api.http, tokens["purchaser"], "PRODUCTS", PRODUCTS.encode()))
    assert refused["imported"] == 0
    assert refused["userErrors"] == [{"code": "INVALID_INPUT", "field": "file",
                                      "message": "1 problems in the file: nothing imported"}]
    assert refused["rowErrors"] == [{"row": 3, "column": "barcode", "code": "DUPLICATE",
                                     "message": "barcode 6901234567892 already belongs to "
                                                "product P1"}]
    assert await products(db) == before
    imported = payload(await upload(api.http, tokens["purchaser"], "PRODUCTS",
                                    PRODUCTS.encode(), skip_bad_rows=True))
    assert (imported["imported"], imported["created"], imported["skippedRows"]) == (2, 2, [3])
    assert [error["row"] for error in imported["rowErrors"]] == [3]
    assert imported["userErrors"] == []
    assert await products(db) == before + 2


async def test_a_downloaded_template_uploads_as_it_is(
    api: Api, db: Database, tokens: dict[str, str]
) -> None:
    headers = {"Authorization": f"Bearer {tokens['purchaser']}"}
    template = await api.http.get("/imports/templates/suppliers.xlsx", headers=headers)
    imported = payload(await upload(api.http, tokens["purchaser"], "SUPPLIERS",
                                    template.content))
    assert (imported["imported"], imported["created"], imported["userErrors"]) == (1, 1, [])


async def test_uploads_need_a_login_and_the_role(api: Api, tokens: dict[str, str]) -> None:
    anonymous = payload(await upload(api.http, None, "PRODUCTS", PRODUCTS.encode()))
    assert anonymous["userErrors"][0]["code"] == "UNAUTHENTICATED"
    forbidden = payload(await upload(api.http, tokens["warehouse"], "SUPPLIERS", b"code,name\n"))
    assert forbidden["userErrors"][0]["code"] == "FORBIDDEN"


async def test_an_upload_over_the_body_limit_is_refused(
    db: Database, tokens: dict[str, str]
) -> None:
    app = create_app(Settings(database_url=db.url, max_body_bytes=10_000))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://caixiao.test") as http:
            response = await upload(http, tokens["purchaser"], "PRODUCTS",
                                    b"sku,name\n" + b"N1,New\n" * 5_000)
    assert response.status_code == 413


async def test_templates_download_for_staff(api: Api, tokens: dict[str, str]) -> None:
    staff = {"Authorization": f"Bearer {tokens['warehouse']}"}
    workbook = await api.http.get("/imports/templates/opening-stock.xlsx", headers=staff)
    assert workbook.status_code == 200
    assert workbook.headers["content-type"] == XLSX
    assert "opening-stock-template.xlsx" in workbook.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(workbook.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == [
        "warehouse", "location", "sku", "lot", "quantity", "unit_cost"]
    text = await api.http.get("/imports/templates/suppliers.csv", headers=staff)
    assert text.content.decode("utf-8-sig").splitlines()[0] == (
        "code,name,contact_name,contact_phone,contact_email,over_receipt_tolerance_pct")
    for url, token, status in [
        ("/imports/templates/products.csv", None, 401),
        ("/imports/templates/products.csv", tokens["s1"], 403),
        ("/imports/templates/invoices.csv", tokens["warehouse"], 404),
        ("/imports/templates/products.pdf", tokens["warehouse"], 404),
    ]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        refused = await api.http.get(url, headers=headers)
        assert refused.status_code == status, url
        assert "error" in refused.json()
