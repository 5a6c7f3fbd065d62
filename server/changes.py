"""Which product × warehouse pairs a transaction changed the stock or demand of, and what must
follow before it commits.

Areas upstream of planning (inventory postings, sales orders, purchase orders, sales history)
mark the pairs they touch; just before ``Database.transaction`` commits, the reactions registered
here (planning's live recompute) run once for everything marked, in the same transaction, so a
suggestion never lags the change that caused it and the upstream areas never import planning.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

Pair = tuple[int, int]  # (product_id, warehouse_id)
Reaction = Callable[[AsyncSession, frozenset[Pair]], Awaitable[None]]

_CHANGED_KEY = "caixiao.changed_pairs"
_reactions: list[Reaction] = []


def on_pairs_changed(reaction: Reaction) -> Reaction:
    """Register ``reaction`` (once; usable as a decorator)."""
    if reaction not in _reactions:
        _reactions.append(reaction)
    return reaction


def mark_changed(session: AsyncSession, pairs: Iterable[Pair]) -> None:
    changed: set[Pair] = session.info.setdefault(_CHANGED_KEY, set())
    changed.update(pairs)


async def settle_changes(session: AsyncSession) -> None:
    """Run every reaction on the pairs marked so far; repeat while reactions mark more."""
    while changed := session.info.pop(_CHANGED_KEY, None):
        for reaction in list(_reactions):
            await reaction(session, frozenset(changed))
