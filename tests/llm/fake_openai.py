"""A tiny OpenAI-compatible server for tests: `POST /v1/chat/completions` on 127.0.0.1.

It runs in the test's event loop on a free port, records every request and answers according
to `mode`, so the real `openai` SDK and its HTTP stack are exercised end to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Mode = Literal[
    "valid",  # 200, message content = `content`
    "fenced",  # 200, `content` inside a ```json fence with chatter around it
    "invalid_json",  # 200, prose instead of JSON
    "schema_violation",  # 200, JSON that breaks the item schema
    "slow",  # waits `delay` seconds, then answers like "valid"
    "http_500",  # 500 with an OpenAI-style error body
    "reject_json_mode",  # 400 when the request asks for JSON mode, else like "valid"
]


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeOpenAI:
    mode: Mode = "valid"
    content: str = '{"items": []}'
    delay: float = 5.0
    requests: list[Recorded] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[Any]] = field(default_factory=set)
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def close(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Wakes slow answers still waiting, so no handler outlives the test.
        self._closing.set()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            request = await self._read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            status, payload = await self._answer(request)
            await self._write(writer, status, payload)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up (timeout) and closed the connection
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> Recorded | None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) < 2:
            return None
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0")))
        body = json.loads(raw) if raw else {}
        return Recorded(parts[0], parts[1], headers, body)

    async def _answer(self, request: Recorded) -> tuple[int, dict[str, Any]]:
        if request.method != "POST" or request.path != "/v1/chat/completions":
            return 404, _error("not found", "invalid_request_error")
        mode = self.mode
        if mode == "http_500":
            return 500, _error("the fake model crashed", "server_error")
        if mode == "reject_json_mode" and "response_format" in request.body:
            return 400, _error("response_format is not supported", "invalid_request_error")
        if mode == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
        content = self.content
        if mode == "fenced":
            content = f"Sure! Here is the JSON:\n```json\n{content}\n```\nEnjoy your meal."
        elif mode == "invalid_json":
            content = "You had some eggs and toast, sounds tasty!"
        elif mode == "schema_violation":
            content = json.dumps({"items": [{"food": "", "quantity": -2, "unit": None}]})
        return 200, _completion(request.body.get("model", "fake"), content)

    @staticmethod
    async def _write(writer: asyncio.StreamWriter, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}
        head = (
            f"HTTP/1.1 {status} {reason.get(status, 'Status')}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()


def _completion(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}
