"""The GraphQL contract: each area's Query and Mutation merged at the root."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.tools import merge_types

from schema.approvals.resolvers import ApprovalMutation, ApprovalQuery
from schema.audit import AuditQuery, guard_root_fields
from schema.auth import AuthMutation, AuthQuery
from schema.catalog.mutation import CatalogMutation
from schema.catalog.query import CatalogQuery
from schema.context import CloseRequestSession
from schema.documents.templates import PrintTemplateMutation, PrintTemplateQuery
from schema.errors import DomainErrorCodes
from schema.event_execution import SharedEventExecutor
from schema.finance.credit_notes import CreditNoteQuery
from schema.finance.payables import PayablesMutation, PayablesQuery
from schema.finance.receivables import ReceivablesMutation, ReceivablesQuery
from schema.finance.reports import ReportQuery
from schema.imports import ImportMutation
from schema.integrations.webhooks import WebhookMutation, WebhookQuery
from schema.inventory.mutation import InventoryMutation
from schema.inventory.query import InventoryQuery
from schema.inventory.subscription import InventorySubscription
from schema.operation_metrics import OperationMetrics
from schema.planning.forecasts import ForecastMutation, ForecastQuery
from schema.planning.rules import ReplenishmentRuleMutation, ReplenishmentRuleQuery
from schema.planning.suggestions import (
    SuggestionMutation,
    SuggestionQuery,
    SuggestionSubscription,
)
from schema.planning.transfers import PlanningPolicyMutation, PlanningPolicyQuery
from schema.purchasing.mutation import PurchasingMutation
from schema.purchasing.query import PurchasingQuery
from schema.purchasing.returns import (
    PurchaseReturnMutation,
    PurchaseReturnQuery,
    PurchaseReturnSubscription,
)
from schema.purchasing.subscription import PurchasingSubscription
from schema.receiving.barcodes import BarcodeQuery
from schema.receiving.receipts import ReceiptMutation, ReceiptQuery
from schema.receiving.tasks import TaskMutation, TaskQuery, TaskSubscription
from schema.sales.alerts import SalesAlertSubscription
from schema.sales.orders import SalesMutation, SalesQuery
from schema.sales.picking import PickingMutation, PickingQuery
from schema.sales.returns import SalesReturnMutation, SalesReturnQuery, SalesReturnSubscription
from schema.sales.teams import SalesTeamMutation, SalesTeamQuery
from schema.scalars import SCALAR_OVERRIDES
from schema.stocktake.resolvers import StocktakeMutation, StocktakeQuery, StocktakeSubscription
from schema.text_guard import RefuseUnstorableCharacters
from schema.transfers.resolvers import TransferMutation, TransferQuery, TransferSubscription
from server.config import Settings

Query = merge_types("Query", (
    AuthQuery, CatalogQuery, InventoryQuery, PurchasingQuery, ApprovalQuery, BarcodeQuery,
    ReceiptQuery, TaskQuery, SalesQuery, PickingQuery, ReplenishmentRuleQuery, ForecastQuery,
    SuggestionQuery, PrintTemplateQuery, ReceivablesQuery, PayablesQuery, ReportQuery, AuditQuery,
    SalesTeamQuery,
    PurchaseReturnQuery,
    StocktakeQuery,
    WebhookQuery,
    SalesReturnQuery, CreditNoteQuery,
    TransferQuery, PlanningPolicyQuery,
))
Mutation = merge_types("Mutation", (
    AuthMutation, CatalogMutation, InventoryMutation, PurchasingMutation, ApprovalMutation,
    ReceiptMutation, TaskMutation, SalesMutation, PickingMutation, ReplenishmentRuleMutation,
    ForecastMutation, SuggestionMutation, PrintTemplateMutation, ReceivablesMutation,
    PayablesMutation, SalesTeamMutation, ImportMutation,
    PurchaseReturnMutation,
    StocktakeMutation,
    WebhookMutation,
    SalesReturnMutation,
    TransferMutation, PlanningPolicyMutation,
))
Subscription = merge_types("Subscription", (
    InventorySubscription, PurchasingSubscription, TaskSubscription, SalesAlertSubscription,
    SuggestionSubscription,
    PurchaseReturnSubscription,
    StocktakeSubscription,
    SalesReturnSubscription,
    TransferSubscription,
))
guard_root_fields(Query, Mutation)


def build_schema(settings: Settings) -> strawberry.Schema:
    # Factories, so each request gets fresh extension state; the parse and validation caches
    # are module-level inside strawberry and shared by all requests.
    # The limit rules are built once: validation results are cached per (document, rules), and
    # a rule class made afresh for each request would never hit that cache.
    limits = [depth_rule(settings.max_query_depth, None, None),
              alias_rule(settings.max_aliases)]
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        RefuseUnstorableCharacters,
        DomainErrorCodes,
        CloseRequestSession,
        OperationMetrics,
    ]
    if not settings.introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    return strawberry.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions,
        execution_context_class=SharedEventExecutor, scalar_overrides=SCALAR_OVERRIDES,
    )


def export_sdl() -> str:
    return build_schema(Settings()).as_str()
