"""The audit log for admins, and the root-field extensions that fill it and bound list inputs."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryObjectDefinition

from schema.context import Info
from schema.pagination import Connection, connection
from server.audit import rules
from server.audit.log import AuditFilter, AuditRecord, audit_page, record
from server.audit.models import AuditEntry
from server.errors import DomainError, InvalidInput
from server.ops.logs import current_request_id

AuditOutcome = strawberry.enum(rules.Outcome, name="AuditOutcome")


@strawberry.type(description="One mutation as it was asked for and how it ended.")
class AuditLogEntry:
    id: strawberry.ID
    at: datetime
    actor: str | None = strawberry.field(description="Username; null for anonymous calls.")
    operation: str = strawberry.field(description="The mutation field, e.g. createSalesOrder.")
    target: str | None = strawberry.field(
        description="The business keys among the input, e.g. input.number=SO-00012.")
    outcome: AuditOutcome
    error_codes: list[str]
    request_id: str | None

    @classmethod
    def of(cls, row: AuditEntry) -> AuditLogEntry:
        return cls(id=strawberry.ID(str(row.id)), at=row.at, actor=row.actor,
                   operation=row.operation, target=row.target,
                   outcome=rules.Outcome(row.outcome),
                   error_codes=row.error_codes.split(",") if row.error_codes else [],
                   request_id=row.request_id)


@strawberry.type
class AuditQuery:
    @strawberry.field(description="Every mutation's audit entry, newest first. Admins only.")
    async def audit_log(self, info: Info, actor: str | None = None,
                        operation: str | None = None,
                        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
                        to: datetime | None = None, first: int = 50,
                        after: str | None = None) -> Connection[AuditLogEntry]:
        page = await audit_page(
            info.context.session, info.context.user(),
            AuditFilter(actor=actor, operation=operation, from_=from_, to=to),
            first=first, after=after, max_page_size=info.context.settings.max_page_size,
        )
        return connection(page, AuditLogEntry.of)


Next = Callable[..., Awaitable[Any]]


class AuditMutation(FieldExtension):
    """Writes an audit entry for every root mutation after its use case has finished."""

    async def resolve_async(self, next_: Next, source: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context
        target = rules.describe_target(kwargs)

        async def audit(outcome: rules.Outcome, codes: list[str]) -> None:
            await record(context.db, AuditRecord(
                operation=info.field_name, outcome=outcome, actor=context.principal,
                target=target, error_codes=tuple(codes), request_id=current_request_id(),
            ))

        try:
            result = await next_(source, info, **kwargs)
        except DomainError as error:
            await audit(rules.Outcome.USER_ERROR, sorted({p.code for p in error.problems}))
            raise
        except Exception:
            await audit(rules.Outcome.ERROR, [])
            raise
        await audit(*rules.outcome_of(result))
        return result


def _too_long(value: Any, limit: int, path: str) -> str | None:
    """The path of the first list input longer than ``limit``, looking inside input objects."""
    if isinstance(value, list):
        if len(value) > limit:
            return path
        items: Mapping[str, Any] = {f"{path}.{i}": item for i, item in enumerate(value)}
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = {f"{path}.{f.name}" if path else f.name: getattr(value, f.name)
                 for f in dataclasses.fields(value)}
    elif isinstance(value, dict) and not path:
        items = value
    else:
        return None
    for name, item in items.items():
        found = _too_long(item, limit, name)
        if found is not None:
            return found
    return None


class ListInputLimit(FieldExtension):
    """Refuses a root field whose arguments hold a list longer than CAIXIAO_MAX_LIST_INPUT."""

    async def resolve_async(self, next_: Next, source: Any, info: Info, **kwargs: Any) -> Any:
        limit = info.context.settings.max_list_input
        found = _too_long(kwargs, limit, "")
        if found is not None:
            raise InvalidInput(f"{found} has more than {limit} items", field=found,
                               code="TOO_MANY_ITEMS")
        return await next_(source, info, **kwargs)


def guard_root_fields(query: type, mutation: type) -> None:
    """Install the list limit on every root query and mutation field and the audit on every
    mutation, including fields areas add later. Idempotent: the root types are module-level."""
    for root, extensions in ((query, (ListInputLimit,)),
                             (mutation, (ListInputLimit, AuditMutation))):
        definition: StrawberryObjectDefinition = root.__strawberry_definition__  # type: ignore[attr-defined]
        for field in definition.fields:
            for extension in extensions:
                if not any(isinstance(e, extension) for e in field.extensions):
                    field.extensions.append(extension())
