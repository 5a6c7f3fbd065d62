from __future__ import annotations

from decimal import Decimal

import pytest

from server.approvals.flow import (
    Mode,
    StepSpec,
    StepStatus,
    TaskStatus,
    applicable_steps,
    step_status,
    validate_steps,
)
from server.auth import Role
from server.errors import InvalidInput

FACTS = {"amount": Decimal("0"), "supplier": "S1", "category": "", "lines": []}
MANAGER = StepSpec("manager", Mode.ANY, None, (Role.PURCHASE_MANAGER,))
FINANCE = StepSpec("finance", Mode.ALL, "amount >= 50000", (Role.FINANCE_DIRECTOR,))

P, A, R, W = TaskStatus.PENDING, TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.WITHDRAWN


def test_seed_policy_below_threshold_needs_only_the_manager() -> None:
    steps = [MANAGER, FINANCE]
    assert applicable_steps(steps, {**FACTS, "amount": Decimal("30000")}) == [0]
    assert applicable_steps(steps, {**FACTS, "amount": Decimal("49999.99")}) == [0]
    assert applicable_steps(steps, {**FACTS, "amount": Decimal("50000")}) == [0, 1]


@pytest.mark.parametrize(
    ("mode", "decisions", "expected"),
    [
        (Mode.ANY, [P, P, P], StepStatus.PENDING),
        (Mode.ANY, [A, P, P], StepStatus.APPROVED),
        (Mode.ALL, [A, A, P], StepStatus.PENDING),
        (Mode.ALL, [A, A, A], StepStatus.APPROVED),
        (Mode.ALL, [A, R, P], StepStatus.REJECTED),
        (Mode.ANY, [P, R, P], StepStatus.REJECTED),
        (Mode.ANY, [A, W, W], StepStatus.APPROVED),
    ],
)
def test_step_status(mode: Mode, decisions: list[TaskStatus], expected: StepStatus) -> None:
    assert step_status(mode, decisions) is expected


def test_invalid_policies_report_every_problem_with_its_field() -> None:
    steps = [
        StepSpec("", Mode.ANY, None, ()),
        StepSpec("x", Mode.ALL, "amount >=", (Role.FINANCE_DIRECTOR,)),
        StepSpec("x", Mode.ALL, None, (Role.SUPPLIER,)),
    ]
    with pytest.raises(InvalidInput) as caught:
        validate_steps(steps, FACTS)
    fields = {p.field for p in caught.value.problems}
    assert fields == {"steps[0].name", "steps[0].approvers", "steps[1].condition",
                      "steps[2].name", "steps[2].roles"}


def test_valid_policy_passes() -> None:
    validate_steps([MANAGER, FINANCE], FACTS)
