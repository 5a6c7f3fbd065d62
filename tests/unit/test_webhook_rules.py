"""Signing, replay refusal, back-off and event-type patterns of webhook delivery."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from server.errors import InvalidInput
from server.event_log import EventFilter
from server.integrations.models import EndpointKind
from server.integrations.rules import (
    EVENT_TOPICS,
    Backoff,
    Snapshot,
    check_event_types,
    check_url,
    event_filters,
    should_disable,
    sign,
    signature_headers,
    verify_signature,
)

SECRET = "whsec_test"
BODY = b'{"id":7,"type":"stock.STOCK_CHANGED"}'
NOW = 1_780_000_000


def test_signature_is_hmac_sha256_hex_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == expected
    headers = signature_headers(SECRET, NOW, BODY)
    assert headers == {"X-Caixiao-Timestamp": str(NOW), "X-Caixiao-Signature": f"v1={expected}"}


def test_a_fresh_signature_verifies_whatever_the_header_case() -> None:
    headers = {name.lower(): value for name, value in signature_headers(SECRET, NOW, BODY).items()}
    assert verify_signature(SECRET, headers, BODY, now=NOW + 299)
    assert verify_signature(SECRET, signature_headers(SECRET, NOW, BODY), BODY, now=NOW)


@pytest.mark.parametrize("now", [NOW + 301, NOW - 301, NOW + 3600])
def test_a_replay_outside_five_minutes_is_refused(now: int) -> None:
    assert not verify_signature(SECRET, signature_headers(SECRET, NOW, BODY), BODY, now=now)


def test_a_shorter_tolerance_is_honoured() -> None:
    headers = signature_headers(SECRET, NOW, BODY)
    assert not verify_signature(SECRET, headers, BODY, now=NOW + 31, tolerance=30)


def test_tampering_with_body_timestamp_secret_or_scheme_is_refused() -> None:
    headers = signature_headers(SECRET, NOW, BODY)
    assert not verify_signature(SECRET, headers, BODY + b" ", now=NOW)
    assert not verify_signature("other", headers, BODY, now=NOW)
    moved = {**headers, "X-Caixiao-Timestamp": str(NOW + 1)}
    assert not verify_signature(SECRET, moved, BODY, now=NOW)
    digest = headers["X-Caixiao-Signature"].removeprefix("v1=")
    assert not verify_signature(SECRET, {**headers, "X-Caixiao-Signature": f"v0={digest}"},
                                BODY, now=NOW)
    assert not verify_signature(SECRET, {"X-Caixiao-Signature": f"v1={digest}"}, BODY, now=NOW)
    assert not verify_signature(SECRET, {**headers, "X-Caixiao-Timestamp": "-5"}, BODY, now=NOW)


def test_backoff_doubles_from_the_base_up_to_the_cap_within_its_jitter_band() -> None:
    backoff = Backoff(base_seconds=2, max_seconds=60)
    assert [backoff.delay(n, 0.0) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert [backoff.delay(n, 0.999999) for n in (1, 2, 3)] == pytest.approx([2, 4, 8], rel=1e-5)
    assert backoff.delay(10, 0.0) == 30
    assert backoff.delay(500, 0.5) == 45


@pytest.mark.parametrize(("failures", "jitter"), [(0, 0.1), (1, 1.0), (1, -0.1)])
def test_backoff_refuses_nonsense(failures: int, jitter: float) -> None:
    with pytest.raises(ValueError):
        Backoff().delay(failures, jitter)


def test_disable_after_the_configured_number_of_failures() -> None:
    assert not should_disable(9, 10)
    assert should_disable(10, 10)


def test_event_types_are_cleaned_and_grouped_into_outbox_filters() -> None:
    cleaned = check_event_types(EndpointKind.WEBHOOK, [
        " stock.STOCK_CHANGED", "sales_alert.SHORTAGE", "sales_alert.LOW_STOCK", "approval.*",
        "sales_alert.SHORTAGE"])
    assert cleaned == ["approval.*", "sales_alert.LOW_STOCK", "sales_alert.SHORTAGE",
                       "stock.STOCK_CHANGED"]
    assert event_filters(cleaned) == [
        EventFilter(topic="approval"),
        EventFilter(topic="sales_alert", kinds=frozenset({"LOW_STOCK", "SHORTAGE"})),
        EventFilter(topic="stock", kinds=frozenset({"STOCK_CHANGED"})),
    ]
    assert event_filters(["approval.*", "approval.APPROVAL_TASK_CREATED"]) == [
        EventFilter(topic="approval")]
    assert event_filters(["*"]) == [EventFilter(topic=topic) for topic in EVENT_TOPICS]


def test_bad_event_types_are_each_reported() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_event_types(EndpointKind.WEBHOOK, ["stock.", "nowhere.X", "stock.lower"])
    assert len(refused.value.problems) == 3
    assert {problem.field for problem in refused.value.problems} == {"eventTypes"}
    with pytest.raises(InvalidInput):
        check_event_types(EndpointKind.WEBHOOK, [])


def test_chat_robots_take_only_alerts_and_approval_tasks() -> None:
    assert check_event_types(EndpointKind.DINGTALK, ["sales_alert.*"]) == ["sales_alert.*"]
    for bad in (["stock.STOCK_CHANGED"], ["*"]):
        with pytest.raises(InvalidInput):
            check_event_types(EndpointKind.WECOM, bad)


def test_urls_must_be_http_with_a_host() -> None:
    assert check_url(" https://erp.example.com/hooks ") == "https://erp.example.com/hooks"
    for bad in ("ftp://x.example.com", "https://", "not a url", "http://h/" + "x" * 1000):
        with pytest.raises(InvalidInput):
            check_url(bad)


def test_a_snapshot_tells_which_transactions_had_committed() -> None:
    snapshot = Snapshot.parse("100:105:101,103")
    assert (snapshot.xmin, snapshot.xmax, snapshot.running) == (100, 105, frozenset({101, 103}))
    assert [txid for txid in range(98, 107) if snapshot.committed(txid)] == [98, 99, 100, 102, 104]
    assert Snapshot.parse("7:7:").running == frozenset()
