"""A counting session: count a stocktake's bins on the handheld (``caixiao-pda count``).

The stocktake comes from the server (``stocktake``) and is kept in the offline queue with every
step of the count. First a bin of the stocktake is scanned; then its items: each scan of a
barcode counts one of that barcode (a case barcode one case: the server multiplies by its pack),
``set_quantity`` types a count instead (for the last item, or for a SKU). A scan that is no bin
of the stocktake, before any bin, is refused locally with WRONG_BIN; another bin while this one
has counts not sent is refused with BIN_NOT_DONE. ``done`` is never automatic: it queues one
``recordCount`` per item of the bin, each under an idempotency key made once for it, and sends
them; when the server cannot be reached they wait in the queue and ``caixiao-pda sync`` sends
them later. The server keeps the device's latest count per item, so counting a bin again sends
the new totals, which replace the earlier ones.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pda_client.count_queue import (
    BIN,
    ITEM,
    SET,
    CountSessionRow,
    CountStepRow,
    CountStore,
    ItemPost,
)
from pda_client.errors import PdaError, to_quantity
from pda_client.gs1 import BarcodeError, read_barcode
from pda_client.outbox import PostResult
from pda_client.receive import AMBIGUOUS_READ, MALFORMED_BARCODE, ScanWarning

if TYPE_CHECKING:
    from pda_client.client import PdaClient

WRONG_BIN = "WRONG_BIN"
BIN_NOT_DONE = "BIN_NOT_DONE"
NOTHING_COUNTED = "NOTHING_COUNTED"
STOCKTAKE_CLOSED = "STOCKTAKE_CLOSED"
CLOSED_STATUSES = frozenset({"POSTED", "CANCELLED"})
COUNTING_STATUSES = frozenset({"OPEN", "COUNTING"})

STOCKTAKE = """
query Stocktake($number: String!) {
  stocktake(number: $number) {
    number status blind warehouse { code }
    tasks { locationCode status round }
  }
}
"""

RECORD_COUNT = """
mutation RecordCount($input: RecordCountInput!) {
  recordCount(input: $input) {
    count { locationCode sku entry lot quantity deviceId round }
    stocktake { status }
    userErrors { code field message }
  }
}
"""


@dataclass(frozen=True, slots=True)
class ItemCount:
    """What this session counted of one item in the current bin: ``item`` is the barcode as
    scanned, or the SKU typed (``by_sku``)."""

    item: str
    by_sku: bool
    lot: str | None
    quantity: Decimal

    @property
    def label(self) -> str:
        lot = f" lot {self.lot}" if self.lot else ""
        return f"{self.item}{lot}"


@dataclass(frozen=True, slots=True)
class CountScanResult:
    """What one scan or entry did: ``kind`` is the step recorded (bin, item, set), None when
    nothing was (refused: see ``warnings``). ``item`` is the item's count after it."""

    raw: str | None
    kind: str | None
    bin: str | None
    item: ItemCount | None
    warnings: tuple[ScanWarning, ...]

    @property
    def refused(self) -> bool:
        return self.kind is None and bool(self.warnings)

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(warning.code for warning in self.warnings)


def _key(step: CountStepRow) -> tuple[str, bool, str | None]:
    return (step.item or "", step.by_sku, step.lot)


def items_of(steps: list[CountStepRow]) -> list[ItemCount]:
    """Replay the current bin's steps: scans add, a typed quantity replaces; first seen first."""
    counts: dict[tuple[str, bool, str | None], Decimal] = {}
    for step in steps:
        if step.kind == ITEM and step.quantity is not None:
            counts[_key(step)] = counts.get(_key(step), Decimal(0)) + step.quantity
        elif step.kind == SET and step.quantity is not None:
            counts[_key(step)] = step.quantity
    return [ItemCount(item, by_sku, lot, quantity)
            for (item, by_sku, lot), quantity in counts.items()]


def count_input(number: str, bin_code: str, item: ItemCount, device_id: str,
                key: str) -> dict[str, Any]:
    """The ``RecordCountInput`` of one item's count."""
    data: dict[str, Any] = {"stocktakeNumber": number, "locationCode": bin_code,
                            "quantity": f"{item.quantity:f}", "deviceId": device_id,
                            "idempotencyKey": key}
    data["sku" if item.by_sku else "barcode"] = item.item
    if item.lot:
        data["lot"] = item.lot
    return data


def start_counting(client: PdaClient, number: str, device_id: str) -> CountingSession:
    """The counting session of a stocktake, holding it as the server has it now; when the
    server cannot be reached, as the queue kept it."""
    if not device_id.strip():
        raise PdaError("INVALID_INPUT", "give this device a name (--device)")
    store = CountStore(client.queue)
    wanted = number.strip()
    try:
        document = fetch_stocktake(client, wanted)
    except PdaError as error:
        cached = store.session_of(wanted)
        if cached is not None and error.unanswered:
            return CountingSession(client, store, cached, device_id.strip())
        raise
    return CountingSession(client, store, store.open_session(document), device_id.strip())


def fetch_stocktake(client: PdaClient, number: str) -> dict[str, Any]:
    found: dict[str, Any] | None = client.execute(STOCKTAKE, {"number": number})["stocktake"]
    if found is None:
        raise PdaError("NOT_FOUND", f"no stocktake {number}")
    return found


