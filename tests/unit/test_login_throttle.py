"""Login failures per username and per address: refused after the allowance, for the window."""

from __future__ import annotations

import pytest

from server.errors import Unauthenticated
from server.ops.login_throttle import LoginThrottle, RateLimited, guarded_login, login_keys


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_refused_after_max_failures_until_the_oldest_leaves_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(3, 60, clock)
    keys = login_keys("Anna ", "10.0.0.1")
    for _ in range(3):
        throttle.check(keys)
        throttle.failed(keys)
        clock.now += 10
    with pytest.raises(RateLimited) as refused:
        throttle.check(keys)
    assert refused.value.retry_after == 30
    assert refused.value.problems[0].code == "RATE_LIMITED"
    clock.now += 30
    throttle.check(keys)


def test_the_address_is_limited_across_usernames_and_the_username_across_addresses() -> None:
    throttle = LoginThrottle(2, 60, Clock())
    for name in ("a", "b"):
        throttle.failed(login_keys(name, "10.0.0.9"))
    assert throttle.retry_after(login_keys("c", "10.0.0.9")) == 60
    assert throttle.retry_after(login_keys("c", "10.0.0.8")) == 0
    for address in ("1.1.1.1", "2.2.2.2"):
        throttle.failed(login_keys("dora", address))
    assert throttle.retry_after(login_keys("DORA", "3.3.3.3")) == 60


async def test_guarded_login_counts_wrong_passwords_and_clears_on_success() -> None:
    throttle = LoginThrottle(2, 60, Clock())
    keys = login_keys("anna", None)

    async def wrong() -> str:
        raise Unauthenticated("unknown user or wrong password")

    async def right() -> str:
        return "token"

    with pytest.raises(Unauthenticated):
        await guarded_login(throttle, keys, wrong)
    assert await guarded_login(throttle, keys, right) == "token"
    assert throttle.retry_after(keys) == 0
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await guarded_login(throttle, keys, wrong)
    with pytest.raises(RateLimited):
        await guarded_login(throttle, keys, right)
