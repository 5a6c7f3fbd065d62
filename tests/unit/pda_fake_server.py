"""A tiny stand-in for the Caixiao GraphQL API, behind httpx.MockTransport, for PDA unit tests.

It answers by root field (receivingDocument, resolveBarcode, receiveGoods, warehouseTasks,
recordInspection, putaway), keeps receipts by idempotency key like the real server, and can be
told to misbehave: drop the connection, time out after committing, answer 503.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from pda_client.client import PdaClient
from pda_client.documents import gtin_key
from pda_client.gs1 import read_barcode

P1_EAN = "6901234567892"
P1_CASE = "16901234567899"
P2_EAN = "6901234567908"
P3_EAN = "6901234567915"
PALLET_SSCC = "106141411234567897"
GS = "\x1d"

# Faults, each consumed by the next mutation: refused before anything happens, or answered
# only after the server committed.
CONNECT_ERROR = "connect_error"
TIMEOUT_AFTER_COMMIT = "timeout_after_commit"
SERVER_ERROR = "server_error"
SAME_KEY_RUNNING = "same_key_running"
LOGIN_EXPIRED = "login_expired"
# Faults answered as a receiveGoods userError, as the real server answers them.
USER_ERROR_FAULTS = {SAME_KEY_RUNNING: "CONFLICT", LOGIN_EXPIRED: "UNAUTHENTICATED"}
FORBIDDEN = "forbidden"

_ROOT_FIELD = re.compile(r"\{\s*(\w+)")


def expected_line(line_no: int, sku: str, ordered: str, barcodes: list[tuple[str, str]],
                  *, qc: bool = False, sscc: str | None = None,
                  lot: str | None = None) -> dict[str, Any]:
    tolerance = Decimal(ordered) * Decimal("1.05")
    return {
        "lineNo": line_no, "sku": sku, "qcRequired": qc, "ordered": ordered,
        "shipped": ordered, "received": "0", "remaining": ordered,
        "maxReceivable": str(tolerance), "lot": lot, "expiry": None, "sscc": sscc,
        "product": {"name": f"Product {sku}"},
        "barcodes": [{"barcode": code, "packQuantity": pack} for code, pack in barcodes],
    }


def purchase_order() -> dict[str, Any]:
    """PO-2026-000001: 100 × P1 (EAN and a case of 12), 20 × P2 (QC), on an ASN pallet."""
    return {
        "scanned": "PO-2026-000001", "orderNumber": "PO-2026-000001", "noticeNumber": None,
        "sscc": None, "version": 3, "state": "SHIPPED", "warehouseCode": "WH1",
        "supplierCode": "S1",
        "lines": [
            expected_line(1, "P1", "100", [(P1_EAN, "1"), (P1_CASE, "12")]),
            expected_line(2, "P2", "20", [(P2_EAN, "1")], qc=True, sscc=PALLET_SSCC,
                          lot="ASNLOT"),
        ],
    }


def task(task_id: str, kind: str, sku: str, quantity: str) -> dict[str, Any]:
    return {
        "id": task_id, "kind": kind, "status": "OPEN", "sku": sku, "lot": "L1",
        "product": {"name": f"Product {sku}"}, "location": {"code": "WH1-RCV"},
        "suggestedLocation": {"code": "WH1-A-01"} if kind == "PUTAWAY" else None,
        "quantity": quantity, "doneQuantity": "0", "remainingQuantity": quantity,
        "documentNumber": "GR-2026-000001", "receiptLineNo": 1,
        "createdAt": "2026-01-05T08:00:00+00:00",
    }


class FakeServer:
    def __init__(self, document: dict[str, Any] | None = None) -> None:
        self.document = document or purchase_order()
        self.known_products = {P3_EAN: "P3"}
        self.receipts: dict[str, dict[str, Any]] = {}
        self.keys_seen: list[str] = []
        self.calls: Counter[str] = Counter()
        self.faults: list[str] = []
        self.offline = False
        self.tasks = [task("7", "QC", "P2", "20"), task("8", "PUTAWAY", "P1", "24")]
        self.task_page_size = 1
        self.mutations: list[tuple[str, dict[str, Any]]] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.offline:
            raise httpx.ConnectError("network is unreachable", request=request)
        body = json.loads(request.content)
        field = _ROOT_FIELD.search(body["query"].split("fragment")[0])
        assert field is not None, body["query"]
        name = field.group(1)
        self.calls[name] += 1
        try:
            answer = getattr(self, name)(request, body["variables"])
        except _Respond as respond:
            return respond.response
        return httpx.Response(200, json={"data": {name: answer}})

    def _fault(self, request: httpx.Request) -> str | None:
        fault = self.faults.pop(0) if self.faults else None
        if fault == CONNECT_ERROR:
            raise httpx.ConnectError("connection refused", request=request)
        if fault == SERVER_ERROR:
            raise _Respond(httpx.Response(503, text="upstream unavailable"))
        if fault == FORBIDDEN:
            raise _Respond(httpx.Response(200, json={"data": None, "errors": [
                {"message": "not allowed", "extensions": {"code": "FORBIDDEN"}}]}))
        if fault in USER_ERROR_FAULTS:
            raise _Respond(httpx.Response(200, json={"data": {"receiveGoods": {
                "receipt": None, "current": None, "userErrors": [
                    {"code": USER_ERROR_FAULTS[fault], "field": None, "message": fault}]}}}))
        return fault

    def receivingDocument(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        code = variables["code"]
        if code in (self.document["scanned"], self.document["orderNumber"]):
            return copy.deepcopy(self.document)
        return None

    def resolveBarcode(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        code = variables["code"]
        read = read_barcode(code)
        gtin = gtin_key(read.gtin or read.plain or code)
        for barcode, sku in self.known_products.items():
            if gtin_key(barcode) == gtin:
                scan = {"raw": code, "kind": "PRODUCT", "product": {"sku": sku, "name": sku},
                        "packQuantity": "1", "count": None, "lot": read.lot, "expiry": None,
                        "serial": None, "warnings": []}
                return {"scan": scan, "userErrors": []}
        if code.startswith("WH1-"):
            scan = {"raw": code, "kind": "LOCATION", "product": None, "warnings": []}
            return {"scan": scan, "userErrors": []}
        return {"scan": None, "userErrors": [
            {"code": "UNKNOWN_BARCODE", "field": "code", "message": f"nothing is {code}"}]}

    def _sku_of(self, line: dict[str, Any]) -> str | None:
        if line.get("sku"):
            return str(line["sku"])
        read = read_barcode(line["barcode"])
        wanted = gtin_key(read.gtin or read.plain or "")
        for expected in self.document["lines"]:
            if any(gtin_key(b["barcode"]) == wanted for b in expected["barcodes"]):
                return str(expected["sku"])
        return None

    def receiveGoods(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        data = variables["input"]
        key = data["idempotencyKey"]
        self.keys_seen.append(key)
        self.mutations.append(("receiveGoods", data))
        fault = self._fault(request)
        if key in self.receipts:
            return self._answer(request, fault, self.receipts[key])
        lines = {line["sku"]: line for line in self.document["lines"]}
        errors = []
        wanted: Counter[str] = Counter()
        for index, line in enumerate(data["lines"]):
            sku = self._sku_of(line)
            if sku not in lines:
                errors.append({"code": "NOT_ON_ORDER", "field": f"lines[{index}].sku",
                               "message": f"{sku} is not on the order"})
                continue
            wanted[sku] += Decimal(line["quantity"])
            if wanted[sku] > Decimal(lines[sku]["maxReceivable"]):
                errors.append({"code": "OVER_RECEIPT", "field": f"lines[{index}].quantity",
                               "message": f"at most {lines[sku]['maxReceivable']} more"})
        if errors:
            return {"receipt": None, "current": copy.deepcopy(self.document),
                    "userErrors": errors}
        for sku, quantity in wanted.items():
            line = lines[sku]
            line["received"] = str(Decimal(line["received"]) + quantity)
            for name in ("remaining", "maxReceivable"):
                line[name] = str(Decimal(line[name]) - quantity)
        receipt = {"number": f"GR-2026-{len(self.receipts) + 1:06d}",
                   "orderNumber": self.document["orderNumber"], "noticeNumber": None,
                   "receivedAt": "2026-01-05T08:00:00+00:00",
                   "lines": [{"lineNo": i + 1, "orderLineNo": lines[sku]["lineNo"],
                              "quantity": str(q), "lot": "", "expiry": None,
                              "bucket": "AVAILABLE", "product": {"sku": sku}}
                             for i, (sku, q) in enumerate(wanted.items())]}
        self.receipts[key] = receipt
        return self._answer(request, fault, receipt)

    def _answer(self, request: httpx.Request, fault: str | None,
                receipt: dict[str, Any]) -> dict[str, Any]:
        if fault == TIMEOUT_AFTER_COMMIT:
            raise httpx.ReadTimeout("the answer was lost on the way", request=request)
        return {"receipt": receipt, "current": None, "userErrors": []}

    def warehouseTasks(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        kinds = variables.get("kinds")
        found = [t for t in self.tasks if kinds is None or t["kind"] in kinds]
        start = int(variables.get("after") or 0)
        page = found[start:start + self.task_page_size]
        end = start + len(page)
        return {"edges": [{"node": node} for node in page],
                "pageInfo": {"hasNextPage": end < len(found), "endCursor": str(end)}}

    def recordInspection(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        data = variables["input"]
        self.keys_seen.append(data["idempotencyKey"])
        self.mutations.append(("recordInspection", data))
        self._fault(request)
        done = Decimal(data["acceptedQuantity"]) + Decimal(data["rejectedQuantity"])
        if done > Decimal("20"):
            return {"task": None, "userErrors": [
                {"code": "OVER_INSPECTION", "field": "acceptedQuantity",
                 "message": "more than the task has left"}]}
        decided = dict(self.tasks[0], doneQuantity=str(done))
        return {"task": decided, "userErrors": []}

    def putaway(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        data = variables["input"]
        self.keys_seen.append(data["idempotencyKey"])
        self.mutations.append(("putaway", data))
        if self._fault(request) == TIMEOUT_AFTER_COMMIT:
            raise httpx.ReadTimeout("the answer was lost on the way", request=request)
        if not data["toLocationBarcode"].startswith("WH1-A-"):
            return {"movement": None, "tasks": [], "userErrors": [
                {"code": "INVALID_LOCATION", "field": "toLocationBarcode",
                 "message": f"{data['toLocationBarcode']} is no storage bin of WH1"}]}
        return {"movement": {"documentNumber": "PA-2026-000001"}, "tasks": [self.tasks[1]],
                "userErrors": []}


def client_for(server: FakeServer, queue_path: Path, **options: Any) -> PdaClient:
    """A client of ``server`` over the queue file ``queue_path``, without backoff pauses."""
    options.setdefault("backoff", 0)
    return PdaClient("http://pda.test", token="token", queue_path=queue_path,
                     transport=server.transport, **options)


class _Respond(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response
