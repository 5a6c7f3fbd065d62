"""hypothesis-graphql against the live schema, as every role: whatever it sends, the answer is
GraphQL (never a 500), no unexpected exception escapes a resolver, queries change nothing, and a
mutation that fails leaves every table as it was.

The app runs on an event loop of its own in a thread (tests/e2e/app_thread.py), so hypothesis
can drive it from a plain synchronous test; counts are read on that loop too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from sqlalchemy import func, select

from schema import export_sdl
from server.app import create_app
from server.audit.models import AuditEntry
from server.config import Settings
from server.db import Database
from tests.e2e.app_thread import AppThread
from tests.e2e.hostile_world import (
    ROLE_USERS,
    hostile_world,
    role_tokens,
    row_counts,
    server_failures,
)

SCHEMA = graphql.build_schema(export_sdl())
MUTATION_NAMES = sorted(SCHEMA.mutation_type.fields) if SCHEMA.mutation_type else []
# Out-of-range and malformed values, and in-range ones whose products overflow a total.
JUNK = st.sampled_from(["NaN", "-Infinity", "1e400", "-1e400", "", " ", "abc", "1e13", "-0",
                        "99999999", "99999999999.9999"])


def mostly(valid: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    """Valid values nine times in ten: a request with one bad scalar is refused before any use
    case runs, and one junk value among several fields is already likely."""
    return st.integers(0, 9).flatmap(lambda roll: JUNK if roll == 0 else valid).map(nodes.String)


SCALARS = {
    "Decimal": mostly(st.decimals(min_value=-1000, max_value=10**6, places=4,
                                  allow_nan=False).map(str)),
    "Date": mostly(st.dates().map(lambda d: d.isoformat())),
    "DateTime": mostly(st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())),
    # A file only comes as a multipart part; inline, any value is refused, and must be cleanly.
    "Upload": st.sampled_from(["", "products.csv", "0"]).map(nodes.String),
    "JSON": st.lists(st.integers(), max_size=3).map(
        lambda values: nodes.Object([graphql.ObjectFieldNode(
            name=graphql.NameNode(value=f"k{i}"), value=nodes.Int(v))
            for i, v in enumerate(values)])),
}
MASTER_KEYS = ("P1", "P2", "P3", "S1", "S2", "WH1", "WH1-A-01", "WH1-RCV", "WH1-QC", "C1", "C2",
               "admin", "sales", "s1", "s2", "6901234567892", "L1")
ROLES = st.sampled_from(sorted(ROLE_USERS))
# Bounded so the suite stays within a couple of minutes per database on a small CI machine, and
# the same examples every run; CAIXIAO_FUZZ_SCALE=N runs N times as many, freshly drawn.
SCALE = int(os.environ.get("CAIXIAO_FUZZ_SCALE", "1"))
QUERY_EXAMPLES = 100 * SCALE
MUTATION_EXAMPLES = 250 * SCALE
VIOLATION_EXAMPLES = 50 * SCALE
FUZZ = settings(deadline=None, derandomize=SCALE == 1, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])


class LiveApp:
    """The real app over HTTP plus a way to look into its database between requests."""

    def __init__(self, app: AppThread) -> None:
        self.app = app

    def post(self, query: str, token: str | None) -> dict[str, Any]:
        response = self.app.post({"query": query}, token)
        assert response.status_code in (200, 400), (response.status_code, response.text)
        body: dict[str, Any] = response.json()
        assert "data" in body or body.get("errors"), body
        assert server_failures(body) == [], (query, body)
        return body

    def counts(self) -> dict[str, int]:
        return self.app.run(row_counts(self.app.database))

    def audit_outcomes_after(self, last_id: int) -> list[str]:
        async def outcomes() -> list[str]:
            async with self.app.database.reader() as session:
                return list(await session.scalars(select(AuditEntry.outcome).where(
                    AuditEntry.id > last_id).order_by(AuditEntry.id)))
        return self.app.run(outcomes())

    def last_audit_id(self) -> int:
        async def last() -> int:
            async with self.app.database.reader() as session:
                return int(await session.scalar(select(func.max(AuditEntry.id))) or 0)
        return self.app.run(last())


@dataclass(frozen=True, slots=True)
class FuzzWorld:
    tokens: dict[str, str | None]
    # Strategies for every scalar, with strings and ints that often name real things (business
    # keys, ids of the first rows) so generated requests get past "not found" now and then.
    scalars: dict[str, st.SearchStrategy[graphql.ValueNode]]


@pytest.fixture
async def fuzz_world(db: Database) -> FuzzWorld:
    world, documents = await hostile_world(db)
    keys = (*MASTER_KEYS, documents.s1_order, documents.s2_order, documents.s2_notice,
            documents.sales_order)
    strings = st.one_of(st.sampled_from(keys), st.text(max_size=20)).map(nodes.String)
    ints = st.one_of(st.integers(0, 12), st.integers(-2**31, 2**31 - 1)).map(nodes.Int)
    return FuzzWorld(await role_tokens(db, world),
                     {**SCALARS, "String": strings, "ID": strings, "Int": ints})


@pytest.fixture
def live(db: Database, fuzz_world: FuzzWorld) -> Iterator[LiveApp]:
    with AppThread(create_app(Settings(database_url=db.url))) as app:
        yield LiveApp(app)


def test_generated_queries_answer_graphql_and_change_nothing(
    live: LiveApp, fuzz_world: FuzzWorld
) -> None:
    before = live.counts()

    @settings(FUZZ, max_examples=QUERY_EXAMPLES)
    @given(ROLES, queries(SCHEMA, custom_scalars=fuzz_world.scalars))
    def ask(role: str, query: str) -> None:
        live.post(query, fuzz_world.tokens[role])

    ask()
    assert live.counts() == before


def test_generated_mutations_change_nothing_when_they_fail(
    live: LiveApp, fuzz_world: FuzzWorld
) -> None:
    one_mutation = st.sampled_from(MUTATION_NAMES).flatmap(
        lambda name: mutations(SCHEMA, fields=[name], custom_scalars=fuzz_world.scalars))

    @settings(FUZZ, max_examples=MUTATION_EXAMPLES)
    @given(ROLES, one_mutation)
    def mutate(role: str, query: str) -> None:
        before, last_audit = live.counts(), live.last_audit_id()
        live.post(query, fuzz_world.tokens[role])
        outcomes = live.audit_outcomes_after(last_audit)
        if outcomes != ["OK"]:
            assert live.counts() == before, (role, query, outcomes)

    mutate()


def test_schema_violations_are_refused_as_graphql_errors(
    live: LiveApp, fuzz_world: FuzzWorld
) -> None:
    before = live.counts()
    violations = st.one_of(
        queries(SCHEMA, custom_scalars=fuzz_world.scalars, mode=Mode.NEGATIVE),
        mutations(SCHEMA, custom_scalars=fuzz_world.scalars, mode=Mode.NEGATIVE))

    @settings(FUZZ, max_examples=VIOLATION_EXAMPLES)
    @given(ROLES, violations)
    def violate(role: str, query: str) -> None:
        body = live.post(query, fuzz_world.tokens[role])
        assert body.get("errors"), (query, body)

    violate()
    assert live.counts() == before
