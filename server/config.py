"""Settings from ``CAIXIAO_*`` environment variables, validated once at start-up."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./caixiao.db"
SUPPORTED_URL_PREFIXES = ("sqlite+aiosqlite://", "postgresql+psycopg://")

T = TypeVar("T")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    token_ttl_hours: int = 12
    graphiql: bool = True
    introspection: bool = True
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_page_size: int = 200
    sql_echo: bool = False
    log_format: str = "text"
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    max_list_input: int = 500
    login_max_failures: int = 5
    login_failure_window_seconds: int = 60
    # A stocktake whose variance value is larger than this (gains or losses) needs approval.
    stocktake_approval_threshold: Decimal = Decimal(1000)
    # The webhook worker runs inside ``caixiao serve`` unless turned off (``caixiao worker``).
    webhook_worker: bool = True
    webhook_max_failures: int = 10
    webhook_timeout_seconds: int = 10

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        url = env.get("CAIXIAO_DATABASE_URL", defaults.database_url)
        if not url.startswith(SUPPORTED_URL_PREFIXES):
            raise ConfigError(
                f"CAIXIAO_DATABASE_URL={url!r}: expected a URL starting with "
                + " or ".join(SUPPORTED_URL_PREFIXES)
            )
        return cls(
            database_url=url,
            token_ttl_hours=_read(env, "CAIXIAO_TOKEN_TTL_HOURS", _positive_int,
                                  defaults.token_ttl_hours),
            graphiql=_read(env, "CAIXIAO_GRAPHIQL", _bool, defaults.graphiql),
            introspection=_read(env, "CAIXIAO_INTROSPECTION", _bool, defaults.introspection),
            max_query_depth=_read(env, "CAIXIAO_MAX_QUERY_DEPTH", _positive_int,
                                  defaults.max_query_depth),
            max_aliases=_read(env, "CAIXIAO_MAX_ALIASES", _positive_int, defaults.max_aliases),
            max_tokens=_read(env, "CAIXIAO_MAX_TOKENS", _positive_int, defaults.max_tokens),
            max_page_size=_read(env, "CAIXIAO_MAX_PAGE_SIZE", _positive_int,
                                defaults.max_page_size),
            sql_echo=_read(env, "CAIXIAO_SQL_ECHO", _bool, defaults.sql_echo),
            log_format=_read(env, "CAIXIAO_LOG_FORMAT", _log_format, defaults.log_format),
            cors_origins=_read(env, "CAIXIAO_CORS_ORIGINS", _origins, defaults.cors_origins),
            max_body_bytes=_read(env, "CAIXIAO_MAX_BODY_BYTES", _positive_int,
                                 defaults.max_body_bytes),
            max_list_input=_read(env, "CAIXIAO_MAX_LIST_INPUT", _positive_int,
                                 defaults.max_list_input),
            login_max_failures=_read(env, "CAIXIAO_LOGIN_MAX_FAILURES", _positive_int,
                                     defaults.login_max_failures),
            login_failure_window_seconds=_read(env, "CAIXIAO_LOGIN_FAILURE_WINDOW_SECONDS",
                                               _positive_int,
                                               defaults.login_failure_window_seconds),
            stocktake_approval_threshold=_read(env, "CAIXIAO_STOCKTAKE_APPROVAL_THRESHOLD",
                                               _amount, defaults.stocktake_approval_threshold),
            webhook_worker=_read(env, "CAIXIAO_WEBHOOK_WORKER", _bool, defaults.webhook_worker),
            webhook_max_failures=_read(env, "CAIXIAO_WEBHOOK_MAX_FAILURES", _positive_int,
                                       defaults.webhook_max_failures),
            webhook_timeout_seconds=_read(env, "CAIXIAO_WEBHOOK_TIMEOUT_SECONDS", _positive_int,
                                          defaults.webhook_timeout_seconds),
        )


def _read(env: Mapping[str, str], key: str, parse: Callable[[str], T], default: T) -> T:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{key}={raw!r}: {exc}") from None


def _positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("expected a whole number") from None
    if value <= 0:
        raise ValueError("expected a number greater than 0")
    return value


def _amount(raw: str) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise ValueError("expected an amount like 1000 or 2500.50") from None
    if not value.is_finite() or value < 0:
        raise ValueError("expected an amount of 0 or more")
    return value


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def _log_format(raw: str) -> str:
    lowered = raw.strip().lower()
    if lowered not in {"json", "text"}:
        raise ValueError("expected json or text")
    return lowered


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(part.strip().rstrip("/") for part in raw.split(",") if part.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ValueError(f"{origin!r} is not an origin like https://sales.example.com")
    return origins
