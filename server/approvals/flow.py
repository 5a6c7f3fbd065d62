"""Pure approval rules: validating a policy's steps, choosing the steps that apply, and deciding a
step from its approvers' decisions. No database here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.auth import Role
from server.errors import InvalidInput, Problem
from server.expressions import compile_condition, stored_condition


class Mode(StrEnum):
    ALL = "all"  # countersign: every approver must approve
    ANY = "any"  # or-sign: the first approval decides


class StepStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class TaskStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # another approver decided the step or the request first


@dataclass(frozen=True, slots=True)
class StepSpec:
    name: str
    mode: Mode
    condition: str | None = None
    roles: tuple[Role, ...] = ()
    usernames: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "mode": self.mode.value, "condition": self.condition,
                "roles": [r.value for r in self.roles], "usernames": list(self.usernames)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StepSpec:
        return cls(name=data["name"], mode=Mode(data["mode"]), condition=data.get("condition"),
                   roles=tuple(Role(r) for r in data.get("roles", ())),
                   usernames=tuple(data.get("usernames", ())))


def validate_steps(steps: Sequence[StepSpec], sample_facts: Mapping[str, Any]) -> None:
    """Refuse a policy that could not run: no steps, unnamed or duplicate steps, steps with no
    approver, supplier approvers, or a condition that does not compile or is not boolean."""
    problems: list[Problem] = []
    if not steps:
        problems.append(Problem("INVALID_INPUT", "a policy needs at least one step", "steps"))
    seen: set[str] = set()
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not step.name.strip():
            problems.append(Problem("INVALID_INPUT", "a step needs a name", f"{where}.name"))
        elif step.name in seen:
            problems.append(Problem("INVALID_INPUT", f"step name {step.name!r} is used twice",
                                    f"{where}.name"))
        seen.add(step.name)
        if not step.roles and not step.usernames:
            problems.append(Problem("INVALID_INPUT", "a step needs approvers (roles or users)",
                                    f"{where}.approvers"))
        if Role.SUPPLIER in step.roles:
            problems.append(Problem("INVALID_INPUT", "suppliers cannot approve our documents",
                                    f"{where}.roles"))
        if step.condition:
            try:
                compile_condition(step.condition, sample_facts, f"{where}.condition")
            except InvalidInput as error:
                problems.extend(error.problems)
    if problems:
        raise InvalidInput.of(problems)


def applicable_steps(steps: Sequence[StepSpec], facts: Mapping[str, Any]) -> list[int]:
    """Indices of the steps whose condition holds for these facts (no condition = always)."""
    chosen = []
    for index, step in enumerate(steps):
        if step.condition is None or stored_condition(step.condition).holds(facts):
            chosen.append(index)
    return chosen


def step_status(mode: Mode, decisions: Sequence[TaskStatus]) -> StepStatus:
    """A step is rejected by any rejection; approved by one approval (ANY) or by all (ALL)."""
    if TaskStatus.REJECTED in decisions:
        return StepStatus.REJECTED
    approvals = sum(1 for d in decisions if d == TaskStatus.APPROVED)
    if mode == Mode.ANY and approvals >= 1:
        return StepStatus.APPROVED
    open_tasks = sum(1 for d in decisions if d == TaskStatus.PENDING)
    if mode == Mode.ALL and approvals > 0 and open_tasks == 0:
        return StepStatus.APPROVED
    return StepStatus.PENDING
