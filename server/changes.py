"""Which product × warehouse pairs a transaction changed the stock or demand of, and what must
follow once it has committed.

Areas upstream of planning (inventory postings, sales orders, purchase orders, sales history)
mark the pairs they touch; right after ``Database.transaction`` commits, the reactions registered
here (planning's live recompute) run once for everything marked, in an immediately following
transaction, before the caller gets its answer. So a suggestion never lags the change that caused
it, the change itself does not wait for planning while it holds its stock locks, a failing
reaction cannot undo it, and the upstream areas never import planning.
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


def take_changes(session: AsyncSession) -> frozenset[Pair]:
    """The pairs marked in ``session`` so far, forgetting them."""
    return frozenset(session.info.pop(_CHANGED_KEY, ()))


async def react(session: AsyncSession, pairs: frozenset[Pair]) -> None:
    for reaction in list(_reactions):
        await reaction(session, pairs)
