"""Pure rules of the audit log: which input values name a mutation's target, what never gets
stored, and how a mutation's result reads as an outcome."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

# Inputs whose name contains one of these are never stored, whatever else they look like.
SECRET_PARTS = ("password", "token", "secret", "signature", "credential")
# The business keys that say what a mutation was about.
KEY_NAMES = frozenset({"id", "number", "sku", "code", "barcode", "username"})
KEY_SUFFIXES = ("_id", "_number", "_sku", "_code")
VALUE_LIMIT = 64
TARGET_LIMIT = 500
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class Outcome(StrEnum):
    OK = "OK"
    USER_ERROR = "USER_ERROR"
    ERROR = "ERROR"


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_PARTS)


def is_key(name: str) -> bool:
    snake = _CAMEL.sub("_", name).lower()
    return snake in KEY_NAMES or snake.endswith(KEY_SUFFIXES)


def _fields(value: Any) -> Mapping[str, Any] | None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return value
    return None


def _shown(value: Any) -> str | None:
    if value is None or isinstance(value, (list, tuple, set, dict)) or _fields(value) is not None:
        return None
    text = str(value.value if isinstance(value, StrEnum) else value)
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT - 1] + "…"


def _pairs(arguments: Mapping[str, Any], prefix: str, depth: int) -> Iterable[tuple[str, str]]:
    for name, value in arguments.items():
        if is_secret(name):
            continue
        nested = _fields(value)
        if nested is not None:
            if depth > 0:
                yield from _pairs(nested, f"{prefix}{name}.", depth - 1)
            continue
        shown = _shown(value) if is_key(name) else None
        if shown is not None:
            yield f"{prefix}{name}", shown


def describe_target(arguments: Mapping[str, Any]) -> str | None:
    """``input.number=PO-00012 input.supplier_id=3``: the business keys among a mutation's
    arguments and their input objects (one level deep, lists skipped), secrets left out."""
    text = " ".join(f"{name}={value}" for name, value in _pairs(arguments, "", 1))
    if not text:
        return None
    return text if len(text) <= TARGET_LIMIT else text[:TARGET_LIMIT - 1] + "…"


def outcome_of(result: Any) -> tuple[Outcome, list[str]]:
    """A payload with ``user_errors`` was refused with those codes; anything else succeeded."""
    errors = getattr(result, "user_errors", None) or []
    codes = sorted({str(getattr(error, "code", "")) for error in errors})
    return (Outcome.USER_ERROR, codes) if codes else (Outcome.OK, [])
