"""Login failures counted per username and per client address, in this process's memory.

After ``max_failures`` failed logins within ``window`` seconds for the same username or the same
address, further attempts are refused with RATE_LIMITED until the oldest failure leaves the
window. Each uvicorn worker counts its own failures, so with N workers an attacker gets up to N
times the allowance; a successful login clears its username's failures.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from server.errors import DomainError, Unauthenticated

T = TypeVar("T")


class RateLimited(DomainError):
    code = "RATE_LIMITED"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle:
    def __init__(self, max_failures: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, keys: Iterable[str]) -> int:
        """Seconds until every key may try again (0: allowed now)."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            failures = self._recent(key, now)
            if len(failures) >= self.max_failures:
                wait = max(wait, failures[-self.max_failures] + self.window - now)
        return math.ceil(wait)

    def check(self, keys: Iterable[str]) -> None:
        wait = self.retry_after(keys)
        if wait > 0:
            raise RateLimited(wait)

    def failed(self, keys: Iterable[str]) -> None:
        now = self._clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


def login_keys(username: str, client: str | None) -> list[str]:
    keys = [f"user:{username.strip().lower()}"]
    if client:
        keys.append(f"ip:{client}")
    return keys


async def guarded_login(throttle: LoginThrottle | None, keys: list[str],
                        login: Callable[[], Awaitable[T]]) -> T:
    """Run ``login`` unless its keys are throttled; count it when the credentials are wrong."""
    if throttle is None:
        return await login()
    throttle.check(keys)
    try:
        issued = await login()
    except Unauthenticated:
        throttle.failed(keys)
        raise
    throttle.succeeded(keys[0])
    return issued
