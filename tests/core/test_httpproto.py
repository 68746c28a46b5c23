"""The HTTP protocol `nexfitra serve` runs (core/httpproto.py): what reaches the socket."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from app.core.httpproto import CoalescingHttpToolsProtocol


class Socket:
    """The transport uvicorn writes to, keeping each write as it was made."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol: Any) -> None:
        pass


def connect(app: Any) -> tuple[CoalescingHttpToolsProtocol, Socket]:
    config = Config(app=app, lifespan="off", log_config=None)
    protocol = CoalescingHttpToolsProtocol(config, ServerState(), {})
    sock = Socket()
    protocol.connection_made(sock)  # type: ignore[arg-type]
    return protocol, sock


async def settle(protocol: CoalescingHttpToolsProtocol) -> None:
    for _ in range(100):
        if not protocol.tasks:
            return
        await asyncio.sleep(0)
    raise AssertionError("the request never finished")


def json_app(body: bytes, status: int = 200) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


GET = b"GET /x HTTP/1.1\r\nhost: t\r\n\r\n"


async def test_a_json_answer_leaves_in_one_write():
    protocol, sock = connect(json_app(b'{"a":1}', 201))
    protocol.data_received(GET)
    await settle(protocol)
    assert len(sock.writes) == 1
    head, body = sock.writes[0].split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 201 Created"
    assert b"content-length: 7" in lines
    assert b"content-type: application/json" in lines
    assert body == b'{"a":1}'
    assert not sock.closed


async def test_keep_alive_answers_each_request_once():
    protocol, sock = connect(json_app(b"[]"))
    protocol.data_received(GET)
    await settle(protocol)
    protocol.data_received(GET)
    await settle(protocol)
    assert len(sock.writes) == 2
    assert all(
        w.startswith(b"HTTP/1.1 200 OK\r\n") and w.endswith(b"\r\n\r\n[]") for w in sock.writes
    )


async def test_head_request_gets_its_head():
    protocol, sock = connect(json_app(b'{"a":1}'))
    protocol.data_received(b"HEAD /x HTTP/1.1\r\nhost: t\r\n\r\n")
    await settle(protocol)
    assert len(sock.writes) == 1
    assert sock.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-length: 7\r\n" in sock.writes[0]
    assert sock.writes[0].endswith(b"\r\n\r\n")


async def test_connection_close_still_sends_the_held_head():
    protocol, sock = connect(json_app(b"{}"))
    protocol.data_received(b"GET /x HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
    await settle(protocol)
    assert len(sock.writes) == 1
    assert sock.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert sock.writes[0].endswith(b"\r\n\r\n{}")
    assert sock.closed


async def test_a_streamed_answer_sends_its_head_before_the_first_chunk():
    first_chunk = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        await first_chunk.wait()
        await send({"type": "http.response.body", "body": b"data: 1\n\n", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    protocol, sock = connect(app)
    protocol.data_received(GET)
    for _ in range(10):
        await asyncio.sleep(0)
    # The client sees the head while the stream waits for its first event.
    assert len(sock.writes) == 1
    assert sock.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"transfer-encoding: chunked\r\n" in sock.writes[0]
    first_chunk.set()
    await settle(protocol)
    assert sock.writes[1:] == [b"9\r\ndata: 1\n\n\r\n", b"0\r\n\r\n"]


async def test_a_body_longer_than_its_length_is_refused_as_before():
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
        )
        await send({"type": "http.response.body", "body": b"too long"})

    protocol, sock = connect(app)
    protocol.data_received(GET)
    await settle(protocol)
    # uvicorn's own check still runs: the body is not sent and the connection closes.
    assert all(b"too long" not in w for w in sock.writes)
    assert sock.closed
