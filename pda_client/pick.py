"""A picking session: walk a pick list bin by bin and confirm each line once.

The pick list comes from the server (``pickList``) and is kept in the offline queue. Its lines are
walked in their order (the server's walking order); ``current()`` is the first line still to
pick. For it ``scan`` takes first the line's bin, then the product (its EAN/GTIN or GS1 label,
each scan adding the barcode's pack quantity) and, when the line has a lot, a lot label or the
lot a product label carries. Anything else is refused at once, locally, with WRONG_BIN,
WRONG_PRODUCT or WRONG_LOT, and counts nothing. ``confirm`` is never automatic: it queues one
``confirmPick`` for what was picked and reported short, under an idempotency key made once for it,
and sends it (after any earlier confirmation still waiting). When the server cannot be reached the
line waits in the queue and the session moves on; ``sync`` sends it later.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from pda_client import queue as q
from pda_client.documents import gtin_key, read_keys
from pda_client.errors import PdaError, quantity_text, to_quantity
from pda_client.gs1 import BarcodeError, Gs1Read, read_barcode
from pda_client.outbox import PostResult
from pda_client.pick_queue import BIN, LOT, PRODUCT, SET, SHORT, PickSessionRow, PickStore, StepRow
from pda_client.picklists import CONFIRM_PICK, PickLine, PickList
from pda_client.receive import AMBIGUOUS_READ, MALFORMED_BARCODE, ScanWarning

if TYPE_CHECKING:
    from pda_client.client import PdaClient

WRONG_BIN = "WRONG_BIN"
WRONG_PRODUCT = "WRONG_PRODUCT"
WRONG_LOT = "WRONG_LOT"
OVER_PICK = "OVER_PICK"
CONFIRM_PICK_OPERATION = "confirmPick"
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LineProgress:
    """A pick line beside what this session did on it since its last confirmation: the bin
    scanned (``bin_scan``, None until then), units picked, the lot seen on a label, the short
    reported. ``waiting``: a confirmation of it is queued and not answered yet."""

    line: PickLine
    bin_scan: str | None = None
    picked: Decimal = ZERO
    lot_seen: str | None = None
    short: Decimal = ZERO
    short_reason: str | None = None
    product_scans: tuple[str, ...] = ()
    waiting: bool = False

    @property
    def bin(self) -> str:
        return self.line.bin

    @property
    def sku(self) -> str:
        return self.line.sku

    @property
    def lot(self) -> str:
        return self.line.lot

    @property
    def remaining(self) -> Decimal:
        """What the line still asks for (the server's count, before this session's)."""
        return self.line.remaining

    @property
    def left(self) -> Decimal:
        """What is still to pick or report short in this session."""
        return self.remaining - self.picked - self.short

    @property
    def over_pick(self) -> bool:
        return self.left < 0

    @property
    def instruction(self) -> str:
        """What to do now, e.g. ``go to bin WH1-A-01, pick 3 × P1 lot L1``."""
        lot = f" lot {self.lot}" if self.lot else ""
        remaining = quantity_text(self.remaining)
        if self.bin_scan is None:
            return f"go to bin {self.bin}, pick {remaining} × {self.sku}{lot}"
        picked = quantity_text(self.picked)
        short = f", {quantity_text(self.short)} short" if self.short else ""
        if self.left > 0:
            return f"at {self.bin}: scan {self.sku}{lot}, {picked} of {remaining} picked{short}"
        then = "confirm" if self.left == 0 else "too many: undo or type the quantity"
        return f"at {self.bin}: {picked} of {remaining} × {self.sku}{lot} picked{short}: {then}"


@dataclass(frozen=True, slots=True)
class PickScanResult:
    """What one scan or entry did on the current line. ``kind`` is the step recorded (bin,
    product, lot, set, short), None when nothing was; ``refused``: nothing was, and why is in
    ``warnings``. ``progress`` is the line after it."""

    raw: str | None
    kind: str | None
    added: Decimal
    progress: LineProgress
    warnings: tuple[ScanWarning, ...]

    @property
    def refused(self) -> bool:
        return self.kind is None and bool(self.warnings)

    @property
    def warning_codes(self) -> tuple[str, ...]:
        return tuple(warning.code for warning in self.warnings)


def progress_of(line: PickLine, steps: list[StepRow], waiting: bool) -> LineProgress:
    """Replay a line's live steps: product scans add, a typed quantity replaces the count (and
    the scans it names), the last short stands."""
    bin_scan = lot_seen = reason = None
    picked = short = ZERO
    raws: list[str] = []
    for step in steps:
        if step.kind == BIN:
            bin_scan = step.raw
        elif step.kind == PRODUCT and step.quantity is not None:
            picked += step.quantity
            raws.append(step.raw or "")
            lot_seen = step.lot or lot_seen
        elif step.kind == SET and step.quantity is not None:
            picked, raws = step.quantity, []
        elif step.kind == LOT:
            lot_seen = step.lot
        elif step.kind == SHORT and step.quantity is not None:
            short, reason = step.quantity, step.reason
    return LineProgress(line=line, bin_scan=bin_scan, picked=picked, lot_seen=lot_seen,
                        short=short, short_reason=reason,
                        product_scans=tuple(dict.fromkeys(raws)), waiting=waiting)


def confirm_input(progress: LineProgress, pick_list: PickList, key: str) -> dict[str, object]:
    """The ``ConfirmPickInput`` for what the session did on a line. A product counted from one
    barcode only sends that scan (the server checks it again); otherwise its SKU."""
    line = progress.line
    data: dict[str, object] = {
        "pickListNumber": pick_list.number, "lineNo": line.line_no,
        "binBarcode": progress.bin_scan, "quantity": quantity_text(progress.picked),
        "shortQuantity": quantity_text(progress.short), "basedOnVersion": pick_list.version,
        "idempotencyKey": key,
    }
    if progress.picked:
        if len(progress.product_scans) == 1:
            data["productBarcode"] = progress.product_scans[0]
        else:
            data["sku"] = line.sku
    if line.lot:
        data["lot"] = line.lot
    if progress.short:
        data["shortReason"] = progress.short_reason
    return data


class PickingSession:
    """One pick list being picked; made by ``PdaClient.start_picking`` / ``next_pick_task``,
    its state in the queue file, so a restart goes on where it stopped."""

    def __init__(self, client: PdaClient, store: PickStore, row: PickSessionRow) -> None:
        self._client = client
        self._store = store
        self.id = row.id
        self._load(row)

    def _load(self, row: PickSessionRow) -> None:
        self.pick_list = PickList.from_json(row.document)
        self._steps = self._store.live_steps(self.id)
        self._waiting = {int(post.variables["input"]["lineNo"]): post
                         for post in self._store.queue.posts([q.PENDING], subject=row.pick_list)
                         if post.operation == CONFIRM_PICK_OPERATION}

    @property
    def number(self) -> str:
        return self.pick_list.number

    def reload(self) -> None:
        """Read the pick list and steps again from the queue (a sync may have changed them)."""
        self._load(self._store.session(self.id))

    def refresh(self) -> bool:
        """Ask the server for the pick list as it stands; False when it cannot be reached (the
        cached one stays)."""
        try:
            document = self._client.pick_list(self.number)
        except PdaError as error:
            if error.unanswered:
                return False
            raise
        self._load(self._store.open_session(document))
        return True

    def lines(self) -> list[LineProgress]:
        """Every line in walking order, with what this session did on it."""
        return [progress_of(line, [s for s in self._steps if s.line_no == line.line_no],
                            line.line_no in self._waiting)
                for line in self.pick_list.lines]

    def current(self) -> LineProgress | None:
        """The line to pick now: the first one still open that is not waiting for its
        confirmation to be sent; None when there is none."""
        if not self.pick_list.open:
            return None
        return next((p for p in self.lines() if p.line.open and not p.waiting), None)

    def waiting(self) -> list[PostResult]:
        """Confirmations queued and not answered yet, oldest first."""
        return [PostResult.of(post) for post in self._waiting.values()]

    @property
    def finished(self) -> bool:
        """Nothing left to pick here and nothing waiting to be sent."""
        return self.current() is None and not self._waiting

    def scan(self, raw: str) -> PickScanResult:
        """Check one scan against the current line; a wrong one is refused and counts nothing."""
        progress = self._require_current()
        line, text = progress.line, raw.strip()
        if progress.bin_scan is None:
            if text == line.bin:
                return self._record(progress, BIN, text)
            hint = " first" if self._product_read(text, line) else ""
            return self._refuse(progress, text, WRONG_BIN,
                                f"{text} is not the bin: go to bin {line.bin}{hint}")
        if text == line.bin:
            return PickScanResult(text, None, ZERO, progress, ())
        if any(text == other.bin for other in self.pick_list.lines):
            return self._refuse(progress, text, WRONG_BIN,
                                f"{text} is another bin: pick {line.sku} from {line.bin}")
        try:
            read = read_barcode(text)
        except BarcodeError as error:
            return self._refuse(progress, text, MALFORMED_BARCODE, str(error))
        pack = self._product_read(text, line, read)
        if pack is None:
            return self._lot_scan(progress, text, read)
        if line.lot and read.lot and read.lot != line.lot:
            return self._refuse(progress, text, WRONG_LOT,
                                f"lot {read.lot} is not the lot to pick: take lot {line.lot} "
                                f"of {line.sku}")
        warnings = [ScanWarning(AMBIGUOUS_READ, note) for note in read.warnings]
        return self._record(progress, PRODUCT, text, pack * (read.count or 1), lot=read.lot,
                            warnings=warnings)

    def set_quantity(self, quantity: Decimal | int | str) -> PickScanResult:
        """Set the count of the current line, replacing its product scans."""
        progress = self._require_current()
        return self._record(progress, SET, None, to_quantity(quantity))

    def short(self, quantity: Decimal | int | str, reason: str) -> PickScanResult:
        """Report so much of the current line not there (0 takes a short back); confirm sends it."""
        progress = self._require_current()
        amount = to_quantity(quantity, "short quantity")
        if amount and not reason.strip():
            raise PdaError("INVALID_INPUT", "say why the stock is short")
        return self._record(progress, SHORT, None, amount, reason=reason.strip() or None)

    def undo(self) -> StepRow | None:
        """Take back the last step not confirmed yet (None if there is none)."""
        if not self._steps:
            return None
        last = self._steps.pop()
        self._store.undo_step(last.id)
        return last

    def confirm(self) -> PostResult:
        """Queue one confirmPick for the current line and send it. Sent: the pick list comes
        back as it stands now (with any re-pick line a short added). No answer: the line waits
        for ``sync`` and the session moves on. Refused: the line's steps count again and the
        pick list is asked for anew."""
        progress = self._require_current()
        line = progress.line
        if progress.bin_scan is None:
            raise PdaError(WRONG_BIN, f"scan bin {line.bin} first")
        if not progress.picked and not progress.short:
            raise PdaError("NOTHING_PICKED", f"nothing picked or short on line {line.line_no}")
        if progress.over_pick:
            raise PdaError(OVER_PICK, (
                f"{quantity_text(progress.picked + progress.short)} is more than the "
                f"{quantity_text(progress.remaining)} of {line.sku} to pick: undo or type the "
                "quantity"))
        key = str(uuid.uuid4())
        steps = [step for step in self._steps if step.line_no == line.line_no]
        post = self._store.add_confirmation(
            steps, operation=CONFIRM_PICK_OPERATION, document=CONFIRM_PICK,
            variables={"input": confirm_input(progress, self.pick_list, key)},
            idempotency_key=key, subject=self.number)
        result = self._client.deliver_in_order(post)
        answered = (result.payload or {}).get("pickList")
        if result.status != q.PENDING and not answered:
            # The answer is what the caller needs; without the server the cached list stays.
            with contextlib.suppress(PdaError):
                self.refresh()
        self.reload()
        return result

    def _require_current(self) -> LineProgress:
        progress = self.current()
        if progress is None:
            waiting = f"; {len(self._waiting)} confirmation(s) wait to be sent" \
                if self._waiting else ""
            raise PdaError("NOTHING_TO_PICK", f"nothing left to pick on {self.number}{waiting}")
        return progress

    def _product_read(self, text: str, line: PickLine,
                      read: Gs1Read | None = None) -> Decimal | None:
        """The pack quantity of the line's barcode this scan is, None when it is none."""
        if read is None:
            try:
                read = read_barcode(text)
            except BarcodeError:
                return None
        keys = read_keys(read)
        return next((b.pack_quantity for b in line.barcodes if gtin_key(b.barcode) in keys), None)

    def _lot_scan(self, progress: LineProgress, text: str, read: Gs1Read) -> PickScanResult:
        """A scan that is no barcode of the line's product: its lot label, or a wrong product."""
        line = progress.line
        lot = read.lot if read.lot and not read.gtin else None
        if lot is None and line.lot and read.plain == line.lot:
            lot = line.lot
        if lot is None:
            other = next((o.sku for o in self.pick_list.lines
                          if o.sku != line.sku and self._product_read(text, o, read)), None)
            what = f"{other}, not {line.sku}" if other else f"no barcode of {line.sku}"
            return self._refuse(progress, text, WRONG_PRODUCT,
                                f"{text} is {what}: pick {line.sku} from {line.bin}")
        if lot != line.lot:
            wanted = f"lot {line.lot}" if line.lot else "stock without a lot"
            return self._refuse(progress, text, WRONG_LOT,
                                f"lot {lot} is not the lot to pick: take {wanted} of {line.sku}")
        return self._record(progress, LOT, text, lot=lot)

    def _refuse(self, progress: LineProgress, raw: str, code: str,
                message: str) -> PickScanResult:
        return PickScanResult(raw, None, ZERO, progress, (ScanWarning(code, message),))

    def _record(
        self,
        progress: LineProgress,
        kind: str,
        raw: str | None,
        quantity: Decimal | None = None,
        *,
        lot: str | None = None,
        reason: str | None = None,
        warnings: list[ScanWarning] | None = None,
    ) -> PickScanResult:
        line = progress.line
        # Written before it counts: a crash after this line loses nothing the user saw.
        step = self._store.record_step(self.id, line.line_no, kind, raw=raw, quantity=quantity,
                                       lot=lot, reason=reason)
        self._steps.append(step)
        after = progress_of(line, [s for s in self._steps if s.line_no == line.line_no], False)
        found = list(warnings or ())
        if after.over_pick:
            found.append(ScanWarning(OVER_PICK, (
                f"{line.sku}: {quantity_text(after.picked)} picked and "
                f"{quantity_text(after.short)} short, only {quantity_text(after.remaining)} to "
                f"pick on line {line.line_no}")))
        added = after.picked - progress.picked if kind in (PRODUCT, SET) else ZERO
        return PickScanResult(raw, kind, added, after, tuple(found))
