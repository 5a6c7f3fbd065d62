"""Log lines as text or JSON, each carrying the id of the HTTP request it belongs to.

The request id comes from the caller's ``X-Request-Id`` (when it is a sane token) or is made up,
is returned in the response's ``X-Request-Id``, and lives in a context variable for the request's
duration, so every log line written while serving it (ours, SQLAlchemy's, uvicorn's) names it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "x-request-id"
_ACCEPTED_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "caixiao_request_id", default=None
)
log = logging.getLogger("caixiao.request")


def current_request_id() -> str | None:
    return request_id_var.get()


def accepted_request_id(header: str | None) -> str:
    """The caller's id when it is a plain token of at most 100 characters; else a fresh one."""
    if header is not None and _ACCEPTED_ID.match(header):
        return header
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "request_id",
    # uvicorn's copy of the message with terminal colours
    "color_message",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def log_handler(log_format: str, stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(log_format: str) -> None:
    """Route the root logger and uvicorn's loggers through one handler in ``log_format``."""
    handler = log_handler(log_format)
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "caixiao", False)]:
        root.removeHandler(existing)
    handler.caixiao = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if root.level == logging.WARNING:
        root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_log = logging.getLogger(name)
        uvicorn_log.handlers.clear()
        uvicorn_log.propagate = True


class RequestIdMiddleware:
    """Sets the request id for HTTP requests and WebSockets, returns it, logs each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        raw = headers.get(REQUEST_ID_HEADER.encode())
        request_id = accepted_request_id(raw.decode("latin-1") if raw is not None else None)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                message = {**message, "headers": [*message.get("headers", []),
                                                  (REQUEST_ID_HEADER.encode(),
                                                   request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                log.info("%s %s %s", scope["method"], scope["path"],
                         status[0] if status else "-",
                         extra={"method": scope["method"], "path": scope["path"],
                                "status": status[0] if status else None,
                                "duration_ms": round((time.perf_counter() - started) * 1000, 1)})
            request_id_var.reset(token)
