"""A small synchronous GraphQL client for the handheld, over httpx, with an offline queue.

Every failure reaches the caller as a ``PdaError`` with a stable code: the server's own codes
(``UNAUTHENTICATED``, ``FORBIDDEN``, ...) for business errors, and ``NETWORK``, ``TIMEOUT``,
``SERVER_ERROR``, ``HTTP_ERROR`` or ``BAD_RESPONSE`` for transport trouble, so the scanner UI can
react to each. Transport errors and 5xx answers are retried with a short exponential backoff;
that is safe because every mutation carries an idempotency key made once per intended action
and stored in the queue (pda_client.queue) before the first send.
It imports nothing from ``server`` or ``schema``: the GraphQL documents are the whole contract.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from pda_client import outbox, tasks
from pda_client import queue as q
from pda_client.documents import (
    PRODUCTS_PER_QUERY,
    RECEIVING_DOCUMENT,
    SHIP_TRANSFER,
    TRANSFER_DOCUMENT,
    is_transfer_number,
    products_query,
    transfer_document,
)
from pda_client.errors import PdaError
from pda_client.outbox import PostResult, Problem
from pda_client.pick import PickingSession
from pda_client.pick_queue import PickStore
from pda_client.picklists import CONFIRM_SHIPMENT, PICK_LIST, shipment_input
from pda_client.queue import OfflineQueue, PostRow, default_queue_path
from pda_client.receive import ReceivingSession
from pda_client.tasks import WarehouseTask

__all__ = ["Identity", "LoginSession", "PdaClient", "PdaError", "PostResult", "Problem"]

DEFAULT_TIMEOUT = 10.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.25
MAX_BACKOFF = 4.0
# A scan must not stall the scanner: asking the server about an unknown code gets one short try.
RESOLVE_TIMEOUT = 3.0
GRAPHQL_PATH = "/graphql"

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token expiresAt userErrors { code field message } }
}
"""

ME = "query { me { username roles supplierId } }"

RESOLVE_BARCODE = """
query ResolveBarcode($code: String!) {
  resolveBarcode(code: $code) {
    scan {
      raw kind symbology gtin lot expiry serial sscc poNumber count packQuantity warnings
      product { sku name }
      location { code }
    }
    userErrors { code field message }
  }
}
"""


@dataclass(frozen=True, slots=True)
class LoginSession:
    token: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Identity:
    username: str
    roles: tuple[str, ...]
    supplier_id: str | None


def graphql_url(url: str) -> str:
    """Accept the server's base URL or its /graphql endpoint."""
    base = url.rstrip("/")
    return base if base.endswith(GRAPHQL_PATH) else base + GRAPHQL_PATH


def raise_user_errors(user_errors: list[dict[str, Any]]) -> None:
    if user_errors:
        first = user_errors[0]
        raise PdaError(str(first.get("code", "ERROR")), str(first.get("message", "")))


