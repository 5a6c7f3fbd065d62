"""Approval policies, steps and tasks as the API shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from schema.auth import Role
from schema.context import Info
from schema.errors import UserError
from server.approvals import flow
from server.approvals.models import ApprovalPolicy as PolicyRow
from server.approvals.models import ApprovalRequest as RequestRow
from server.approvals.models import ApprovalTask as TaskRow

ApprovalMode = strawberry.enum(flow.Mode, name="ApprovalMode")
ApprovalTaskStatus = strawberry.enum(flow.TaskStatus, name="ApprovalTaskStatus")


@strawberry.type(description="One step of a policy: who approves, how, and when it applies.")
class ApprovalStep:
    name: str
    mode: ApprovalMode = strawberry.field(
        description="ALL: countersign (会签), every approver must approve; ANY: or-sign (或签), "
                    "the first approval decides.")
    condition: str | None = strawberry.field(
        description="CEL over the document (amount, supplier, warehouse, currency, category, "
                    "categories, lines); the step is skipped when it is false. None: always.")
    roles: list[Role]
    usernames: list[str]

    @classmethod
    def of(cls, spec: flow.StepSpec) -> ApprovalStep:
        return cls(name=spec.name, mode=spec.mode, condition=spec.condition,
                   roles=list(spec.roles), usernames=list(spec.usernames))


@strawberry.type
class ApprovalPolicy:
    id: strawberry.ID
    document_type: str
    version: int
    steps: list[ApprovalStep]
    created_at: datetime

    @classmethod
    def from_row(cls, row: PolicyRow) -> ApprovalPolicy:
        return cls(id=strawberry.ID(str(row.id)), document_type=row.document_type,
                   version=row.version, created_at=row.created_at,
                   steps=[ApprovalStep.of(flow.StepSpec.from_json(s)) for s in row.steps])


@strawberry.type(description="One approver's part in one step, and the decision taken.")
class ApprovalTask:
    id: strawberry.ID
    step_name: str
    mode: ApprovalMode
    status: ApprovalTaskStatus
    comment: str | None
    created_at: datetime
    decided_at: datetime | None
    document_type: str | None
    document_number: str | None
    facts: JSON | None = strawberry.field(description="The document as the conditions saw it.")
    approver_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: TaskRow, request: RequestRow | None = None) -> ApprovalTask:
        return cls(
            id=strawberry.ID(str(row.id)), step_name=row.step_name, mode=flow.Mode(row.mode),
            status=flow.TaskStatus(row.status), comment=row.comment, created_at=row.created_at,
            decided_at=row.decided_at, approver_id=row.approver_id,
            document_type=request.document_type if request else None,
            document_number=request.document_number if request else None,
            facts=request.facts if request else None,
        )

    @strawberry.field
    async def approver(self, info: Info) -> str:
        user = await info.context.loaders.user.load(self.approver_id)
        return user.username if user else ""


@strawberry.input
class ApprovalStepInput:
    name: str
    mode: ApprovalMode
    condition: str | None = None
    roles: list[Role] = strawberry.field(default_factory=list)
    usernames: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class SetApprovalPolicyInput:
    document_type: str = strawberry.field(description="e.g. PURCHASE_ORDER")
    steps: list[ApprovalStepInput]


@strawberry.input
class DecideApprovalInput:
    task_id: strawberry.ID
    approve: bool
    comment: str | None = None


@strawberry.type
class ApprovalPolicyPayload:
    policy: ApprovalPolicy | None
    user_errors: list[UserError]


@strawberry.type
class DecideApprovalPayload:
    task_id: strawberry.ID | None
    request_status: str | None = strawberry.field(
        description="pending, approved or rejected after this decision.")
    document_number: str | None
    user_errors: list[UserError]
