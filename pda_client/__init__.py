"""The handheld (PDA) client: talks to the Caixiao GraphQL API over HTTP, nothing else."""

from __future__ import annotations

from pda_client.client import Identity, LoginSession, PdaClient, PdaError

__all__ = ["Identity", "LoginSession", "PdaClient", "PdaError"]
