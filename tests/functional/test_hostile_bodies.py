"""Hostile request bodies against a real `dockyard` process: the body limit holds while the
body streams in, whether it is chunked or claims a smaller Content-Length."""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit

from conftest import Server

CHUNK = b"x" * 65536
LIMIT = 114688  # [api] max_request_body_size default


def _send_until_answered(server: Server, head: bytes, chunked: bool) -> tuple[bytes, int]:
    """Send `head`, then body chunks until the server answers; (answer, body bytes sent)."""
    url = urlsplit(server.url)
    sent = 0
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head)
        # 64 MiB at most: a server that reads everything first answers only at the very end.
        for _ in range(1024):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            frame = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK) if chunked else CHUNK
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(CHUNK)
        answer = b""
        while b"}" not in answer.partition(b"\r\n\r\n")[2]:  # the JSON error body
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                # The server answered and closed while body bytes were still arriving: the
                # kernel may drop its answer. What it did not read is what counts here.
                break
            if not data:
                break
            answer += data
    return answer, sent


def test_chunked_body_is_refused_while_streaming(server: Server) -> None:
    head = (
        b"POST /v1/clustertemplates HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    answer, sent = _send_until_answered(server, head, chunked=True)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"larger than the limit" in answer
    # Refused after little more than the limit (plus what the sockets buffer), not at 64 MiB.
    assert sent < 16 * 1024 * 1024, sent


def test_body_longer_than_its_content_length_claim_is_cut(server: Server) -> None:
    # A Content-Length within the limit: h11 stops at the claimed length, so the app never
    # sees more; the answer is a 400 for the bad JSON, not a read of the whole stream.
    head = (
        b"POST /v1/clustertemplates HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    answer, sent = _send_until_answered(server, head, chunked=False)
    assert answer.startswith(b"HTTP/1.1 400") or answer == b"", answer[:200]
    assert sent < 16 * 1024 * 1024, sent
