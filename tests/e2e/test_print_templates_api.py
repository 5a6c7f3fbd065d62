"""Print templates listed, saved and previewed over GraphQL."""

from __future__ import annotations

import base64
from typing import Any

from server.auth import Principal, Role
from server.db import Database
from tests.conftest import UserFactory
from tests.e2e.conftest import Api, token_for

TEMPLATES = """query($kind: DocumentKind) { printTemplates(kind: $kind) {
  kind name language isDefault version html css updatedAt } }"""
SAVE = """mutation($input: SavePrintTemplateInput!) { savePrintTemplate(input: $input) {
  template { kind name language isDefault version html css }
  userErrors { code field message } } }"""
PREVIEW = """mutation($input: PreviewPrintTemplateInput!) { previewPrintTemplate(input: $input) {
  preview { pdfBase64 pages text } userErrors { code field message } } }"""
LABEL: dict[str, Any] = {
    "kind": "SHIPPING_LABEL", "name": "label big number", "language": "en",
    "html": "<h1>{{ document.number }}</h1>{{ code128(extra.order_number) }}"
            "<p>{{ parties.customer.name }}</p>",
    "css": "@page { size: 100mm 150mm } h1 { font-size: 20pt }",
}


async def test_admin_saves_a_template_as_versions_and_makes_it_the_default(
    api: Api, db: Database, admin: Principal, admin_token: str
) -> None:
    listed = (await api(TEMPLATES, {"kind": "SHIPPING_LABEL"}, token=admin_token))["data"]
    [builtin] = listed["printTemplates"]
    assert (builtin["name"], builtin["isDefault"], builtin["version"]) == (
        "shipping_label-builtin", True, 1)
    assert "code128" in builtin["html"]

    saved = (await api(SAVE, {"input": {**LABEL, "basedOnVersion": 0}},
                       token=admin_token))["data"]["savePrintTemplate"]
    assert saved["userErrors"] == []
    assert {k: saved["template"][k] for k in ("kind", "name", "isDefault", "version")} == {
        "kind": "SHIPPING_LABEL", "name": "label big number", "isDefault": False, "version": 1}

    again = (await api(SAVE, {"input": {**LABEL, "isDefault": True, "basedOnVersion": 1}},
                       token=admin_token))["data"]["savePrintTemplate"]
    assert again["template"]["version"] == 2 and again["template"]["isDefault"] is True
    listed = (await api(TEMPLATES, {"kind": "SHIPPING_LABEL"}, token=admin_token))["data"]
    assert [(t["name"], t["isDefault"]) for t in listed["printTemplates"]] == [
        ("label big number", True), ("shipping_label-builtin", False)]

    stale = (await api(SAVE, {"input": {**LABEL, "isDefault": True, "basedOnVersion": 1}},
                       token=admin_token))["data"]["savePrintTemplate"]
    assert stale["template"] is None
    assert [(e["code"], e["field"]) for e in stale["userErrors"]] == [
        ("STALE_VERSION", "basedOnVersion")]


async def test_syntax_errors_come_back_with_line_and_column(
    api: Api, admin_token: str
) -> None:
    broken = {**LABEL, "html": "<h1>{{ document.number }}</h1>\n<p>{% if lines %}</p>"}
    result = (await api(SAVE, {"input": broken}, token=admin_token))["data"]["savePrintTemplate"]
    assert result["template"] is None
    [error] = result["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "html")
    assert error["message"].startswith("line 2, column 22: Unexpected end of template")


async def test_preview_renders_sample_data_with_chinese_text(
    api: Api, admin_token: str
) -> None:
    html = ("<h1>{{ document.title }} {{ document.number }}</h1>"
            "{% for line in lines %}<p>{{ line.name }}</p>{% endfor %}")
    css = "body { font-family: 'Noto Sans CJK SC', sans-serif }"
    result = (await api(PREVIEW, {"input": {"kind": "PURCHASE_ORDER", "html": html, "css": css,
                                            "language": "zh"}},
                        token=admin_token))["data"]["previewPrintTemplate"]
    assert result["userErrors"] == []
    preview = result["preview"]
    assert base64.b64decode(preview["pdfBase64"]).startswith(b"%PDF")
    assert preview["pages"] == 1
    assert "采购订单 PO-2026-000042" in preview["text"]
    assert "有机大米 5kg" in preview["text"]


async def test_a_template_reaching_for_internals_fails_to_preview_clearly(
    api: Api, admin_token: str
) -> None:
    for html, message in [("{{ ''.__class__.__mro__ }}", "__class__"),
                          ('<img src="file:///etc/passwd">', "only data: URIs")]:
        result = (await api(PREVIEW, {"input": {"kind": "INVOICE", "html": html}},
                            token=admin_token))["data"]["previewPrintTemplate"]
        assert result["preview"] is None
        [error] = result["userErrors"]
        assert error["code"] == "TEMPLATE_RENDER_FAILED" and message in error["message"]


async def test_roles(api: Api, db: Database, make_user: UserFactory) -> None:
    manager = await token_for(db, await make_user(Role.PURCHASE_MANAGER))
    for mutation, variables in [(SAVE, {"input": LABEL}),
                                (PREVIEW, {"input": {"kind": "INVOICE", "html": "<p></p>"}})]:
        result = await api(mutation, variables, token=manager)
        [error] = next(iter(result["data"].values()))["userErrors"]
        assert error["code"] == "FORBIDDEN"
    listed = (await api(TEMPLATES, {}, token=manager))["data"]["printTemplates"]
    assert len(listed) == 7
    anonymous = await api(TEMPLATES, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
