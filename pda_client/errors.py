"""The one exception the handheld client raises, shared by all its modules, the check of
typed quantities that raises it, and how quantities are spelled back."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# The server's answer never arrived (or was not GraphQL): the action may or may not have run.
UNANSWERED_CODES = frozenset({"NETWORK", "TIMEOUT", "SERVER_ERROR", "HTTP_ERROR", "BAD_RESPONSE"})
# Worth sending again at once: the network or the server may be back a moment later.
RETRYABLE_CODES = frozenset({"NETWORK", "TIMEOUT", "SERVER_ERROR"})


class PdaError(Exception):
    """A request failed; ``code`` is stable and machine-readable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message

    @property
    def unanswered(self) -> bool:
        """True when the server may have acted without our hearing back."""
        return self.code in UNANSWERED_CODES

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE_CODES


def to_quantity(value: Decimal | int | str, what: str = "quantity") -> Decimal:
    """A non-negative quantity from what a person typed; anything else is ``INVALID_INPUT``."""
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation:
        raise PdaError("INVALID_INPUT", f"{what} must be a number, not {value!r}") from None
    if not quantity.is_finite() or quantity < 0:
        raise PdaError("INVALID_INPUT", f"{what} must be zero or more, not {value!r}")
    return Decimal(f"{quantity:f}")  # 1E+3 typed is sent as 1000


def quantity_text(quantity: Decimal) -> str:
    """A quantity as people write it: 3, not 3.000 or 3E+0."""
    return f"{quantity.normalize():f}"
