"""Orders for the same products take turns in this process before they touch the database.

Orders for one product × warehouse are serialised by its stock lock anyway
(``server.sales.reserve``). Without turns, a burst of them would each check out a pooled
connection and wait in PostgreSQL's lock queue: the whole pool held by waiters, while the
orders that have committed wait behind them for a connection to answer with, and every other
request of the process waits too. Taking its turn first, an order queues holding nothing, and
starts once the orders ahead of it in this process have committed or rolled back. The stock
lock stays the guarantee (other processes, other use cases); turns only decide who waits where.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

Key = tuple[str, str]  # (warehouse code, sku), as the order names them

# A key's lock lives while an order holds or waits for it.
_turns: weakref.WeakValueDictionary[Key, asyncio.Lock] = weakref.WeakValueDictionary()


async def take_turn(session: AsyncSession, keys: Iterable[Key]) -> None:
    """Wait for this order's turn on every key (in sorted order, so two orders never wait for
    each other), before ``session`` has sent anything. The turns are handed on when its
    transaction ends: committed, rolled back or closed."""
    taken: list[asyncio.Lock] = []

    def hand_on() -> None:
        while taken:
            taken.pop().release()

    def transaction_ended(_session: Any, transaction: Any) -> None:
        if transaction.parent is None:
            hand_on()

    try:
        for key in sorted(set(keys)):
            lock = _turns.setdefault(key, asyncio.Lock())
            await lock.acquire()
            taken.append(lock)
    except BaseException:  # cancelled while waiting: give back what was taken
        hand_on()
        raise
    event.listen(session.sync_session, "after_transaction_end", transaction_ended)
