"""What an audit entry keeps of a mutation's input, and how its result reads as an outcome."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.audit.rules import TARGET_LIMIT, VALUE_LIMIT, Outcome, describe_target, outcome_of


@dataclass
class Line:
    sku: str
    quantity: str


@dataclass
class OrderInput:
    number: str
    supplier_code: str
    note: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class LoginInput:
    username: str
    password: str


@dataclass
class Problem:
    code: str


@dataclass
class Payload:
    user_errors: list[Problem]


def test_business_keys_of_the_input_are_kept_other_fields_are_not() -> None:
    arguments = {"input": OrderInput("PO-00012", "SUP-1", "rush", [Line("SKU-1", "3")])}
    assert describe_target(arguments) == "input.number=PO-00012 input.supplier_code=SUP-1"


def test_top_level_ids_are_kept() -> None:
    assert describe_target({"id": "42", "version": 3}) == "id=42"


def test_secrets_are_never_stored_even_when_named_like_keys() -> None:
    target = describe_target({"input": LoginInput("anna", "hunter2"), "token_id": "t0k"})
    assert target == "input.username=anna"
    assert "hunter2" not in (target or "")


def test_nothing_to_name_gives_no_target() -> None:
    assert describe_target({"input": {"note": "x"}}) is None


def test_long_values_and_long_targets_are_truncated() -> None:
    assert describe_target({"code": "C" * 200}) == "code=" + "C" * (VALUE_LIMIT - 1) + "…"
    many = {f"item{i}_id": "9" * 60 for i in range(20)}
    target = describe_target(many) or ""
    assert len(target) == TARGET_LIMIT and target.endswith("…")


def test_outcome_reads_user_errors() -> None:
    assert outcome_of(Payload([])) == (Outcome.OK, [])
    refused = Payload([Problem("NOT_FOUND"), Problem("DUPLICATE"), Problem("NOT_FOUND")])
    assert outcome_of(refused) == (Outcome.USER_ERROR, ["DUPLICATE", "NOT_FOUND"])
    assert outcome_of(True) == (Outcome.OK, [])
