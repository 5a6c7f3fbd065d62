"""CEL conditions stored as data: compiled and checked when saved, evaluated over plain facts.

CEL (the Common Expression Language) is not Turing complete and cannot reach Python objects, so a
business user may edit these rules safely. Numbers are handed to CEL as doubles; money thresholds
compare fine that way, and exact arithmetic stays in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import cel

from server.errors import InvalidInput

_POSITION = re.compile(r"<input>:(\d+):(\d+)")


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled boolean CEL expression."""

    source: str
    program: cel.Program

    def holds(self, facts: Mapping[str, Any]) -> bool:
        return self._checked(self.program.execute(to_cel(facts)))

    def holds_in(self, context: cel.Context) -> bool:
        """Like ``holds``, on facts converted once into a context several conditions share."""
        return self._checked(self.program.execute(context))

    def _checked(self, result: Any) -> bool:
        if not isinstance(result, bool):
            raise InvalidInput(
                f"condition {self.source!r} gave {result!r}, not true or false", field="condition"
            )
        return result


def to_cel(value: Any) -> Any:
    """Plain Python facts → values CEL understands (Decimal → double, dates → ISO strings)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_cel(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_cel(v) for v in value]
    return value


def referenced_names(source: str, names: Iterable[str]) -> frozenset[str]:
    """Which of ``names`` the expression mentions (a name inside a string literal counts too:
    harmless, it only means a fact is converted without need)."""
    return frozenset(name for name in names if re.search(rf"\b{re.escape(name)}\b", source))


def fact_context(facts: Mapping[str, Any]) -> cel.Context:
    """Facts that are already CEL values (numbers, strings, lists of them) converted once, for
    evaluating several conditions on them: converting a list costs about a microsecond per
    element, every time a condition runs on a dict."""
    return cel.Context(variables=dict(facts))


def compile_condition(source: str, sample_facts: Mapping[str, Any], field: str) -> Condition:
    """Compile ``source`` and try it on facts shaped like the real ones, so that a syntax error,
    an unknown name or a non-boolean result is refused when the rule is saved, not when it runs.
    Errors carry the line and column CEL reports."""
    try:
        program = cel.compile(source)
    except ValueError as error:
        raise InvalidInput(_describe(source, error), field=field) from None
    condition = Condition(source, program)
    try:
        condition.holds(sample_facts)
    except (RuntimeError, TypeError, ValueError) as error:
        raise InvalidInput(f"condition {source!r} cannot run: {_first_line(error)}",
                           field=field) from None
    return condition


@lru_cache(maxsize=1024)
def stored_condition(source: str) -> Condition:
    """A condition that passed ``compile_condition`` when it was saved."""
    return Condition(source, cel.compile(source))


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _describe(source: str, error: ValueError) -> str:
    text = str(error)
    position = _POSITION.search(text)
    detail = text.split("Syntax error:", 1)[-1].splitlines()[0].strip() if "Syntax error" in text \
        else _first_line(error)
    if position:
        line, column = position.groups()
        return f"condition {source!r} has a syntax error at line {line}, column {column}: {detail}"
    return f"condition {source!r} is not valid CEL: {detail}"
