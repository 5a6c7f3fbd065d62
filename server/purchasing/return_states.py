"""The purchase return's life as a pure state machine: which action is allowed in which state."""

from __future__ import annotations

from enum import StrEnum

from server.errors import InvalidState


class ReturnState(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SHIPPED = "shipped"
    REJECTED = "rejected"  # the approval was refused: the held goods are released
    CANCELLED = "cancelled"


class ReturnAction(StrEnum):
    SHIP = "ship"
    CANCEL = "cancel"


S, A = ReturnState, ReturnAction
_ALLOWED: dict[ReturnAction, frozenset[ReturnState]] = {
    A.SHIP: frozenset({S.APPROVED}),
    A.CANCEL: frozenset({S.PENDING_APPROVAL, S.APPROVED}),
}

# States whose lines still hold stock and count against what may be returned.
HOLDING_STATES = frozenset({S.PENDING_APPROVAL, S.APPROVED})
# States whose lines count against what was received from the supplier.
COUNTING_STATES = frozenset({S.PENDING_APPROVAL, S.APPROVED, S.SHIPPED})


def check_allowed(action: ReturnAction, state: ReturnState, number: str) -> None:
    if state not in _ALLOWED[action]:
        allowed = ", ".join(sorted(s.value for s in _ALLOWED[action]))
        raise InvalidState(
            f"cannot {action.value} {number}: it is {state.value} (allowed from: {allowed})",
            field="number",
        )
