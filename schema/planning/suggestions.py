"""Replenishment suggestions: read with their explanation, recomputed, converted into draft
purchase orders or dismissed, and followed live."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from schema.catalog.query import page_request
from schema.context import Info
from schema.errors import UserError, attempt
from schema.event_execution import SharedEventRoot
from schema.live import drained, live_hub
from schema.pagination import Connection, connection
from schema.purchasing.types import PurchaseOrder
from server.errors import InvalidInput
from server.event_log import StoredEvent
from server.planning import decisions, engine, suggestion_queries
from server.planning.models import SuggestionStatus
from server.planning.suggestion_queries import SuggestionFilter, SuggestionView

ReplenishmentSuggestionStatus = strawberry.enum(SuggestionStatus,
                                                name="ReplenishmentSuggestionStatus")


@strawberry.type(description="One term of the netting formula: its value (a decimal string) "
                             "and how it came about.")
class ExplanationTerm:
    term: str
    value: str
    note: str


@strawberry.type(description="A replenishment rule that fired, and what it changed.")
class RuleApplied:
    rule: str
    target: str
    before: str
    after: str


@strawberry.type(description="A rule whose condition could not be evaluated for this product.")
class RuleFailure:
    rule: str
    message: str


@strawberry.type(description="The forecast of one ISO week in the horizon: ENTERED by sales or "
                             "the statistical BASELINE.")
class ForecastWeek:
    week: str
    quantity: str
    source: str


def _entries(explanation: dict[str, Any], key: str) -> list[dict[str, Any]]:
    # Stored JSON written by the engine: read defensively, a missing part is an empty list.
    value = explanation.get(key)
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


@strawberry.type(description="Why this quantity: every term of the formula with its value, every "
                             "rule that fired with the value before and after.")
class SuggestionExplanation:
    terms: list[ExplanationTerm]
    rules: list[RuleApplied]
    rule_failures: list[RuleFailure]
    notes: list[str]
    forecast_weeks: list[ForecastWeek]

    @classmethod
    def from_json(cls, explanation: dict[str, Any] | None) -> SuggestionExplanation:
        stored = explanation if isinstance(explanation, dict) else {}
        notes = stored.get("notes")
        return cls(
            terms=[ExplanationTerm(term=str(e.get("term", "")), value=str(e.get("value", "")),
                                   note=str(e.get("note", "")))
                   for e in _entries(stored, "terms")],
            rules=[RuleApplied(rule=str(e.get("rule", "")), target=str(e.get("target", "")),
                               before=str(e.get("before", "")), after=str(e.get("after", "")))
                   for e in _entries(stored, "rules")],
            rule_failures=[RuleFailure(rule=str(e.get("rule", "")),
                                       message=str(e.get("message", "")))
                           for e in _entries(stored, "ruleFailures")],
            notes=[str(note) for note in notes] if isinstance(notes, list) else [],
            forecast_weeks=[ForecastWeek(week=str(e.get("week", "")),
                                         quantity=str(e.get("quantity", "")),
                                         source=str(e.get("source", "")).upper())
                            for e in _entries(stored, "forecastWeeks")],
        )


@strawberry.type(description="A proposal to buy one product for one warehouse.")
class ReplenishmentSuggestion:
    id: strawberry.ID
    sku: str
    product_name: str
    warehouse_code: str
    quantity: Decimal
    supplier_code: str
    supplier_name: str
    unit_price: Decimal
    currency: str
    order_date: date = strawberry.field(description="When to order: today when already late.")
    need_date: date | None = strawberry.field(
        description="When projected stock would cross the safety stock.")
    urgent: bool
    status: ReplenishmentSuggestionStatus
    computed_at: datetime
    purchase_order_number: str | None = strawberry.field(
        description="The draft order it was converted into.")
    dismiss_reason: str | None
    explanation: SuggestionExplanation

    @classmethod
    def from_view(cls, view: SuggestionView) -> ReplenishmentSuggestion:
        row = view.row
        return cls(
            id=strawberry.ID(str(row.id)), sku=view.sku, product_name=view.product_name,
            warehouse_code=view.warehouse_code, quantity=row.quantity,
            supplier_code=view.supplier_code, supplier_name=view.supplier_name,
            unit_price=row.unit_price, currency=row.currency, order_date=row.order_date,
            need_date=row.need_date, urgent=row.urgent, status=SuggestionStatus(row.status),
            computed_at=row.computed_at, purchase_order_number=view.purchase_order_number,
            dismiss_reason=row.dismiss_reason,
            explanation=SuggestionExplanation.from_json(row.explanation),
        )


def _ids(raw: list[strawberry.ID], field: str) -> list[int]:
    try:
        return [int(value) for value in raw]
    except ValueError:
        raise InvalidInput(f"not a suggestion id among {raw!r}", field=field) from None


@strawberry.input
class RecomputeSuggestionsInput:
    warehouse_code: str | None = strawberry.field(
        default=None, description="Only this warehouse; all when left out.")


@strawberry.type
class RecomputeSuggestionsPayload:
    pairs: int | None = strawberry.field(description="Product × warehouse pairs planned.")
    open_suggestions: int | None
    urgent: int | None
    seconds: float | None
    user_errors: list[UserError]


@strawberry.input(description="What to change on one suggestion before converting it.")
class SuggestionOverrideInput:
    id: strawberry.ID
    quantity: Decimal | None = strawberry.field(
        default=None, description="Greater than 0, at most 4 decimals.")
    supplier_code: str | None = strawberry.field(
        default=None, description="Buy from this supplier instead, at the price and currency "
                                  "of its active item for the product.")


@strawberry.input
class ConvertSuggestionsInput:
    ids: list[strawberry.ID] = strawberry.field(description="Open suggestions, at most 500.")
    overrides: list[SuggestionOverrideInput] = strawberry.field(default_factory=list)

    def overrides_of(self) -> list[decisions.ConversionOverride]:
        return [decisions.ConversionOverride(
            _ids([o.id], f"overrides[{index}].id")[0], quantity=o.quantity,
            supplier_code=o.supplier_code) for index, o in enumerate(self.overrides)]


@strawberry.type(description="Which order a converted suggestion went into.")
class SuggestionConversion:
    suggestion_id: strawberry.ID
    purchase_order_number: str


@strawberry.type
class ConvertSuggestionsPayload:
    purchase_orders: list[PurchaseOrder] = strawberry.field(
        description="The draft orders created, one per supplier × warehouse.")
    conversions: list[SuggestionConversion]
    user_errors: list[UserError]


@strawberry.input
class DismissSuggestionInput:
    id: strawberry.ID
    reason: str = strawberry.field(description="Required, at most 500 characters.")


@strawberry.type
class DismissSuggestionPayload:
    suggestion: ReplenishmentSuggestion | None
    user_errors: list[UserError]


@strawberry.type(description="Suggestions of a warehouse were opened, updated or closed "
                             "(converted, dismissed or no longer needed): refetch them.")
class SuggestionsChanged(SharedEventRoot):
    cursor: str = strawberry.field(description="Pass as `after` to resume right after this.")
    warehouse_code: str
    skus: list[str] = strawberry.field(
        description="The products concerned; empty when `full` or too many to list.")
    opened: int
    updated: int
    closed: int
    full: bool = strawberry.field(description="A full planning run: refetch everything.")

    @classmethod
    def from_event(cls, event: StoredEvent) -> SuggestionsChanged:
        """Built from the event alone, once for every subscriber it is pushed to."""
        shared = event.derived.get(cls.__name__)
        if shared is None:
            body = event.payload
            shared = event.derived[cls.__name__] = cls(
                cursor=event.cursor, warehouse_code=body["warehouseCode"],
                skus=list(body.get("skus", [])), opened=body["opened"],
                updated=body["updated"], closed=body["closed"], full=body["full"])
        changed: SuggestionsChanged = shared
        return changed


@strawberry.type
class SuggestionQuery:
    @strawberry.field(description="Replenishment suggestions, oldest first (by id).")
    async def replenishment_suggestions(
        self, info: Info, warehouse_code: str | None = None, urgent_only: bool = False,
        supplier_code: str | None = None,
        status: ReplenishmentSuggestionStatus = SuggestionStatus.OPEN,
        first: int = 50, after: str | None = None,
    ) -> Connection[ReplenishmentSuggestion]:
        where = SuggestionFilter(warehouse_code=warehouse_code, urgent_only=urgent_only,
                                 supplier_code=supplier_code, status=SuggestionStatus(status))
        page = await suggestion_queries.list_suggestions(
            info.context.session, info.context.user(), page_request(info, first, after), where)
        return connection(page, ReplenishmentSuggestion.from_view)


@strawberry.type
class SuggestionMutation:
    @strawberry.mutation(description="Plan every product × warehouse (or one warehouse's) now.")
    async def recompute_suggestions(
        self, info: Info, input: RecomputeSuggestionsInput | None = None
    ) -> RecomputeSuggestionsPayload:
        warehouse_code = input.warehouse_code if input else None
        summary, errors = await attempt(lambda: engine.plan_all(
            info.context.db, info.context.user(), warehouse_code=warehouse_code))
        if summary is None:
            return RecomputeSuggestionsPayload(pairs=None, open_suggestions=None, urgent=None,
                                               seconds=None, user_errors=errors)
        return RecomputeSuggestionsPayload(
            pairs=summary.pairs, open_suggestions=summary.open_suggestions,
            urgent=summary.urgent, seconds=summary.seconds, user_errors=[])

    @strawberry.mutation(description="Open suggestions into draft purchase orders, all or none: "
                                     "one per supplier × warehouse, lines of a product merged.")
    async def convert_suggestions(
        self, info: Info, input: ConvertSuggestionsInput
    ) -> ConvertSuggestionsPayload:
        done, errors = await attempt(lambda: decisions.convert_suggestions(
            info.context.db, info.context.user(), _ids(input.ids, "ids"), input.overrides_of()))
        if done is None:
            return ConvertSuggestionsPayload(purchase_orders=[], conversions=[],
                                             user_errors=errors)
        return ConvertSuggestionsPayload(
            purchase_orders=[PurchaseOrder.from_row(order) for order in done.orders],
            conversions=[SuggestionConversion(suggestion_id=strawberry.ID(str(i)),
                                              purchase_order_number=number)
                         for i, number in done.order_numbers.items()],
            user_errors=[])

    @strawberry.mutation(description="Say no to an open suggestion, with a reason.")
    async def dismiss_suggestion(
        self, info: Info, input: DismissSuggestionInput
    ) -> DismissSuggestionPayload:
        view, errors = await attempt(lambda: decisions.dismiss_suggestion(
            info.context.db, info.context.user(), _ids([input.id], "id")[0], input.reason))
        return DismissSuggestionPayload(
            suggestion=ReplenishmentSuggestion.from_view(view) if view else None,
            user_errors=errors)


@strawberry.type
class SuggestionSubscription:
    @strawberry.subscription(
        description="Changes to one warehouse's suggestions (all warehouses without one). With "
                    "`after`, the changes missed since that cursor come first, each once.")
    async def suggestions_changed(
        self, info: Info, warehouse_code: str | None = None, after: str | None = None
    ) -> AsyncGenerator[SuggestionsChanged, None]:
        context = info.context
        stream = await suggestion_queries.suggestions_changed(
            context.db, live_hub(context), context.user(), warehouse_code, after)
        async for event in drained(stream):
            yield SuggestionsChanged.from_event(event)