class CountingSession:
    """One stocktake being counted by this device; its state lives in the queue file, so a
    restart goes on where it stopped."""

    def __init__(self, client: PdaClient, store: CountStore, row: CountSessionRow,
                 device_id: str) -> None:
        self._client = client
        self._store = store
        self.device_id = device_id
        self.id = row.id
        self._load(row)

    def _load(self, row: CountSessionRow) -> None:
        self.document = row.document
        self._steps = self._store.live_steps(self.id)

    @property
    def number(self) -> str:
        return str(self.document["number"])

    @property
    def status(self) -> str:
        return str(self.document["status"])

    @property
    def bins(self) -> list[dict[str, Any]]:
        """The count tasks as the server last told them: locationCode, status, round."""
        return list(self.document["tasks"])

    def current_bin(self) -> str | None:
        """The bin being counted: the last bin scanned whose counts are not sent yet."""
        bins = [step.bin for step in self._steps if step.kind == BIN]
        return bins[-1] if bins else None

    def items(self) -> list[ItemCount]:
        """What this session counted in the current bin so far."""
        return items_of([step for step in self._steps if step.kind != BIN])

    def scan(self, raw: str) -> CountScanResult:
        """A bin of the stocktake starts counting it; anything else scanned in a bin is an
        item, one more of it."""
        self._require_counting()
        text = raw.strip()
        current = self.current_bin()
        if text in {task["locationCode"] for task in self.bins}:
            if text == current:
                return CountScanResult(text, None, current, None, ())
            if current is not None and self.items():
                return self._refuse(text, BIN_NOT_DONE, (
                    f"bin {current} has counts not sent: `done` sends them (or undo them) "
                    f"before bin {text}"))
            if current is not None:
                self.undo()
            return self._record(BIN, text, raw=text)
        if current is None:
            return self._refuse(text, WRONG_BIN,
                                f"{text} is no bin of {self.number}: scan the bin first")
        try:
            read = read_barcode(text)
        except BarcodeError as error:
            return self._refuse(text, MALFORMED_BARCODE, str(error))
        warnings = [ScanWarning(AMBIGUOUS_READ, note) for note in read.warnings]
        return self._record(ITEM, current, raw=text, item=text, lot=read.lot,
                            quantity=Decimal(1), warnings=warnings)

    def set_quantity(self, quantity: Decimal | int | str, sku: str | None = None,
                     lot: str | None = None) -> CountScanResult:
        """Type the count of an item in the current bin, replacing its scans: the last item
        scanned, or ``sku`` (with ``lot``)."""
        self._require_counting()
        amount = to_quantity(quantity)
        current = self.current_bin()
        if current is None:
            raise PdaError(WRONG_BIN, "scan the bin first")
        if sku is not None:
            return self._record(SET, current, item=sku.strip(), by_sku=True,
                                lot=(lot or "").strip() or None, quantity=amount)
        last = next((step for step in reversed(self._steps) if step.kind != BIN), None)
        if last is None:
            raise PdaError(NOTHING_COUNTED, "scan an item first, or type: qty SKU N [LOT]")
        return self._record(SET, current, item=last.item, by_sku=last.by_sku, lot=last.lot,
                            quantity=amount)

    def undo(self) -> CountStepRow | None:
        """Take back the last step not sent yet (None if there is none)."""
        if not self._steps:
            return None
        last = self._steps.pop()
        self._store.undo_step(last.id)
        return last

    def done(self) -> list[PostResult]:
        """Queue one recordCount per item of the current bin and send them, in order. Nothing
        is sent twice, whatever the network does: each post keeps its key."""
        self._require_counting()
        current = self.current_bin()
        if current is None:
            raise PdaError(WRONG_BIN, "scan the bin first")
        items = self.items()
        if not items:
            raise PdaError(NOTHING_COUNTED, (
                f"nothing counted in {current}: what is not counted is left alone"))
        bin_step = next(step for step in reversed(self._steps) if step.kind == BIN)
        posts = []
        for item in items:
            key = str(uuid.uuid4())
            steps = [step for step in self._steps
                     if step.kind != BIN and _key(step) == (item.item, item.by_sku, item.lot)]
            posts.append(ItemPost(steps, RECORD_COUNT, {"input": count_input(
                self.number, current, item, self.device_id, key)}, key))
        stored = self._store.add_counts(bin_step, posts, subject=self.number)
        results = [self._client.deliver_in_order(post) for post in stored]
        if any(result.status != "pending" for result in results):
            with contextlib.suppress(PdaError):
                self.refresh()
        self._steps = self._store.live_steps(self.id)
        return results

    def refresh(self) -> bool:
        """Ask the server for the stocktake as it stands; False when it cannot be reached."""
        try:
            document = fetch_stocktake(self._client, self.number)
        except PdaError as error:
            if error.unanswered:
                return False
            raise
        self._load(self._store.open_session(document))
        return True

    def _require_counting(self) -> None:
        if self.status in CLOSED_STATUSES:
            raise PdaError(STOCKTAKE_CLOSED, f"{self.number} is {self.status.lower()}")
        if self.status not in COUNTING_STATUSES:
            raise PdaError("INVALID_STATE",
                           f"{self.number} is {self.status.lower()}: counting is over")

    def _refuse(self, raw: str, code: str, message: str) -> CountScanResult:
        return CountScanResult(raw, None, self.current_bin(), None,
                               (ScanWarning(code, message),))

    def _record(self, kind: str, bin_code: str, *, raw: str | None = None,
                item: str | None = None, by_sku: bool = False, lot: str | None = None,
                quantity: Decimal | None = None,
                warnings: list[ScanWarning] | None = None) -> CountScanResult:
        # Written before it counts: a crash after this loses nothing the user saw.
        step = self._store.record_step(self.id, kind, bin_code, item=item, by_sku=by_sku,
                                       lot=lot, quantity=quantity)
        self._steps.append(step)
        counted = next((c for c in self.items() if (c.item, c.by_sku, c.lot) == _key(step)),
                       None) if kind != BIN else None
        return CountScanResult(raw, kind, bin_code, counted, tuple(warnings or ()))
