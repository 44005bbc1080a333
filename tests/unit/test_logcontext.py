"""Request and cluster ids reach every log line, in text and JSON."""

from __future__ import annotations

import io
import json
import logging

from dockyard.common import logcontext


def _logger(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logcontext.ContextFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test-{id(stream)}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger, stream


def test_text_lines_carry_ids_inside_the_block_only() -> None:
    logger, stream = _logger(logging.Formatter(logcontext.TEXT_FORMAT))
    with logcontext.bound(request="req-1", cluster="c-1"):
        logger.info("inside")
    logger.info("outside")
    inside, outside = stream.getvalue().splitlines()
    assert "[req req-1] [cluster c-1] inside" in inside
    assert "[req -] [cluster -] outside" in outside


def test_json_lines() -> None:
    logger, stream = _logger(logcontext.JsonFormatter())
    with logcontext.bound(request="req-2"), logcontext.bound(cluster="c-2"):
        logger.warning("hello %s", "there")
    entry = json.loads(stream.getvalue())
    assert entry["request_id"] == "req-2" and entry["cluster_id"] == "c-2"
    assert entry["message"] == "hello there" and entry["level"] == "WARNING"
