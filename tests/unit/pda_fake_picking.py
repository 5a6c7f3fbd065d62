"""The fake GraphQL server of pda_fake_server, taught picking and shipping for the PDA's picking
tests: a pick list answered by ``pickList``, ``confirmPick`` checking bin, product, lot and
quantity like the real server (a short may add a re-pick line from another bin), and
``confirmShipment``; picks and shipments are kept by idempotency key."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx

from pda_client.documents import gtin_key
from pda_client.gs1 import read_barcode
from tests.unit.pda_fake_server import (
    P1_CASE,
    P1_EAN,
    P2_EAN,
    TIMEOUT_AFTER_COMMIT,
    FakeServer,
    task,
)

PICK_LIST = "PK-2026-000001"
P1_L1_LABEL = "]C1010690123456789217270131" + "10L1"


def pick_line(number: str, line_no: int, sku: str, bin_code: str, lot: str, quantity: str,
              barcodes: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "lineNo": line_no, "orderNumber": "SO-2026-000001", "orderLineNo": line_no, "sku": sku,
        "lot": lot, "quantity": quantity, "picked": "0", "short": "0", "shortReason": None,
        "status": "OPEN", "taskId": f"{number}/{line_no}", "location": {"code": bin_code},
        "product": {"sku": sku, "name": f"Product {sku}", "barcodes": [
            {"barcode": code, "packQuantity": pack} for code, pack in barcodes]},
    }


def pick_list(number: str = PICK_LIST) -> dict[str, Any]:
    """13 × P1 lot L1 from WH1-A-01 (EAN and a case of 12), then 2 × P2 from WH1-A-02."""
    return {
        "number": number, "state": "OPEN", "version": 1,
        "createdAt": "2026-01-06T08:00:00+00:00", "orderNumbers": ["SO-2026-000001"],
        "lines": [
            pick_line(number, 1, "P1", "WH1-A-01", "L1", "13", [(P1_EAN, "1"), (P1_CASE, "12")]),
            pick_line(number, 2, "P2", "WH1-A-02", "", "2", [(P2_EAN, "1")]),
        ],
    }


def pick_task(number: str, line: dict[str, Any]) -> dict[str, Any]:
    return dict(task(line["taskId"], "PICK", line["sku"], line["quantity"]),
                lot=line["lot"], location=line["location"], documentNumber=number,
                receiptLineNo=None)


class PickingFakeServer(FakeServer):
    """The fake server with pickList, confirmPick and confirmShipment, checked as the real
    server checks them; ``add_pick_list`` releases a pick list (and its PICK tasks)."""

    def __init__(self) -> None:
        super().__init__()
        self.pick_lists: dict[str, dict[str, Any]] = {}
        self.picks_done: set[str] = set()
        # A short pick of a SKU found here again (bin, lot) gets a re-pick line.
        self.repick_from: dict[str, tuple[str, str]] = {}
        self.shipments: dict[str, dict[str, Any]] = {}

    def add_pick_list(self, document: dict[str, Any]) -> None:
        self.pick_lists[document["number"]] = document
        self.tasks += [pick_task(document["number"], line) for line in document["lines"]]

    def pickList(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        found = self.pick_lists.get(variables["number"])
        return copy.deepcopy(found) if found else None

    def confirmPick(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        data = variables["input"]
        key = data["idempotencyKey"]
        self.keys_seen.append(key)
        self.mutations.append(("confirmPick", data))
        fault = self._fault(request)
        document = self.pick_lists.get(data["pickListNumber"])
        if key not in self.picks_done:
            errors = _pick_errors(document, data)
            if errors or document is None:
                return {"pickList": None, "userErrors": errors}
            self._apply_pick(document, data)
            self.picks_done.add(key)
        if fault == TIMEOUT_AFTER_COMMIT:
            raise httpx.ReadTimeout("the answer was lost on the way", request=request)
        return {"pickList": copy.deepcopy(document), "userErrors": []}

    def _apply_pick(self, document: dict[str, Any], data: dict[str, Any]) -> None:
        line = next(line for line in document["lines"] if line["lineNo"] == data["lineNo"])
        picked, short = Decimal(data["quantity"]), Decimal(data.get("shortQuantity") or 0)
        line["picked"] = str(Decimal(line["picked"]) + picked)
        line["short"] = str(Decimal(line["short"]) + short)
        line["shortReason"] = data.get("shortReason") or line["shortReason"]
        if Decimal(line["picked"]) + Decimal(line["short"]) == Decimal(line["quantity"]):
            line["status"] = "PICKED" if Decimal(line["picked"]) else "SHORT"
            self.tasks = [t for t in self.tasks if t["id"] != line["taskId"]]
        if short and line["sku"] in self.repick_from:
            bin_code, lot = self.repick_from[line["sku"]]
            line_no = len(document["lines"]) + 1
            again = dict(copy.deepcopy(line), lineNo=line_no, location={"code": bin_code},
                         lot=lot, quantity=str(short), picked="0", short="0", shortReason=None,
                         status="OPEN", taskId=f"{document['number']}/{line_no}")
            document["lines"].append(again)
            document["lines"].sort(key=lambda line: (line["location"]["code"], line["sku"]))
            self.tasks.append(pick_task(document["number"], again))
        document["version"] += 1
        if all(line["status"] != "OPEN" for line in document["lines"]):
            document["state"] = "PICKED"

    def confirmShipment(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        data = variables["input"]
        key = data["idempotencyKey"]
        self.keys_seen.append(key)
        self.mutations.append(("confirmShipment", data))
        fault = self._fault(request)
        document = self.pick_lists.get(data["pickListNumber"])
        if key not in self.shipments:
            if document is None or document["state"] != "PICKED" or (
                    data.get("basedOnVersion") not in (None, document["version"])):
                return {"shipment": None, "userErrors": [
                    {"code": "INVALID_STATE", "field": "pickListNumber",
                     "message": f"{data['pickListNumber']} is not picked, or changed"}]}
            document["state"] = "SHIPPED"
            document["version"] += 1
            self.shipments[key] = {
                "number": f"SH-2026-{len(self.shipments) + 1:06d}",
                "pickListNumber": document["number"], "carrier": data["carrier"],
                "trackingNumber": data["trackingNumber"],
                "shippedAt": "2026-01-06T10:00:00+00:00",
                "lines": [{"orderNumber": line["orderNumber"],
                           "orderLineNo": line["orderLineNo"], "sku": line["sku"],
                           "lot": line["lot"], "quantity": line["picked"], "unitPrice": "10",
                           "unitCost": "6"}
                          for line in document["lines"] if Decimal(line["picked"])]}
        if fault == TIMEOUT_AFTER_COMMIT:
            raise httpx.ReadTimeout("the answer was lost on the way", request=request)
        return {"shipment": self.shipments[key], "userErrors": []}


def _pick_errors(document: dict[str, Any] | None, data: dict[str, Any]) -> list[dict[str, Any]]:
    def error(code: str, field: str, message: str) -> list[dict[str, Any]]:
        return [{"code": code, "field": field, "message": message}]

    if document is None or document["state"] != "OPEN":
        return error("INVALID_STATE", "pickListNumber", "no open pick list")
    if data.get("basedOnVersion") not in (None, document["version"]):
        return error("STALE_VERSION", "basedOnVersion",
                     f"it is now version {document['version']}; reload it")
    line = next((line for line in document["lines"] if line["lineNo"] == data["lineNo"]), None)
    if line is None or line["status"] != "OPEN":
        return error("INVALID_STATE", "lineNo", "no open line")
    if data["binBarcode"] != line["location"]["code"]:
        return error("WRONG_BIN", "binBarcode", f"go to {line['location']['code']}")
    label = read_barcode(data["productBarcode"]) if data.get("productBarcode") else None
    if label is not None and not any(
            gtin_key(b["barcode"]) == gtin_key(label.gtin or label.plain or "")
            for b in line["product"]["barcodes"]):
        return error("WRONG_PRODUCT", "productBarcode", f"not {line['sku']}")
    lot = data.get("lot") or (label.lot if label else None)
    if Decimal(data["quantity"]) and line["lot"] and lot != line["lot"]:
        return error("WRONG_LOT", "lot", f"pick lot {line['lot']}")
    remaining = Decimal(line["quantity"]) - Decimal(line["picked"]) - Decimal(line["short"])
    if Decimal(data["quantity"]) + Decimal(data.get("shortQuantity") or 0) > remaining:
        return error("OVER_PICK", "quantity", f"only {remaining} to pick")
    return []
