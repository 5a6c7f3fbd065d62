"""A receiving session: scan goods against a PO, ASN or pallet and post one receipt.

The expected lines come from the server once (``receivingDocument``) and are kept in the offline
queue, so each scan is matched, counted and checked against the lines locally; only a code the
lines do not know is asked of the server (``resolveBarcode``), when it can be reached. Every scan
is written to the queue before it counts, so ``undo`` and a restart see exactly what was done.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pda_client.documents import (
    RECEIVE_GOODS,
    RECEIVE_TRANSFER,
    ExpectedLine,
    ReceivingDocument,
    gtin_key,
    is_transfer_number,
    parse_date,
    read_keys,
)
from pda_client.errors import PdaError, quantity_text, to_quantity
from pda_client.gs1 import BarcodeError, Gs1Read, read_barcode
from pda_client.queue import OPEN, CountRow, OfflineQueue, ScanRow, SessionRow

if TYPE_CHECKING:
    from pda_client.client import PdaClient
    from pda_client.outbox import PostResult

# Scan kinds in the queue: a product scan adds, a pallet (SSCC) scan adds, a typed quantity sets.
SCAN, PALLET, SET = "scan", "pallet", "set"

NOT_ON_ORDER = "NOT_ON_ORDER"
OVER_RECEIPT = "OVER_RECEIPT"
UNKNOWN_BARCODE = "UNKNOWN_BARCODE"
MALFORMED_BARCODE = "MALFORMED_BARCODE"
NOT_A_PRODUCT = "NOT_A_PRODUCT"
AMBIGUOUS_READ = "AMBIGUOUS_READ"
DUPLICATE_SERIAL = "DUPLICATE_SERIAL"


@dataclass(frozen=True, slots=True)
class ScanWarning:
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class Counted:
    """What one scan did to one line: ``added`` units of ``lot`` (negative when a typed
    quantity lowered it), ``counted`` for the line now."""

    line: ExpectedLine
    lot: str | None
    added: Decimal
    counted: Decimal


@dataclass(frozen=True, slots=True)
class ScanResult:
    raw: str | None
    sku: str | None
    counts: tuple[Counted, ...]
    warnings: tuple[ScanWarning, ...]

    @property
    def line(self) -> ExpectedLine | None:
        return self.counts[0].line if self.counts else None

    @property
    def quantity(self) -> Decimal:
        return sum((count.added for count in self.counts), Decimal(0))

    @property
    def counted(self) -> Decimal | None:
        return self.counts[0].counted if self.counts else None

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(warning.code for warning in self.warnings)


@dataclass(frozen=True, slots=True)
class LineTally:
    """A line as expected beside what this session counted for it, per lot."""

    line: ExpectedLine
    counted: Decimal
    lots: tuple[tuple[str | None, Decimal], ...]

    @property
    def over_receipt(self) -> bool:
        return self.counted > self.line.max_receivable


@dataclass(slots=True)
class _Tally:
    quantity: Decimal = Decimal(0)
    expiry: date | None = None
    serials: list[str] = field(default_factory=list)
    raws: set[str | None] = field(default_factory=set)
    by_barcode: bool = True


def tally(scans: Iterable[ScanRow]) -> dict[tuple[int, str | None], _Tally]:
    """Replay scans in order: product and pallet scans add, a typed quantity replaces (and
    drops the serials scanned for that line and lot)."""
    tallies: dict[tuple[int, str | None], _Tally] = {}
    for scan in scans:
        for count in scan.counts:
            entry = tallies.setdefault((count.line_no, count.lot), _Tally())
            if scan.kind == SET:
                entry.quantity = count.quantity
                entry.serials = []
            else:
                entry.quantity += count.quantity
                entry.raws.add(scan.raw)
            entry.by_barcode = entry.by_barcode and scan.kind == SCAN
            entry.expiry = count.expiry or entry.expiry
            if count.serial:
                entry.serials.append(count.serial)
    return tallies


def receive_input(
    document: ReceivingDocument, scans: Iterable[ScanRow], idempotency_key: str
) -> dict[str, Any]:
    """The one ``ReceiveGoodsInput`` for what was counted. A line counted from one barcode only
    sends that raw scan (the server keeps it); any other line is named by its SKU."""
    skus = {line.line_no: line.sku for line in document.lines}
    lines: list[dict[str, Any]] = []
    for (line_no, lot), entry in sorted(tally(scans).items(),
                                        key=lambda item: (item[0][0], item[0][1] or "")):
        if entry.quantity <= 0:
            continue
        one_raw = next(iter(entry.raws)) if len(entry.raws) == 1 else None
        line: dict[str, Any] = (
            {"barcode": one_raw} if entry.by_barcode and one_raw else {"sku": skus[line_no]}
        )
        line["quantity"] = str(entry.quantity)
        if lot is not None:
            line["lot"] = lot
        if entry.expiry is not None:
            line["expiry"] = entry.expiry.isoformat()
        if entry.serials:
            line["serials"] = list(dict.fromkeys(entry.serials))
        lines.append(line)
    return {"document": document.number, "warehouseCode": document.warehouse_code,
            "lines": lines, "basedOnVersion": document.version,
            "idempotencyKey": idempotency_key}


def transfer_receipt_input(received: dict[str, Any]) -> dict[str, Any]:
    """``receiveTransfer`` takes the counted lines as ``receiveGoods`` does, under the transfer's
    number."""
    return {"transferNumber": received["document"], "warehouseCode": received["warehouseCode"],
            "lines": received["lines"], "basedOnVersion": received["basedOnVersion"],
            "idempotencyKey": received["idempotencyKey"]}


class ReceivingSession:
    """One receipt being counted; made by ``PdaClient.start_receiving``, state in the queue."""

    def __init__(self, client: PdaClient, queue: OfflineQueue, row: SessionRow) -> None:
        self._client = client
        self._queue = queue
        self.id = row.id
        self._load(row)
        self._scans = queue.scans(self.id)

    def _load(self, row: SessionRow) -> None:
        self.status = row.status
        self.document = ReceivingDocument.from_json(row.document)
        self._barcodes: dict[str, list[tuple[ExpectedLine, Decimal]]] = {}
        for line in self.document.lines:
            for barcode in line.barcodes:
                self._barcodes.setdefault(gtin_key(barcode.barcode), []).append(
                    (line, barcode.pack_quantity))

    def refresh(self) -> None:
        """Read status and document again from the queue (a post or sync may have changed them)."""
        self._load(self._queue.session(self.id))

    def lines(self) -> list[LineTally]:
        tallies = tally(self._scans)
        result = []
        for line in self.document.lines:
            lots = tuple((lot, entry.quantity) for (line_no, lot), entry in tallies.items()
                         if line_no == line.line_no)
            result.append(LineTally(line, sum((q for _, q in lots), Decimal(0)), lots))
        return result

    def scan(self, raw: str) -> ScanResult:
        """Count one scan. Warnings come back at once; nothing is refused, nothing is lost."""
        self._require_open()
        kind, sku, counts, warnings = self._resolve(raw)
        return self._record(kind, raw, sku, counts, warnings)

    def set_quantity(
        self, sku_or_line: str | int, quantity: Decimal | int | str, lot: str | None = None
    ) -> ScanResult:
        """Set the counted quantity of a line (by SKU or line number) and lot, replacing scans."""
        self._require_open()
        wanted = to_quantity(quantity)
        line = self._line_of(sku_or_line)
        lot_tally = tally(self._scans).get((line.line_no, lot))
        count = CountRow(line.line_no, lot, lot_tally.expiry if lot_tally else None, None, wanted)
        return self._record(SET, None, line.sku, [count], [])

    def undo(self) -> ScanRow | None:
        """Take back the last scan or typed quantity that counted something (None if none)."""
        self._require_open()
        for scan in reversed(self._scans):
            if scan.counts:
                self._queue.undo_scan(scan.id)
                self._scans.remove(scan)
                return scan
        return None

    def receive_input(self, idempotency_key: str) -> dict[str, Any]:
        return receive_input(self.document, self._scans, idempotency_key)

    def post(self) -> PostResult:
        """Queue one receiveGoods for everything counted, then send it (see PdaClient.deliver).

        Sent: the session is done. A transport failure leaves it pending for ``sync``. userErrors
        reopen the session with the server's current document; the scans stay."""
        self._require_open()
        key = str(uuid.uuid4())
        received = self.receive_input(key)
        if not received["lines"]:
            raise PdaError("NOTHING_COUNTED", "nothing counted yet: scan the goods first")
        operation, document = "receiveGoods", RECEIVE_GOODS
        if is_transfer_number(self.document.order_number):
            operation, document = "receiveTransfer", RECEIVE_TRANSFER
            received = transfer_receipt_input(received)
        post = self._queue.add_post(operation=operation, document=document,
                                    variables={"input": received}, idempotency_key=key,
                                    session_id=self.id)
        result = self._client.deliver(post)
        self.refresh()
        return result

    def _require_open(self) -> None:
        if self.status != OPEN:
            raise PdaError("SESSION_CLOSED", f"the receipt of {self.document.scanned} was "
                                             f"already posted ({self.status})")

    def _line_of(self, sku_or_line: str | int) -> ExpectedLine:
        for line in self.document.lines:
            if str(sku_or_line) in (line.sku, str(line.line_no)):
                return line
        raise PdaError(NOT_ON_ORDER, f"{sku_or_line} is not on {self.document.order_number}")

    def _record(self, kind: str, raw: str | None, sku: str | None, counts: list[CountRow],
                warnings: list[ScanWarning]) -> ScanResult:
        lines = {line.line_no: line for line in self.document.lines}
        before = tally(self._scans)
        totals = {line_no: Decimal(0) for line_no in lines}
        for (line_no, _), entry in before.items():
            totals[line_no] += entry.quantity
        changes = []
        for count in counts:
            replaced = before.get((count.line_no, count.lot))
            if count.serial and replaced and count.serial in replaced.serials:
                warnings.append(ScanWarning(DUPLICATE_SERIAL, (
                    f"serial {count.serial} of {lines[count.line_no].sku} was counted "
                    "already: undo if this was a double scan")))
            change = count.quantity - (replaced.quantity if replaced and kind == SET
                                       else Decimal(0))
            totals[count.line_no] += change
            changes.append(change)
        for line_no in dict.fromkeys(count.line_no for count in counts):
            line = lines[line_no]
            if totals[line_no] > line.max_receivable:
                warnings.append(ScanWarning(OVER_RECEIPT, (
                    f"{line.sku}: counted {quantity_text(totals[line_no])}, only "
                    f"{quantity_text(line.max_receivable)} more may be received on line "
                    f"{line_no}")))
        # Written before it counts: a crash after this line loses nothing the user saw.
        row = self._queue.record_scan(self.id, kind=kind, raw=raw, sku=sku,
                                      warnings=[str(w) for w in warnings], counts=counts)
        self._scans.append(row)
        return ScanResult(raw=raw, sku=sku, warnings=tuple(warnings), counts=tuple(
            Counted(lines[c.line_no], c.lot, change, totals[c.line_no])
            for c, change in zip(counts, changes, strict=True)))

    def _pick(self, lines: list[ExpectedLine]) -> ExpectedLine:
        """Of several lines for one product, the first with room left."""
        totals = {line.line.line_no: line.counted for line in self.lines()}
        return next((line for line in lines if totals[line.line_no] < line.max_receivable),
                    lines[0])

    def _resolve(
        self, raw: str
    ) -> tuple[str, str | None, list[CountRow], list[ScanWarning]]:
        try:
            read = read_barcode(raw)
        except BarcodeError as error:
            return SCAN, None, [], [ScanWarning(MALFORMED_BARCODE, str(error))]
        warnings = [ScanWarning(AMBIGUOUS_READ, text) for text in read.warnings]
        if read.sscc:
            pallet = [line for line in self.document.lines if line.sscc == read.sscc]
            if pallet:
                return PALLET, pallet[0].sku, [
                    CountRow(line.line_no, line.lot, line.expiry, None, line.shipped)
                    for line in pallet], warnings
        for key in read_keys(read):
            if key in self._barcodes:
                matches = self._barcodes[key]
                line = self._pick([line for line, _ in matches])
                pack = next(pack for candidate, pack in matches if candidate is line)
                quantity = pack * (read.count or 1)
                return SCAN, line.sku, [
                    CountRow(line.line_no, read.lot, read.expiry, read.serial, quantity)
                ], warnings
        return self._resolve_on_server(raw, read, warnings)

    def _resolve_on_server(
        self, raw: str, read: Gs1Read, warnings: list[ScanWarning]
    ) -> tuple[str, str | None, list[CountRow], list[ScanWarning]]:
        try:
            found = self._client.resolve_barcode(raw)
        except PdaError as error:
            if error.unanswered:
                warnings.append(ScanWarning(UNKNOWN_BARCODE, (
                    f"{raw} is no barcode of {self.document.order_number}'s lines and the "
                    f"server cannot be asked now ({error.code})")))
            else:
                code = error.code if error.code == MALFORMED_BARCODE else UNKNOWN_BARCODE
                warnings.append(ScanWarning(code, error.message))
            return SCAN, None, [], warnings
        seen = {warning.message for warning in warnings}
        warnings += [ScanWarning(AMBIGUOUS_READ, text) for text in found.get("warnings") or ()
                     if text not in seen]
        product = found.get("product")
        if found.get("kind") != "PRODUCT" or not product:
            kind = str(found.get("kind", "unknown")).lower().replace("_", " ")
            warnings.append(ScanWarning(NOT_A_PRODUCT, f"{raw} is a {kind}, not a product "
                                                       f"of {self.document.order_number}"))
            return SCAN, None, [], warnings
        sku = str(product["sku"])
        candidates = [line for line in self.document.lines if line.sku == sku]
        if not candidates:
            warnings.append(ScanWarning(NOT_ON_ORDER, (
                f"{sku} is not on {self.document.order_number}: keep it apart")))
            return SCAN, sku, [], warnings
        line = self._pick(candidates)
        count = Decimal(found["count"]) if found.get("count") else read.count or Decimal(1)
        quantity = Decimal(found.get("packQuantity") or 1) * count
        return SCAN, sku, [CountRow(
            line.line_no, found.get("lot") or read.lot,
            parse_date(found.get("expiry")) or read.expiry, found.get("serial") or read.serial,
            quantity)], warnings
