"""Approval queries and mutations."""

from __future__ import annotations

import strawberry

from schema.approvals.types import (
    ApprovalPolicy,
    ApprovalPolicyPayload,
    ApprovalTask,
    ApprovalTaskStatus,
    DecideApprovalInput,
    DecideApprovalPayload,
    SetApprovalPolicyInput,
)
from schema.context import Info
from schema.errors import attempt
from server.approvals import flow
from server.approvals import service as approvals
from server.errors import InvalidInput


def _task_id(raw: strawberry.ID) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"not a task id: {raw!r}", field="taskId") from None


@strawberry.type
class ApprovalQuery:
    @strawberry.field(description="Policies per document type, newest version first.")
    async def approval_policies(
        self, info: Info, document_type: str | None = None
    ) -> list[ApprovalPolicy]:
        rows = await approvals.list_policies(info.context.session, info.context.user(),
                                             document_type)
        return [ApprovalPolicy.from_row(row) for row in rows]

    @strawberry.field(description="My approval tasks, pending ones unless a status is given.")
    async def approval_tasks(
        self, info: Info, status: ApprovalTaskStatus | None = flow.TaskStatus.PENDING
    ) -> list[ApprovalTask]:
        rows = await approvals.tasks_of(info.context.session, info.context.user(), status)
        return [ApprovalTask.from_row(task, request) for task, request in rows]


@strawberry.type
class ApprovalMutation:
    @strawberry.mutation(description="Save a new version of a document type's approval policy.")
    async def set_approval_policy(
        self, info: Info, input: SetApprovalPolicyInput
    ) -> ApprovalPolicyPayload:
        steps = [flow.StepSpec(name=s.name, mode=s.mode, condition=s.condition or None,
                               roles=tuple(s.roles), usernames=tuple(s.usernames))
                 for s in input.steps]
        row, errors = await attempt(lambda: approvals.set_policy(
            info.context.db, info.context.user(), input.document_type, steps))
        return ApprovalPolicyPayload(policy=row and ApprovalPolicy.from_row(row),
                                     user_errors=errors)

    @strawberry.mutation(description="Approve or reject one of my tasks (rejecting needs a "
                                     "comment).")
    async def decide_approval(
        self, info: Info, input: DecideApprovalInput
    ) -> DecideApprovalPayload:
        request, errors = await attempt(lambda: approvals.decide(
            info.context.db, info.context.user(), _task_id(input.task_id), input.approve,
            input.comment))
        return DecideApprovalPayload(
            task_id=input.task_id if request else None,
            request_status=request.status if request else None,
            document_number=request.document_number if request else None, user_errors=errors)
