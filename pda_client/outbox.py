"""Delivering queued mutations: what an answer, or its absence, makes of a post and its session.

A post keeps the idempotency key it was stored with, so sending it again (a retry, a ``sync``
after a restart) can never act twice: the server answers a known key with its first result.

Posts about one subject (a pick list) go out in the order they were made, never past an earlier
one still pending; and a post queued behind this device's own earlier posts about it is sent
based on the version those left (see ``_rebased``), not refused as stale because of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pda_client import queue as q
from pda_client.errors import PdaError
from pda_client.queue import OfflineQueue, PostRow

Execute = Callable[[str, dict[str, Any]], dict[str, Any]]

_LINE_FIELD = re.compile(r"lines\D*(\d+)")
# userErrors that say "not now" rather than "no": the post stays pending for a later sync.
WAIT_CODES = {
    "CONFLICT": "the server is still working on this action (CONFLICT); sync again",
    "UNAUTHENTICATED": "not logged in or the login expired (UNAUTHENTICATED); log in, then sync",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One userError of a refused post; ``line`` is the input line it names, if it names one."""

    code: str
    message: str
    field: str | None
    line: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class PostResult:
    """Where one queued action stands: ``pending`` (not answered yet), ``sent``, ``conflict``
    (userErrors, see ``problems``) or ``failed`` (refused for another reason, see ``error``).
    ``unanswered``: the last try got no answer from the server."""

    post_id: int
    operation: str
    idempotency_key: str
    status: str
    payload: dict[str, Any] | None
    problems: tuple[Problem, ...]
    error: str | None
    attempts: int
    unanswered: bool = False

    @property
    def receipt_number(self) -> str | None:
        receipt = (self.payload or {}).get("receipt")
        return receipt.get("number") if isinstance(receipt, dict) else None

    @property
    def shipment_number(self) -> str | None:
        shipment = (self.payload or {}).get("shipment")
        return shipment.get("number") if isinstance(shipment, dict) else None

    @classmethod
    def of(cls, post: PostRow, *, unanswered: bool = False) -> PostResult:
        payload = post.result
        lines = ((post.variables.get("input") or {}).get("lines")) or []
        problems = []
        for error in (payload or {}).get("userErrors") or ():
            match = _LINE_FIELD.search(error.get("field") or "")
            index = int(match.group(1)) if match else None
            problems.append(Problem(
                code=str(error.get("code")), message=str(error.get("message", "")),
                field=error.get("field"),
                line=lines[index] if index is not None and index < len(lines) else None,
            ))
        return cls(post_id=post.id, operation=post.operation,
                   idempotency_key=post.idempotency_key, status=post.status, payload=payload,
                   problems=tuple(problems), error=post.last_error, attempts=post.attempts,
                   unanswered=unanswered)


def deliver(execute: Execute, queue: OfflineQueue, post: PostRow) -> PostResult:
    """Send one queued mutation and record how it ended.

    No answer, an expired login or ``CONFLICT`` (the server is still running the same key):
    stays pending for ``sync``. userErrors: conflict, and a receiving session reopens with the
    server's current document. Any other GraphQL error: failed, and the session reopens.
    A pick list in the answer is kept by its picking session."""
    try:
        data = execute(post.document, _rebased(queue, post))
    except PdaError as error:
        if error.unanswered or error.code == "UNAUTHENTICATED":
            row = queue.finish_attempt(post.id, status=q.PENDING, error=str(error))
            return PostResult.of(row, unanswered=error.unanswered)
        row = queue.finish_attempt(post.id, status=q.FAILED, error=str(error),
                                   session_status=q.OPEN)
        return PostResult.of(row)
    payload = data.get(post.operation)
    if not isinstance(payload, dict):
        row = queue.finish_attempt(post.id, status=q.PENDING,
                                   error=f"the answer lacks {post.operation}")
        return PostResult.of(row, unanswered=True)
    codes = {str(error.get("code")) for error in payload.get("userErrors") or ()}
    current = payload.get("current")
    pick_list = payload.get("pickList") if isinstance(payload.get("pickList"), dict) else None
    if codes and codes <= WAIT_CODES.keys():
        row = queue.finish_attempt(post.id, status=q.PENDING, result=payload,
                                   error="; ".join(WAIT_CODES[code] for code in sorted(codes)))
    elif codes:
        row = queue.finish_attempt(post.id, status=q.CONFLICT, result=payload,
                                   session_status=q.OPEN, session_document=current,
                                   pick_list=pick_list)
    else:
        row = queue.finish_attempt(post.id, status=q.SENT, result=payload,
                                   session_status=q.POSTED, session_document=current,
                                   pick_list=pick_list)
    return PostResult.of(row)


def deliver_in_order(execute: Execute, queue: OfflineQueue, post: PostRow) -> PostResult:
    """``deliver``, after the pending posts about the same subject made before it; while one of
    those stays pending, ``post`` waits untried."""
    if post.subject is not None:
        for earlier in queue.posts([q.PENDING], subject=post.subject):
            if earlier.id >= post.id:
                break
            report = deliver(execute, queue, earlier)
            if report.status == q.PENDING:
                return _behind(queue.post(post.id), report)
    return deliver(execute, queue, post)


def sync(execute: Execute, queue: OfflineQueue) -> list[PostResult]:
    """Send every pending post in the order they were made. When the server cannot be reached
    the rest are reported pending without being tried; so is a post about a subject whose
    earlier post stayed pending."""
    pending = queue.posts([q.PENDING])
    reports: list[PostResult] = []
    blocking: dict[str, PostResult] = {}
    for index, post in enumerate(pending):
        if post.subject in blocking:
            reports.append(_behind(post, blocking[post.subject]))
            continue
        report = deliver(execute, queue, post)
        reports.append(report)
        if report.unanswered:
            reports += [PostResult.of(rest, unanswered=True) for rest in pending[index + 1:]]
            break
        if post.subject is not None and report.status == q.PENDING:
            blocking[post.subject] = report
    return reports


def _behind(post: PostRow, earlier: PostResult) -> PostResult:
    reason = f": {earlier.error}" if earlier.error else ""
    return replace(PostResult.of(post, unanswered=earlier.unanswered),
                   error=f"waits for #{earlier.post_id}, still pending{reason}")


def _rebased(queue: OfflineQueue, post: PostRow) -> dict[str, Any]:
    """The post's variables, with ``basedOnVersion`` moved past this device's own earlier posts
    about the same subject: one made on the same version and since accepted left the version
    its answer names. A post about a subject is first sent once every earlier one about it
    was answered for good, so every try of it sends the same thing."""
    data = post.variables.get("input") or {}
    base = data.get("basedOnVersion")
    if post.subject is None or base is None:
        return post.variables
    for earlier in reversed(queue.posts([q.SENT], subject=post.subject)):
        version = ((earlier.result or {}).get("pickList") or {}).get("version")
        same_base = (earlier.variables.get("input") or {}).get("basedOnVersion") == base
        if earlier.id < post.id and same_base and version is not None:
            return {**post.variables, "input": {**data, "basedOnVersion": version}}
    return post.variables
