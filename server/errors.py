"""Domain errors: expected failures with a stable ``code``; the schema maps them to userErrors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request: a stable code, the input field it concerns, a message."""

    code: str
    message: str
    field: str | None = None


class DomainError(Exception):
    """Raised by a use case; the transaction rolls back and the caller gets the problems."""

    code = "INVALID"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = [Problem(code or self.code, message, field)]

    @classmethod
    def of(cls, problems: list[Problem]) -> DomainError:
        error = cls(problems[0].message, field=problems[0].field, code=problems[0].code)
        error.problems = list(problems)
        return error


class InvalidInput(DomainError):
    code = "INVALID_INPUT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Duplicate(DomainError):
    code = "DUPLICATE"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Conflict(DomainError):
    code = "CONFLICT"


class InvalidState(DomainError):
    code = "INVALID_STATE"
