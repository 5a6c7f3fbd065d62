"""Sales returns on the handheld: the returned goods counted against the scanned return number
(``receiveSalesReturn``) and the QC decision on a return's task (``inspectSalesReturn``), both
queued with an idempotency key like receipts, so a lost answer is sent again, never twice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pda_client.errors import PdaError, to_quantity

if TYPE_CHECKING:
    from pda_client.client import PdaClient
    from pda_client.outbox import PostResult

RECEIVE_SALES_RETURN = """
mutation ReceiveSalesReturn($input: ReceiveSalesReturnInput!) {
  receiveSalesReturn(input: $input) {
    receipt { number lines { lineNo quantity lot taskId } }
    salesReturn { number state lines { sku quantity received } }
    userErrors { code field message }
  }
}
"""

INSPECT_SALES_RETURN = """
mutation InspectSalesReturn($input: InspectSalesReturnInput!) {
  inspectSalesReturn(input: $input) {
    salesReturn { number state lines { sku received restocked scrapped } }
    userErrors { code field message }
  }
}
"""


def tally(scans: Sequence[str]) -> list[tuple[str, Decimal]]:
    """Scanned codes as (code, count), first-seen order: each scan of a code is one unit, and
    ``CODE*N`` counts N at once (a case counted by hand)."""
    counted: dict[str, Decimal] = {}
    for scan in scans:
        text = scan.strip()
        code, _, times = text.rpartition("*") if "*" in text else (text, "", "1")
        if not code:
            raise PdaError("INVALID_INPUT", f"nothing scanned in {scan!r}")
        counted[code] = counted.get(code, Decimal(0)) + to_quantity(times, f"count of {code}")
    return list(counted.items())


def receipt_input(
    document: str, warehouse_code: str, counted: Sequence[tuple[str, Decimal]],
    idempotency_key: str,
) -> dict[str, Any]:
    if not counted:
        raise PdaError("INVALID_INPUT", "scan at least one product")
    return {"document": document.strip(), "warehouseCode": warehouse_code,
            "idempotencyKey": idempotency_key,
            "lines": [{"barcode": code, "quantity": str(quantity)} for code, quantity in counted]}


def inspection_input(
    task_id: str, restock: Decimal | int | str, scrap: Decimal | int | str, notes: str,
    reject_location_code: str | None, idempotency_key: str,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "taskId": int(task_id),
        "restockQuantity": str(to_quantity(restock, "restock quantity")),
        "scrapQuantity": str(to_quantity(scrap, "scrap quantity")),
        "notes": notes, "idempotencyKey": idempotency_key,
    }
    if reject_location_code:
        payload["rejectLocationCode"] = reject_location_code
    return payload


def receive_return(
    client: PdaClient, document: str, warehouse_code: str, scans: Sequence[str]
) -> PostResult:
    """Post the goods scanned against a return number (``CODE*N`` counts N), queued under its
    own key, so ``sync`` sends it again if the answer is lost."""
    key = str(uuid.uuid4())
    variables = {"input": receipt_input(document, warehouse_code, tally(scans), key)}
    return client.submit("receiveSalesReturn", RECEIVE_SALES_RETURN, variables, key)


def inspect_return(
    client: PdaClient,
    task_id: str,
    restock: Decimal | int | str = 0,
    scrap: Decimal | int | str = 0,
    notes: str = "",
    *,
    reject_location_code: str | None = None,
) -> PostResult:
    """Restock and/or scrap part of a return's QC task, queued under its own key."""
    key = str(uuid.uuid4())
    variables = {"input": inspection_input(task_id, restock, scrap, notes, reject_location_code,
                                           key)}
    return client.submit("inspectSalesReturn", INSPECT_SALES_RETURN, variables, key)
