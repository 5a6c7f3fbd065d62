"""Log lines in JSON carry the request id; request ids from callers are accepted when sane."""

from __future__ import annotations

import io
import json
import logging

from server.ops.logs import accepted_request_id, log_handler, request_id_var


def _emit(log_format: str, **extra: object) -> str:
    stream = io.StringIO()
    logger = logging.getLogger("caixiao.test.format")
    logger.propagate = False
    handler = log_handler(log_format, stream)
    logger.addHandler(handler)
    token = request_id_var.set("req-123")
    try:
        logger.warning("posted %s", "GR-1", extra=extra)
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
    return stream.getvalue()


def test_json_line_has_message_level_request_id_and_extra() -> None:
    line = json.loads(_emit("json", status=200))
    assert line["message"] == "posted GR-1"
    assert line["level"] == "WARNING"
    assert line["logger"] == "caixiao.test.format"
    assert line["request_id"] == "req-123"
    assert line["status"] == 200
    assert line["time"].endswith("+00:00")


def test_text_line_names_the_request() -> None:
    assert "[req-123] posted GR-1" in _emit("text")


def test_callers_request_id_is_used_only_when_it_is_a_plain_token() -> None:
    assert accepted_request_id("abc-123_x.y:z") == "abc-123_x.y:z"
    for bad in (None, "", "a b", "x" * 101, "evil\nline"):
        generated = accepted_request_id(bad)
        assert len(generated) == 32 and generated != bad
