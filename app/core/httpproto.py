"""uvicorn's httptools protocol, sending a response's head and body in one socket write.

uvicorn writes the status line and headers on `http.response.start` and the body on
`http.response.body`: two `send` system calls and, with TCP_NODELAY, two segments for every
JSON answer, which the client then reads in two wakeups. Under load the second write cost the
API about a tenth of the CPU it spends on a log write (benchmarks/overhead.py). Here, when the
head gives a Content-Length (the whole body is known: every JSON answer), the head waits for
the first body message and leaves with it. Streamed answers (chunked: server-sent events,
streaming responses) keep uvicorn's order exactly: their head is written at once, so a client
sees it before the first event. Nothing else of uvicorn's behaviour changes; the checks and the
bookkeeping (Content-Length accounting, keep-alive, HEAD, 100-continue) are still uvicorn's
own code, which writes to a stand-in for the transport while its bytes are held.

`nexfitra serve` passes this class to uvicorn as its `http` protocol (app/cli.py).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

PROTOCOL = "app.core.httpproto:CoalescingHttpToolsProtocol"


class _Held:
    """Takes what uvicorn writes for a response head instead of the transport."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


class _HeadFirst:
    """The transport, writing the held head with the first body bytes (or on close)."""

    __slots__ = ("head", "transport")

    def __init__(self, transport: Any, head: bytes) -> None:
        self.transport = transport
        self.head: bytes | None = head

    def flush(self) -> None:
        if self.head is not None:
            self.transport.write(self.head)
            self.head = None

    def write(self, data: bytes) -> None:
        head, self.head = self.head, None
        self.transport.write(head + data if head is not None else data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return bool(self.transport.is_closing())


class CoalescingCycle(RequestResponseCycle):
    """A request/response cycle whose head waits for the body when the body's length is known."""

    _head: bytes | None = None

    async def send(self, message: Any) -> None:  # the ASGI send callable
        head = self._head
        if head is not None:
            self._head = None
            transport = self.transport
            first = _HeadFirst(transport, head)
            self.transport = first  # type: ignore[assignment]
            try:
                await super().send(message)
            finally:
                self.transport = transport
            if not self.disconnected:
                first.flush()  # nothing written (HEAD, or a body message refused)
            return
        if message["type"] != "http.response.start" or self.response_started:
            await super().send(message)
            return
        # Wait here for a paused transport, so that uvicorn's send below does not await: the
        # stand-in must not outlive the head's write.
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        transport = self.transport
        held = _Held()
        self.transport = held  # type: ignore[assignment]
        try:
            await super().send(message)
        finally:
            self.transport = transport
        if not held.data:
            return
        if self.chunked_encoding is False and not self.response_complete:
            self._head = held.data
        else:
            transport.write(held.data)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # uvicorn builds the cycle by name; its class is swapped before the request's task
        # first runs (the task only looks `send` up then). Same attributes, one method more.
        if type(cycle) is RequestResponseCycle:
            cycle.__class__ = CoalescingCycle
