"""Quality inspection and putaway on the handheld: the warehouse's open tasks, and the two
mutations that work them off (queued with an idempotency key, like receipts)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pda_client.errors import PdaError, to_quantity

TASK_KINDS = ("QC", "PUTAWAY")
INSPECTION_RESULTS = ("PASS", "FAIL", "CONCESSION")
PAGE_SIZE = 100

TASK_FIELDS = """
fragment WarehouseTaskFields on WarehouseTask {
  id kind status sku lot product { name } location { code } suggestedLocation { code }
  quantity doneQuantity remainingQuantity documentNumber receiptLineNo createdAt
}
"""

WAREHOUSE_TASKS = """
query WarehouseTasks($warehouseCode: String!, $kinds: [WarehouseTaskKind!], $first: Int,
                     $after: String) {
  warehouseTasks(warehouseCode: $warehouseCode, kinds: $kinds, first: $first, after: $after) {
    edges { node { ...WarehouseTaskFields } }
    pageInfo { hasNextPage endCursor }
  }
}
""" + TASK_FIELDS

RECORD_INSPECTION = """
mutation RecordInspection($input: RecordInspectionInput!) {
  recordInspection(input: $input) {
    task { ...WarehouseTaskFields }
    userErrors { code field message }
  }
}
""" + TASK_FIELDS

PUTAWAY = """
mutation Putaway($input: PutawayInput!) {
  putaway(input: $input) {
    movement { documentNumber }
    tasks { ...WarehouseTaskFields }
    userErrors { code field message }
  }
}
""" + TASK_FIELDS


@dataclass(frozen=True, slots=True)
class WarehouseTask:
    id: str
    kind: str
    status: str
    sku: str
    name: str
    lot: str
    location: str
    suggested_location: str | None
    quantity: Decimal
    done_quantity: Decimal
    remaining_quantity: Decimal
    document_number: str
    receipt_line_no: int | None
    created_at: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WarehouseTask:
        suggested = data.get("suggestedLocation")
        return cls(
            id=str(data["id"]), kind=data["kind"], status=data["status"], sku=data["sku"],
            name=(data.get("product") or {}).get("name", ""), lot=data.get("lot") or "",
            location=data["location"]["code"],
            suggested_location=suggested["code"] if suggested else None,
            quantity=Decimal(data["quantity"]), done_quantity=Decimal(data["doneQuantity"]),
            remaining_quantity=Decimal(data["remainingQuantity"]),
            document_number=data["documentNumber"], receipt_line_no=data.get("receiptLineNo"),
            created_at=data["createdAt"],
        )


def task_kinds(kinds: tuple[str, ...] | list[str] | None) -> list[str] | None:
    if kinds is None:
        return None
    wanted = [kind.upper() for kind in kinds]
    unknown = [kind for kind in wanted if kind not in TASK_KINDS]
    if unknown:
        raise PdaError("INVALID_INPUT", f"task kinds are {', '.join(TASK_KINDS)}, not {unknown}")
    return wanted


def inspection_input(
    task_id: str,
    accepted: Decimal | int | str,
    rejected: Decimal | int | str,
    result: str,
    notes: str,
    reject_location_code: str | None,
    idempotency_key: str,
) -> dict[str, Any]:
    decision = result.upper()
    if decision not in INSPECTION_RESULTS:
        raise PdaError("INVALID_INPUT",
                       f"result is one of {', '.join(INSPECTION_RESULTS)}, not {result!r}")
    payload: dict[str, Any] = {
        "taskId": str(task_id),
        "acceptedQuantity": str(to_quantity(accepted, "accepted quantity")),
        "rejectedQuantity": str(to_quantity(rejected, "rejected quantity")),
        "result": decision, "notes": notes, "idempotencyKey": idempotency_key,
    }
    if reject_location_code:
        payload["rejectLocationCode"] = reject_location_code
    return payload


def putaway_input(
    sku: str,
    from_location: str,
    to_location_barcode: str,
    quantity: Decimal | int | str,
    lot: str | None,
    warehouse_code: str | None,
    idempotency_key: str,
) -> dict[str, Any]:
    amount = to_quantity(quantity)
    if amount == 0:
        raise PdaError("INVALID_INPUT", "put away at least one unit")
    payload: dict[str, Any] = {
        "sku": sku, "fromLocationCode": from_location, "toLocationBarcode": to_location_barcode,
        "quantity": str(amount), "idempotencyKey": idempotency_key,
    }
    if lot is not None:
        payload["lot"] = lot
    if warehouse_code:
        payload["warehouseCode"] = warehouse_code
    return payload
