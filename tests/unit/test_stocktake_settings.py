from __future__ import annotations

from decimal import Decimal

import pytest

from server.config import ConfigError, Settings


def test_the_stocktake_approval_threshold_is_read_from_the_environment() -> None:
    assert Settings().stocktake_approval_threshold == Decimal(1000)
    settings = Settings.from_env({"CAIXIAO_STOCKTAKE_APPROVAL_THRESHOLD": " 2500.50 "})
    assert settings.stocktake_approval_threshold == Decimal("2500.50")
    assert Settings.from_env({"CAIXIAO_STOCKTAKE_APPROVAL_THRESHOLD": "0"}
                             ).stocktake_approval_threshold == 0


@pytest.mark.parametrize("value", ["lots", "-1", "NaN", "Infinity"])
def test_a_bad_threshold_fails_fast_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"CAIXIAO_STOCKTAKE_APPROVAL_THRESHOLD": value})
    assert str(raised.value).startswith("CAIXIAO_STOCKTAKE_APPROVAL_THRESHOLD=")
