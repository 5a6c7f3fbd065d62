"""Approval use cases. Areas that need approval register their document kind; starting a request
runs inside the submitting area's transaction, and a final decision calls the area back in the
deciding transaction, so the document's state and the approval never disagree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.approvals.flow import (
    Mode,
    StepSpec,
    StepStatus,
    TaskStatus,
    applicable_steps,
    step_status,
    validate_steps,
)
from server.approvals.models import ApprovalPolicy, ApprovalRequest, ApprovalTask
from server.auth import Principal, Role, User, UserRole
from server.db import Database, utcnow
from server.errors import DomainError, Forbidden, InvalidInput, InvalidState, NotFound
from server.events import record_event
from server.expressions import to_cel

POLICY_EDITORS = (Role.ADMIN,)


class RequestStatus:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OnDecided = Callable[[AsyncSession, ApprovalRequest, Principal], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DocumentKind:
    """What approvals need to know of a document type: facts shaped like the real ones (to check
    conditions when a policy is saved) and the callback for a final decision."""

    document_type: str
    sample_facts: Mapping[str, Any]
    on_decided: OnDecided


_kinds: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> None:
    _kinds[kind.document_type] = kind


def _kind(document_type: str) -> DocumentKind:
    kind = _kinds.get(document_type)
    if kind is None:
        known = ", ".join(sorted(_kinds)) or "none"
        raise InvalidInput(f"unknown document type {document_type!r} (known: {known})",
                           field="documentType")
    return kind


async def set_policy(
    db: Database, principal: Principal, document_type: str, steps: Sequence[StepSpec]
) -> ApprovalPolicy:
    """Save a new version of a document type's policy; running requests keep their version."""
    principal.require(*POLICY_EDITORS)
    kind = _kind(document_type)
    validate_steps(steps, kind.sample_facts)
    async with db.transaction() as session:
        latest = await session.scalar(
            select(func.max(ApprovalPolicy.version)).where(
                ApprovalPolicy.document_type == document_type)
        )
        policy = ApprovalPolicy(document_type=document_type, version=(latest or 0) + 1,
                                steps=[s.as_json() for s in steps],
                                created_by_id=principal.user_id)
        session.add(policy)
        await session.flush()
        return policy


async def current_policy(session: AsyncSession, document_type: str) -> ApprovalPolicy | None:
    return await session.scalar(
        select(ApprovalPolicy).where(ApprovalPolicy.document_type == document_type)
        .order_by(ApprovalPolicy.version.desc()).limit(1)
    )


async def list_policies(
    session: AsyncSession, principal: Principal, document_type: str | None
) -> list[ApprovalPolicy]:
    principal.require_internal()
    stmt = select(ApprovalPolicy).order_by(ApprovalPolicy.document_type,
                                           ApprovalPolicy.version.desc())
    if document_type is not None:
        stmt = stmt.where(ApprovalPolicy.document_type == document_type)
    return list(await session.scalars(stmt))


async def start(
    session: AsyncSession,
    document_type: str,
    document_id: int,
    document_number: str,
    facts: Mapping[str, Any],
    requester: Principal,
) -> ApprovalRequest:
    """Open a request under the policy in force. With no policy or no step applying, the request
    is approved at once (the caller sees ``status == approved``)."""
    policy = await current_policy(session, document_type)
    steps = _steps(policy)
    chosen = applicable_steps(steps, facts)
    request = ApprovalRequest(
        document_type=document_type, document_id=document_id, document_number=document_number,
        policy_id=policy.id if policy else None, facts=to_cel(facts), step_indices=chosen,
        current_position=0, requested_by_id=requester.user_id,
        status=RequestStatus.PENDING if chosen else RequestStatus.APPROVED,
        decided_at=None if chosen else utcnow(),
    )
    session.add(request)
    await session.flush()
    if chosen:
        await _open_step(session, request, steps)
    return request


async def withdraw(session: AsyncSession, document_type: str, document_id: int) -> None:
    """Close a document's pending request (the document was cancelled or taken back to draft)."""
    pending = await session.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.document_type == document_type,
            ApprovalRequest.document_id == document_id,
            ApprovalRequest.status == RequestStatus.PENDING,
        ).with_for_update()
    )
    for request in pending:
        request.status = RequestStatus.WITHDRAWN
        request.decided_at = utcnow()
        await _close_open_tasks(session, request)


async def decide(
    db: Database, principal: Principal, task_id: int, approve: bool, comment: str | None
) -> ApprovalRequest:
    """Record one approver's decision. A rejection rejects the whole request (a comment is
    required); an approval completes the step by its mode and opens the next step, or approves
    the request when no step is left."""
    if not approve and not (comment or "").strip():
        raise InvalidInput("say why you reject: a comment is required", field="comment")
    async with db.transaction() as session:
        task = await session.scalar(
            select(ApprovalTask).where(ApprovalTask.id == task_id).with_for_update()
        )
        if task is None or task.approver_id != principal.user_id:
            raise NotFound(f"no approval task {task_id} of yours", field="taskId")
        request = await session.scalar(
            select(ApprovalRequest).where(ApprovalRequest.id == task.request_id).with_for_update()
        )
        assert request is not None
        if task.status != TaskStatus.PENDING or request.status != RequestStatus.PENDING:
            raise InvalidState(f"task {task_id} is already {task.status}", field="taskId")
        if request.requested_by_id == principal.user_id:
            raise Forbidden("you cannot approve your own request", field="taskId")
        task.status = TaskStatus.APPROVED if approve else TaskStatus.REJECTED
        task.comment = comment
        task.decided_at = utcnow()
        await _task_event(session, request, task, "APPROVAL_TASK_CLOSED")
        await _advance(session, request, task, principal)
        await session.flush()
        return request


