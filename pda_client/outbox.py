"""Delivering queued mutations: what an answer, or its absence, makes of a post and its session.

A post keeps the idempotency key it was stored with, so sending it again (a retry, a ``sync``
after a restart) can never act twice: the server answers a known key with its first result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
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
    server's current document. Any other GraphQL error: failed, and the session reopens."""
    try:
        data = execute(post.document, post.variables)
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
    if codes and codes <= WAIT_CODES.keys():
        row = queue.finish_attempt(post.id, status=q.PENDING, result=payload,
                                   error="; ".join(WAIT_CODES[code] for code in sorted(codes)))
    elif codes:
        row = queue.finish_attempt(post.id, status=q.CONFLICT, result=payload,
                                   session_status=q.OPEN, session_document=current)
    else:
        row = queue.finish_attempt(post.id, status=q.SENT, result=payload,
                                   session_status=q.POSTED, session_document=current)
    return PostResult.of(row)


def sync(execute: Execute, queue: OfflineQueue) -> list[PostResult]:
    """Send every pending post in the order they were made. When the server cannot be reached
    the rest are reported pending without being tried."""
    pending = queue.posts([q.PENDING])
    reports: list[PostResult] = []
    for index, post in enumerate(pending):
        report = deliver(execute, queue, post)
        reports.append(report)
        if report.unanswered:
            reports += [PostResult.of(rest, unanswered=True) for rest in pending[index + 1:]]
            break
    return reports
