"""The fake GraphQL server of pda_fake_server, taught stocktakes for the PDA's counting tests:
``stocktake`` answers a stocktake with its count tasks, ``recordCount`` checks the bin, the item
and the quantity like the real server and keeps each device's latest count per item (by
idempotency key, once)."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import httpx

from pda_client.documents import gtin_key
from pda_client.gs1 import read_barcode
from tests.unit.pda_fake_server import P1_CASE, P1_EAN, P2_EAN, TIMEOUT_AFTER_COMMIT, FakeServer

STOCKTAKE_NUMBER = "ST-2026-000001"
PACKS = {P1_EAN: ("P1", Decimal(1)), P1_CASE: ("P1", Decimal(12)), P2_EAN: ("P2", Decimal(1))}


def stocktake(number: str = STOCKTAKE_NUMBER, status: str = "OPEN") -> dict[str, Any]:
    """Bins WH1-A-01 and WH1-A-02 of WH1 to count."""
    return {"number": number, "status": status, "blind": True, "warehouse": {"code": "WH1"},
            "tasks": [{"locationCode": code, "status": "OPEN", "round": 1}
                      for code in ("WH1-A-01", "WH1-A-02")]}


class CountingFakeServer(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.stocktakes = {STOCKTAKE_NUMBER: stocktake()}
        # (bin, device, item, lot) -> units; the server's view of the counts.
        self.counts: dict[tuple[str, str, str, str], Decimal] = {}
        self.answered: dict[str, dict[str, Any]] = {}

    def stocktake(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        found = self.stocktakes.get(variables["number"])
        return copy.deepcopy(found) if found else None

    def units(self, location: str, sku: str) -> Decimal:
        """What all devices counted of ``sku`` in ``location``."""
        total = Decimal(0)
        for (bin_code, _, item, _), units in self.counts.items():
            if bin_code == location and self._sku(item) == sku:
                total += units
        return total

    def _sku(self, item: str) -> str:
        read = read_barcode(item)
        key = gtin_key(read.gtin or read.plain or item)
        return next((sku for code, (sku, _) in PACKS.items() if gtin_key(code) == key), item)

    def recordCount(self, request: httpx.Request, variables: dict[str, Any]) -> Any:
        data = variables["input"]
        key = data["idempotencyKey"]
        self.keys_seen.append(key)
        self.mutations.append(("recordCount", data))
        fault = self._fault(request)
        if key not in self.answered:
            errors = self._count_errors(data)
            if errors:
                return {"count": None, "stocktake": None, "userErrors": errors}
            self.answered[key] = self._apply(data)
        if fault == TIMEOUT_AFTER_COMMIT:
            raise httpx.ReadTimeout("the answer was lost on the way", request=request)
        return self.answered[key]

    def _count_errors(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        document = self.stocktakes.get(data["stocktakeNumber"])
        if document is None or document["status"] not in ("OPEN", "COUNTING"):
            return [{"code": "STOCKTAKE_CLOSED", "field": "number", "message": "not counting"}]
        if data["locationCode"] not in {t["locationCode"] for t in document["tasks"]}:
            return [{"code": "NOT_IN_STOCKTAKE", "field": "locationCode",
                     "message": f"bin {data['locationCode']} is not counted"}]
        item = data.get("barcode") or data.get("sku") or ""
        if data.get("barcode") and self._sku(item) == item:
            return [{"code": "UNKNOWN_BARCODE", "field": "barcode",
                     "message": f"nothing is {item}"}]
        if Decimal(data["quantity"]) < 0:
            return [{"code": "INVALID_INPUT", "field": "quantity", "message": "negative"}]
        return []

    def _apply(self, data: dict[str, Any]) -> dict[str, Any]:
        document = self.stocktakes[data["stocktakeNumber"]]
        item = data.get("barcode") or data.get("sku") or ""
        pack = next((p for code, (_, p) in PACKS.items() if code == item), Decimal(1))
        read = read_barcode(item) if data.get("barcode") else None
        lot = data.get("lot") or (read.lot if read else None) or ""
        units = Decimal(data["quantity"]) * pack
        self.counts[(data["locationCode"], data["deviceId"], item, lot)] = units
        document["status"] = "COUNTING"
        for task in document["tasks"]:
            if task["locationCode"] == data["locationCode"]:
                task["status"] = "COUNTED"
        return {"count": {"locationCode": data["locationCode"], "sku": self._sku(item),
                          "entry": item, "lot": lot, "quantity": str(units),
                          "deviceId": data["deviceId"], "round": 1},
                "stocktake": {"status": "COUNTING"}, "userErrors": []}
