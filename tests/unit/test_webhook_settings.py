"""The webhook settings read from the environment, and the worker settings made from them."""

from __future__ import annotations

import pytest

from server.config import ConfigError, Settings
from server.integrations.worker import WorkerSettings


def test_defaults_run_the_worker_in_serve_and_disable_after_ten_failures() -> None:
    settings = Settings.from_env({})
    assert (settings.webhook_worker, settings.webhook_max_failures,
            settings.webhook_timeout_seconds) == (True, 10, 10)
    worker = WorkerSettings.from_settings(settings)
    assert (worker.max_failures, worker.timeout) == (10, 10.0)
    assert worker.lease.total_seconds() > worker.timeout


def test_the_environment_sets_them() -> None:
    settings = Settings.from_env({"CAIXIAO_WEBHOOK_WORKER": "off",
                                  "CAIXIAO_WEBHOOK_MAX_FAILURES": "3",
                                  "CAIXIAO_WEBHOOK_TIMEOUT_SECONDS": "4"})
    assert (settings.webhook_worker, settings.webhook_max_failures,
            settings.webhook_timeout_seconds) == (False, 3, 4)


@pytest.mark.parametrize(("name", "value"), [("CAIXIAO_WEBHOOK_MAX_FAILURES", "0"),
                                             ("CAIXIAO_WEBHOOK_TIMEOUT_SECONDS", "soon"),
                                             ("CAIXIAO_WEBHOOK_WORKER", "maybe")])
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({name: value})
