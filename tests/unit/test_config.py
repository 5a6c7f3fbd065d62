from __future__ import annotations

import pytest

from server.config import DEFAULT_DATABASE_URL, ConfigError, Settings


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite+aiosqlite:///./caixiao.db"
    assert settings.is_sqlite


def test_values_are_read_and_parsed() -> None:
    settings = Settings.from_env({
        "CAIXIAO_DATABASE_URL": "postgresql+psycopg://app@db:5432/caixiao",
        "CAIXIAO_TOKEN_TTL_HOURS": "48",
        "CAIXIAO_GRAPHIQL": "off",
        "CAIXIAO_INTROSPECTION": "No",
        "CAIXIAO_MAX_QUERY_DEPTH": "8",
        "CAIXIAO_MAX_ALIASES": "5",
        "CAIXIAO_MAX_TOKENS": "900",
        "CAIXIAO_MAX_PAGE_SIZE": "50",
        "CAIXIAO_SQL_ECHO": "1",
    })
    assert settings == Settings(
        database_url="postgresql+psycopg://app@db:5432/caixiao", token_ttl_hours=48,
        graphiql=False, introspection=False, max_query_depth=8, max_aliases=5, max_tokens=900,
        max_page_size=50, sql_echo=True,
    )
    assert not settings.is_sqlite


def test_empty_value_means_default() -> None:
    assert Settings.from_env({"CAIXIAO_TOKEN_TTL_HOURS": ""}).token_ttl_hours == 12


@pytest.mark.parametrize(("key", "value", "reason"), [
    ("CAIXIAO_DATABASE_URL", "mysql://root@localhost/caixiao", "expected a URL starting with"),
    ("CAIXIAO_DATABASE_URL", "postgresql://u@h/db", "postgresql+psycopg://"),
    ("CAIXIAO_TOKEN_TTL_HOURS", "twelve", "expected a whole number"),
    ("CAIXIAO_TOKEN_TTL_HOURS", "0", "greater than 0"),
    ("CAIXIAO_MAX_PAGE_SIZE", "-5", "greater than 0"),
    ("CAIXIAO_MAX_TOKENS", "1.5", "expected a whole number"),
    ("CAIXIAO_GRAPHIQL", "maybe", "expected one of"),
    ("CAIXIAO_SQL_ECHO", "2", "expected one of"),
])
def test_bad_value_fails_fast_naming_the_variable(key: str, value: str, reason: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({key: value})
    message = str(raised.value)
    assert message.startswith(f"{key}=")
    assert repr(value) in message
    assert reason in message


def test_operations_settings_are_read_and_parsed() -> None:
    settings = Settings.from_env({
        "CAIXIAO_LOG_FORMAT": "JSON",
        "CAIXIAO_CORS_ORIGINS": "https://sales.example.com/, http://localhost:5173",
        "CAIXIAO_MAX_BODY_BYTES": "2048",
        "CAIXIAO_MAX_LIST_INPUT": "10",
        "CAIXIAO_LOGIN_MAX_FAILURES": "3",
        "CAIXIAO_LOGIN_FAILURE_WINDOW_SECONDS": "120",
    })
    assert (settings.log_format, settings.cors_origins) == (
        "json", ("https://sales.example.com", "http://localhost:5173"))
    assert (settings.max_body_bytes, settings.max_list_input) == (2048, 10)
    assert (settings.login_max_failures, settings.login_failure_window_seconds) == (3, 120)
    assert Settings().cors_origins == ()


@pytest.mark.parametrize(("key", "value", "reason"), [
    ("CAIXIAO_LOG_FORMAT", "xml", "expected json or text"),
    ("CAIXIAO_CORS_ORIGINS", "sales.example.com", "is not an origin"),
    ("CAIXIAO_MAX_BODY_BYTES", "0", "greater than 0"),
    ("CAIXIAO_MAX_LIST_INPUT", "many", "expected a whole number"),
])
def test_bad_operations_setting_fails_fast(key: str, value: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        Settings.from_env({key: value})
