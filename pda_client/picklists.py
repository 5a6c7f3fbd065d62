"""What the server says about a pick list, and the GraphQL that asks it or acts on it.

``pickList`` answers with the lines in walking order, each naming the bin, the lot and the
product's barcodes (with their pack quantities), so a picking session checks every scan locally.
``confirmPick`` answers with the pick list as it stands afterwards (a short pick may have added a
re-pick line from another bin); the offline queue keeps that answer as the session's pick list.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pda_client.documents import PackBarcode, pack_barcodes
from pda_client.errors import PdaError

OPEN = "OPEN"

PICK_LIST_FIELDS = """
fragment PickListFields on PickList {
  number state version createdAt orderNumbers
  lines {
    lineNo orderNumber orderLineNo sku lot quantity picked short shortReason status taskId
    location { code }
    product { sku name barcodes { barcode packQuantity } }
  }
}
"""

PICK_LIST = """
query PickList($number: String!) {
  pickList(number: $number) { ...PickListFields }
}
""" + PICK_LIST_FIELDS

CONFIRM_PICK = """
mutation ConfirmPick($input: ConfirmPickInput!) {
  confirmPick(input: $input) {
    pickList { ...PickListFields }
    userErrors { code field message }
  }
}
""" + PICK_LIST_FIELDS

CONFIRM_SHIPMENT = """
mutation ConfirmShipment($input: ConfirmShipmentInput!) {
  confirmShipment(input: $input) {
    shipment {
      number pickListNumber carrier trackingNumber shippedAt
      lines { orderNumber orderLineNo sku lot quantity unitPrice unitCost }
    }
    userErrors { code field message }
  }
}
"""


@dataclass(frozen=True, slots=True)
class PickLine:
    """One line of a pick list: take ``quantity`` of ``sku`` (lot ``lot``, "" for none) from
    bin ``bin``. ``remaining`` is what nobody has picked or reported short yet."""

    line_no: int
    order_number: str
    order_line_no: int
    sku: str
    name: str
    bin: str
    lot: str
    quantity: Decimal
    picked: Decimal
    short: Decimal
    short_reason: str | None
    status: str
    task_id: str | None
    barcodes: tuple[PackBarcode, ...]

    @property
    def remaining(self) -> Decimal:
        return max(self.quantity - self.picked - self.short, Decimal(0))

    @property
    def open(self) -> bool:
        return self.status == OPEN and self.remaining > 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PickLine:
        product = data.get("product") or {}
        task = data.get("taskId")
        return cls(
            line_no=int(data["lineNo"]), order_number=data["orderNumber"],
            order_line_no=int(data["orderLineNo"]), sku=data["sku"],
            name=product.get("name", ""), bin=data["location"]["code"], lot=data.get("lot") or "",
            quantity=Decimal(data["quantity"]), picked=Decimal(data["picked"]),
            short=Decimal(data["short"]), short_reason=data.get("shortReason"),
            status=str(data["status"]).upper(), task_id=str(task) if task is not None else None,
            barcodes=pack_barcodes(product.get("barcodes")),
        )


@dataclass(frozen=True, slots=True)
class PickList:
    number: str
    state: str
    version: int
    created_at: str
    order_numbers: tuple[str, ...]
    lines: tuple[PickLine, ...]

    @property
    def open(self) -> bool:
        return self.state.upper() == OPEN

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PickList:
        return cls(
            number=data["number"], state=str(data["state"]).upper(), version=int(data["version"]),
            created_at=data.get("createdAt") or "",
            order_numbers=tuple(data.get("orderNumbers") or ()),
            lines=tuple(PickLine.from_json(line) for line in data["lines"]),
        )


def shipment_input(
    pick_list_number: str,
    carrier: str,
    tracking_number: str,
    based_on_version: int | None,
    idempotency_key: str,
) -> dict[str, Any]:
    if not carrier.strip() or not tracking_number.strip():
        raise PdaError("INVALID_INPUT", "give the carrier and the tracking number")
    payload: dict[str, Any] = {
        "pickListNumber": pick_list_number.strip(), "carrier": carrier.strip(),
        "trackingNumber": tracking_number.strip(), "idempotencyKey": idempotency_key,
    }
    if based_on_version is not None:
        payload["basedOnVersion"] = based_on_version
    return payload