class PdaClient:
    """``PdaClient(url, token=None, *, queue_path=..., timeout=..., retries=...)``.

    ``login`` stores the token it gets for later calls. The offline queue file is opened on
    first use (``queue_path``, else pda_client.queue.default_queue_path())."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        queue_path: Path | str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = graphql_url(url)
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.queue_path = Path(queue_path) if queue_path else default_queue_path()
        self._sleep = sleep
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._queue: OfflineQueue | None = None
        self._picks: PickStore | None = None

    def __enter__(self) -> PdaClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        if self._queue is not None:
            self._queue.close()
            self._queue = self._picks = None

    @property
    def queue(self) -> OfflineQueue:
        if self._queue is None:
            self._queue = OfflineQueue(self.queue_path, self.url)
        return self._queue

    @property
    def picks(self) -> PickStore:
        self._picks = self._picks or PickStore(self.queue)
        return self._picks

    # Transport

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        retries: int | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL operation and return its ``data``; any error raises ``PdaError``.
        Network errors, timeouts and 5xx answers are tried again, ``retries`` times at most."""
        allowed = self.retries if retries is None else retries
        attempt = 0
        while True:
            try:
                return self._execute_once(query, variables, timeout or self.timeout)
            except PdaError as error:
                if not error.retryable or attempt >= allowed:
                    raise
            self._sleep(min(self.backoff * 2**attempt, MAX_BACKOFF))
            attempt += 1

    def _execute_once(
        self, query: str, variables: dict[str, Any] | None, timeout: float
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._http.post(self.url, json={"query": query,
                                                       "variables": variables or {}},
                                       headers=headers, timeout=timeout)
        except httpx.TimeoutException as error:
            message = f"no answer from {self.url} within {timeout}s"
            raise PdaError("TIMEOUT", message) from error
        except httpx.TransportError as error:
            raise PdaError("NETWORK", f"cannot reach {self.url}: {error}") from error
        if response.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
            raise PdaError("SERVER_ERROR", f"{self.url} answered HTTP {response.status_code}")
        body = _json_body(response)
        errors = body.get("errors") if body else None
        if errors:
            first = errors[0]
            code = (first.get("extensions") or {}).get("code", "GRAPHQL_ERROR")
            raise PdaError(str(code), str(first.get("message", "request failed")))
        if response.status_code != httpx.codes.OK:
            raise PdaError("HTTP_ERROR", f"{self.url} answered HTTP {response.status_code}")
        if body is None or not isinstance(body.get("data"), dict):
            raise PdaError("BAD_RESPONSE", f"{self.url} did not answer with GraphQL data")
        data: dict[str, Any] = body["data"]
        return data

    # Identity

    def login(self, username: str, password: str) -> LoginSession:
        """Exchange a password for a session token, kept for this client's next requests."""
        payload = self.execute(LOGIN, {"input": {"username": username, "password": password}})
        result = payload["login"]
        raise_user_errors(result["userErrors"])
        self.token = result["token"]
        expires_at = result.get("expiresAt")
        return LoginSession(
            token=result["token"],
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        )

    def me(self) -> Identity:
        """Who the current token belongs to."""
        me = self.execute(ME)["me"]
        return Identity(username=me["username"], roles=tuple(me["roles"]),
                        supplier_id=me.get("supplierId"))

    # Receiving

    def start_receiving(self, document_barcode: str) -> ReceivingSession:
        """The receiving session for a scanned PO, ASN or pallet: the open one for that code if
        the queue holds one (its document refreshed when the server answers), else a new one."""
        code = document_barcode.strip()
        existing = self.queue.open_sessions(code)
        try:
            document = self.receiving_document(code)
        except PdaError as error:
            if existing and error.unanswered:
                return ReceivingSession(self, self.queue, existing[-1])
            raise
        if existing:
            self.queue.update_document(existing[-1].id, document)
            return ReceivingSession(self, self.queue, self.queue.session(existing[-1].id))
        return ReceivingSession(self, self.queue, self.queue.open_session(code, document))

    def receiving_sessions(self) -> list[ReceivingSession]:
        """Sessions left open (e.g. by ``quit`` or a crash), oldest first."""
        return [ReceivingSession(self, self.queue, row) for row in self.queue.open_sessions()]

    def receiving_document(self, code: str) -> dict[str, Any]:
        if is_transfer_number(code):
            return self._transfer_document(code)
        document = self.execute(RECEIVING_DOCUMENT, {"code": code})["receivingDocument"]
        if document is None:
            raise PdaError("NOT_FOUND", f"no purchase order, shipping notice or pallet {code}")
        result: dict[str, Any] = document
        return result

    def _transfer_document(self, number: str) -> dict[str, Any]:
        """A transfer arriving here, with its products' barcodes, shaped as a receiving
        document; ``receiveTransfer`` posts what is counted against it."""
        transfer = self.execute(TRANSFER_DOCUMENT, {"number": number})["transfer"]
        if transfer is None:
            raise PdaError("NOT_FOUND", f"no transfer {number}")
        skus = sorted({line["sku"] for line in transfer["lines"]})
        products: dict[str, dict[str, Any]] = {}
        for start in range(0, len(skus), PRODUCTS_PER_QUERY):
            chunk = skus[start:start + PRODUCTS_PER_QUERY]
            found = self.execute(products_query(chunk))
            products.update({sku: found[f"p{index}"] or {} for index, sku in enumerate(chunk)})
        return transfer_document(number, transfer, products)

    def resolve_barcode(self, code: str) -> dict[str, Any]:
        """What the server makes of a scan (one short try); its userErrors raise PdaError."""
        payload = self.execute(RESOLVE_BARCODE, {"code": code}, retries=0,
                               timeout=min(self.timeout, RESOLVE_TIMEOUT))["resolveBarcode"]
        raise_user_errors(payload["userErrors"])
        scan: dict[str, Any] = payload["scan"]
        return scan

    # Quality inspection and putaway

    def tasks(
        self, warehouse_code: str, kinds: Sequence[str] | None = None
    ) -> list[WarehouseTask]:
        """The warehouse's open tasks (QC, PUTAWAY or both), oldest first, every page."""
        return self._open_tasks(warehouse_code, tasks.task_kinds(kinds))

    def _open_tasks(self, warehouse_code: str, kinds: list[str] | None) -> list[WarehouseTask]:
        found: list[WarehouseTask] = []
        after: str | None = None
        while True:
            page = self.execute(tasks.WAREHOUSE_TASKS, {
                "warehouseCode": warehouse_code, "kinds": kinds, "first": tasks.PAGE_SIZE,
                "after": after,
            })["warehouseTasks"]
            found += [WarehouseTask.from_json(edge["node"]) for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    def record_inspection(
        self,
        task_id: str,
        accepted: Decimal | int | str = 0,
        rejected: Decimal | int | str = 0,
        result: str = "PASS",
        notes: str = "",
        *,
        reject_location_code: str | None = None,
    ) -> PostResult:
        key = str(uuid.uuid4())
        variables = {"input": tasks.inspection_input(task_id, accepted, rejected, result, notes,
                                                     reject_location_code, key)}
        return self.submit("recordInspection", tasks.RECORD_INSPECTION, variables, key)

    def putaway(
        self,
        sku: str,
        from_location: str,
        to_location_barcode: str,
        quantity: Decimal | int | str,
        lot: str | None = None,
        *,
        warehouse_code: str | None = None,
    ) -> PostResult:
        key = str(uuid.uuid4())
        variables = {"input": tasks.putaway_input(sku, from_location, to_location_barcode,
                                                  quantity, lot, warehouse_code, key)}
        return self.submit("putaway", tasks.PUTAWAY, variables, key)

    # Picking and shipping

    def start_picking(self, pick_list_barcode: str) -> PickingSession:
        """The picking session of a scanned pick list, holding the list as the server has it
        now; when the server cannot be reached, as the queue kept it."""
        number = pick_list_barcode.strip()
        try:
            document = self.pick_list(number)
        except PdaError as error:
            cached = self.picks.session_of(number)
            if cached is not None and error.unanswered:
                return PickingSession(self, self.picks, cached)
            raise
        return PickingSession(self, self.picks, self.picks.open_session(document))

    def next_pick_task(self, warehouse_code: str) -> PickingSession | None:
        """The session of the pick list of the oldest open PICK task that has something left
        to pick here (lines waiting to be sent do not count); None when there is none."""
        for number in dict.fromkeys(task.document_number
                                    for task in self._open_tasks(warehouse_code, ["PICK"])):
            session = self.start_picking(number)
            if session.current() is not None:
                return session
        return None

    def picking_sessions(self) -> list[PickingSession]:
        """Sessions with something left to pick or confirmations waiting, oldest first."""
        found = [PickingSession(self, self.picks, row) for row in self.picks.sessions()]
        return [session for session in found if not session.finished]

    def pick_list(self, number: str) -> dict[str, Any]:
        found: dict[str, Any] | None = self.execute(PICK_LIST, {"number": number})["pickList"]
        if found is None:
            raise PdaError("NOT_FOUND", f"no pick list {number}")
        return found

    def confirm_shipment(self, pick_list_number: str, carrier: str, tracking_number: str, *,
                         based_on_version: int | None = None) -> PostResult:
        """Queue and send confirmShipment, after any confirmation of the list still waiting."""
        key = str(uuid.uuid4())
        data = shipment_input(pick_list_number, carrier, tracking_number, based_on_version, key)
        post = self.queue.add_post(operation="confirmShipment", document=CONFIRM_SHIPMENT,
                                   variables={"input": data}, idempotency_key=key,
                                   subject=data["pickListNumber"])
        return self.deliver_in_order(post)

    def ship_transfer(self, transfer_number: str) -> PostResult:
        """Queue and send shipTransfer, after any pick of the transfer still waiting: its
        picked goods leave the source and travel to the destination."""
        key = str(uuid.uuid4())
        number = transfer_number.strip()
        post = self.queue.add_post(
            operation="shipTransfer", document=SHIP_TRANSFER,
            variables={"input": {"transferNumber": number, "idempotencyKey": key}},
            idempotency_key=key, subject=number)
        return self.deliver_in_order(post)

    # The queue: submit, deliver, sync

    def submit(
        self, operation: str, document: str, variables: dict[str, Any], idempotency_key: str
    ) -> PostResult:
        """Store a mutation as pending, then send it (see ``deliver``)."""
        post = self.queue.add_post(operation=operation, document=document, variables=variables,
                                   idempotency_key=idempotency_key)
        return self.deliver(post)

    def deliver(self, post: PostRow) -> PostResult:
        """Send one queued mutation (with retries) and record how it ended (see outbox)."""
        return outbox.deliver(self.execute, self.queue, post)

    def deliver_in_order(self, post: PostRow) -> PostResult:
        """``deliver`` after the posts about the same subject still pending (see outbox)."""
        return outbox.deliver_in_order(self.execute, self.queue, post)

    def sync(self) -> list[PostResult]:
        """Send every pending post in the order they were made, each under its own key. When
        the server cannot be reached the rest are reported pending without being tried."""
        return outbox.sync(self.execute, self.queue)

    def pending_count(self) -> int:
        return self.queue.pending_count()

    def outbox(self, statuses: Sequence[str] = (q.PENDING,)) -> list[PostResult]:
        """The queued posts in any of ``statuses`` (pending, sent, conflict, failed), oldest
        first."""
        return [PostResult.of(post) for post in self.queue.posts(statuses)]


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
