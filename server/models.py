"""Imports every area's tables so that ``Base.metadata`` is complete (alembic, drift test)."""

from server import auth, events, idempotency, numbering
from server.approvals import models as approval_models
from server.audit import models as audit_models
from server.catalog import models as catalog_models
from server.db import Base
from server.documents import models as document_models
from server.finance import models as finance_models
from server.integrations import models as integration_models
from server.inventory import models as inventory_models
from server.planning import models as planning_models
from server.purchasing import models as purchasing_models
from server.receiving import models as receiving_models
from server.sales import models as sales_models
from server.sales import return_models as sales_return_models
from server.stocktake import models as stocktake_models
from server.transfers import models as transfer_models

__all__ = [
    "Base",
    "approval_models",
    "audit_models",
    "auth",
    "catalog_models",
    "document_models",
    "events",
    "finance_models",
    "idempotency",
    "integration_models",
    "inventory_models",
    "numbering",
    "planning_models",
    "purchasing_models",
    "receiving_models",
    "sales_models",
    "sales_return_models",
    "stocktake_models",
    "transfer_models",
]
