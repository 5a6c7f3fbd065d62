"""The handheld (PDA) client: talks to the Caixiao GraphQL API over HTTP, nothing else."""

from __future__ import annotations

from pda_client.client import Identity, LoginSession, PdaClient, PdaError, PostResult, Problem
from pda_client.pick import LineProgress, PickingSession, PickScanResult
from pda_client.picklists import PickLine, PickList
from pda_client.receive import ExpectedLine, LineTally, ReceivingSession, ScanResult, ScanWarning
from pda_client.tasks import WarehouseTask

__all__ = [
    "ExpectedLine",
    "Identity",
    "LineProgress",
    "LineTally",
    "LoginSession",
    "PdaClient",
    "PdaError",
    "PickLine",
    "PickList",
    "PickScanResult",
    "PickingSession",
    "PostResult",
    "Problem",
    "ReceivingSession",
    "ScanResult",
    "ScanWarning",
    "WarehouseTask",
]
