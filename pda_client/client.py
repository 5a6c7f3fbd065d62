"""A small synchronous GraphQL client for the handheld, over httpx.

Every failure reaches the caller as a ``PdaError`` with a stable code: the server's own codes
(``UNAUTHENTICATED``, ``FORBIDDEN``, ...) for business errors, and ``NETWORK``, ``TIMEOUT``,
``HTTP_ERROR`` or ``BAD_RESPONSE`` for transport trouble, so the scanner UI can react to each.
It imports nothing from ``server`` or ``schema``: the GraphQL documents are the whole contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

DEFAULT_TIMEOUT = 10.0
GRAPHQL_PATH = "/graphql"

LOGIN = """
mutation($input: LoginInput!) {
  login(input: $input) { token expiresAt userErrors { code field message } }
}
"""

ME = "query { me { username roles supplierId } }"


class PdaError(Exception):
    """A request failed; ``code`` is stable and machine-readable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class LoginSession:
    token: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Identity:
    username: str
    roles: tuple[str, ...]
    supplier_id: str | None


def graphql_url(url: str) -> str:
    """Accept the server's base URL or its /graphql endpoint."""
    base = url.rstrip("/")
    return base if base.endswith(GRAPHQL_PATH) else base + GRAPHQL_PATH


def raise_user_errors(user_errors: list[dict[str, Any]]) -> None:
    if user_errors:
        first = user_errors[0]
        raise PdaError(str(first.get("code", "ERROR")), str(first.get("message", "")))


class PdaClient:
    """``PdaClient(url, token=None)``; ``login`` stores the token it gets for later calls."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = graphql_url(url)
        self.token = token
        self.timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport)

    def __enter__(self) -> PdaClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run one GraphQL operation and return its ``data``; any error raises ``PdaError``."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = self._http.post(
                self.url, json={"query": query, "variables": variables or {}}, headers=headers
            )
        except httpx.TimeoutException as error:
            message = f"no answer from {self.url} within {self.timeout}s"
            raise PdaError("TIMEOUT", message) from error
        except httpx.TransportError as error:
            raise PdaError("NETWORK", f"cannot reach {self.url}: {error}") from error
        body = _json_body(response)
        errors = body.get("errors") if body else None
        if errors:
            first = errors[0]
            code = (first.get("extensions") or {}).get("code", "GRAPHQL_ERROR")
            raise PdaError(str(code), str(first.get("message", "request failed")))
        if response.status_code != httpx.codes.OK:
            raise PdaError("HTTP_ERROR", f"{self.url} answered HTTP {response.status_code}")
        if body is None or not isinstance(body.get("data"), dict):
            raise PdaError("BAD_RESPONSE", f"{self.url} did not answer with GraphQL data")
        data: dict[str, Any] = body["data"]
        return data

    def login(self, username: str, password: str) -> LoginSession:
        """Exchange a password for a session token, kept for this client's next requests."""
        payload = self.execute(LOGIN, {"input": {"username": username, "password": password}})
        result = payload["login"]
        raise_user_errors(result["userErrors"])
        self.token = result["token"]
        expires_at = result.get("expiresAt")
        return LoginSession(
            token=result["token"],
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
        )

    def me(self) -> Identity:
        """Who the current token belongs to."""
        me = self.execute(ME)["me"]
        return Identity(username=me["username"], roles=tuple(me["roles"]),
                        supplier_id=me.get("supplierId"))


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