async def _advance(
    session: AsyncSession, request: ApprovalRequest, task: ApprovalTask, principal: Principal
) -> None:
    step_tasks = list(await session.scalars(
        select(ApprovalTask).where(ApprovalTask.request_id == request.id,
                                   ApprovalTask.step_index == task.step_index)
    ))
    outcome = step_status(Mode(task.mode), [TaskStatus(t.status) for t in step_tasks])
    if outcome is StepStatus.PENDING:
        return
    await _close_open_tasks(session, request)
    if outcome is StepStatus.REJECTED:
        request.status = RequestStatus.REJECTED
        request.comment = task.comment
    else:
        request.current_position += 1
        if request.current_position < len(request.step_indices):
            policy = await session.get(ApprovalPolicy, request.policy_id)
            await _open_step(session, request, _steps(policy))
            return
        request.status = RequestStatus.APPROVED
    request.decided_at = utcnow()
    await record_event(
        session, topic="approval", kind="APPROVAL_REQUEST_DECIDED",
        document_type=request.document_type, document_number=request.document_number,
        payload={"requestId": request.id, "status": request.status, "comment": request.comment},
    )
    await _kind(request.document_type).on_decided(session, request, principal)


def _steps(policy: ApprovalPolicy | None) -> list[StepSpec]:
    return [StepSpec.from_json(step) for step in policy.steps] if policy else []


async def _open_step(
    session: AsyncSession, request: ApprovalRequest, steps: Sequence[StepSpec]
) -> None:
    index = request.step_indices[request.current_position]
    step = steps[index]
    approvers = await _approvers(session, step, exclude_user_id=request.requested_by_id)
    if not approvers:
        raise DomainError(
            f"step {step.name!r} has no approver other than the requester",
            code="NO_APPROVER",
        )
    for user in approvers:
        task = ApprovalTask(request_id=request.id, step_index=index, step_name=step.name,
                            mode=step.mode.value, approver_id=user.id,
                            status=TaskStatus.PENDING)
        session.add(task)
        await session.flush()
        await _task_event(session, request, task, "APPROVAL_TASK_CREATED", user.username)


async def _approvers(
    session: AsyncSession, step: StepSpec, exclude_user_id: int
) -> list[User]:
    by_role = select(UserRole.user_id).where(UserRole.role.in_([r.value for r in step.roles]))
    stmt = select(User).where(
        User.active.is_(True), User.id != exclude_user_id,
        (User.id.in_(by_role)) | (User.username.in_(step.usernames)),
    ).order_by(User.id)
    return list(await session.scalars(stmt))


async def _close_open_tasks(session: AsyncSession, request: ApprovalRequest) -> None:
    open_tasks = await session.scalars(
        select(ApprovalTask).where(ApprovalTask.request_id == request.id,
                                   ApprovalTask.status == TaskStatus.PENDING)
    )
    for task in open_tasks:
        task.status = TaskStatus.WITHDRAWN
        task.decided_at = utcnow()
        await _task_event(session, request, task, "APPROVAL_TASK_CLOSED")


async def _task_event(
    session: AsyncSession, request: ApprovalRequest, task: ApprovalTask, kind: str,
    approver_username: str | None = None,
) -> None:
    await record_event(
        session, topic="approval", kind=kind,
        document_type=request.document_type, document_number=request.document_number,
        payload={"taskId": task.id, "requestId": request.id, "approverId": task.approver_id,
                 "approver": approver_username, "stepName": task.step_name, "mode": task.mode,
                 "status": task.status, "facts": request.facts},
    )


async def tasks_of(
    session: AsyncSession, principal: Principal, status: TaskStatus | None = TaskStatus.PENDING
) -> list[tuple[ApprovalTask, ApprovalRequest]]:
    """The caller's own tasks with their requests, oldest first."""
    principal.require_internal()
    stmt = (select(ApprovalTask, ApprovalRequest)
            .join(ApprovalRequest, ApprovalRequest.id == ApprovalTask.request_id)
            .where(ApprovalTask.approver_id == principal.user_id)
            .order_by(ApprovalTask.id))
    if status is not None:
        stmt = stmt.where(ApprovalTask.status == status.value)
    return [(task, request) for task, request in (await session.execute(stmt)).all()]


async def trails_by_document_ids(
    session: AsyncSession, document_type: str, document_ids: Sequence[int]
) -> list[list[ApprovalTask]]:
    """Every task of every request of each document: the audit trail (who, when, comment)."""
    stmt = (select(ApprovalRequest.document_id, ApprovalTask)
            .join(ApprovalRequest, ApprovalRequest.id == ApprovalTask.request_id)
            .where(ApprovalRequest.document_type == document_type,
                   ApprovalRequest.document_id.in_(document_ids))
            .order_by(ApprovalTask.id))
    grouped: dict[int, list[ApprovalTask]] = defaultdict(list)
    for document_id, task in (await session.execute(stmt)).all():
        grouped[document_id].append(task)
    return [grouped[i] for i in document_ids]
