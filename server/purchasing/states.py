"""The purchase order's life as a pure state machine: which action is allowed in which state."""

from __future__ import annotations

from enum import StrEnum

from server.errors import InvalidState


class PoState(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SENT = "sent"
    CONFIRMED = "confirmed"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class PoAction(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    SEND = "send"
    CONFIRM = "confirm"
    SHIP = "ship"
    RECEIVE = "receive"
    CLOSE = "close"
    CANCEL = "cancel"
    DECLINE = "decline"  # the supplier cannot deliver; the purchaser revises or cancels


S, A = PoState, PoAction
# Where an action may start from. Receiving and shipping stay open until every line is done;
# editing after approval is allowed and may send the order back through approval.
_ALLOWED: dict[PoAction, frozenset[PoState]] = {
    A.EDIT: frozenset({S.DRAFT, S.REJECTED, S.APPROVED, S.SENT, S.CONFIRMED}),
    A.SUBMIT: frozenset({S.DRAFT, S.REJECTED}),
    A.APPROVE: frozenset({S.PENDING_APPROVAL}),
    A.REJECT: frozenset({S.PENDING_APPROVAL}),
    A.SEND: frozenset({S.APPROVED}),
    A.CONFIRM: frozenset({S.SENT, S.CONFIRMED}),
    A.SHIP: frozenset({S.SENT, S.CONFIRMED, S.PARTIALLY_RECEIVED}),
    # Received orders still take what the supplier's tolerance allows.
    A.RECEIVE: frozenset({S.SENT, S.CONFIRMED, S.PARTIALLY_RECEIVED, S.RECEIVED}),
    A.CLOSE: frozenset({S.PARTIALLY_RECEIVED, S.RECEIVED, S.CONFIRMED, S.SENT}),
    A.DECLINE: frozenset({S.SENT}),
    A.CANCEL: frozenset({S.DRAFT, S.PENDING_APPROVAL, S.REJECTED, S.APPROVED, S.SENT,
                         S.CONFIRMED}),
}

# States in which the order's quantities count as stock on order.
ON_ORDER_STATES = frozenset({S.APPROVED, S.SENT, S.CONFIRMED, S.PARTIALLY_RECEIVED})


def check_allowed(action: PoAction, state: PoState, number: str) -> None:
    if state not in _ALLOWED[action]:
        allowed = ", ".join(sorted(s.value for s in _ALLOWED[action]))
        raise InvalidState(
            f"cannot {action.value} {number}: it is {state.value} (allowed from: {allowed})",
            field="number",
        )


def is_allowed(action: PoAction, state: PoState) -> bool:
    return state in _ALLOWED[action]
