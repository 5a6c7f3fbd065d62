"""The handheld (PDA) client: talks to the Caixiao GraphQL API over HTTP, nothing else."""

from __future__ import annotations

from pda_client.client import Identity, LoginSession, PdaClient, PdaError, PostResult, Problem
from pda_client.receive import ExpectedLine, LineTally, ReceivingSession, ScanResult, ScanWarning
from pda_client.tasks import WarehouseTask

__all__ = [
    "ExpectedLine",
    "Identity",
    "LineTally",
    "LoginSession",
    "PdaClient",
    "PdaError",
    "PostResult",
    "Problem",
    "ReceivingSession",
    "ScanResult",
    "ScanWarning",
    "WarehouseTask",
]
