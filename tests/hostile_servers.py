"""Servers that misbehave on purpose, on loopback, for testing that the grader always ends.

`HostileServers` runs one asyncio loop in a background thread and serves each behaviour on its own
free port: `servers.url("silent")`. The behaviours are plain coroutines taking the connection's
reader and writer, so a new one is a few lines. `serve_app` runs a well-behaved ASGI app with
uvicorn in a thread, for tests that need a real server that answers properly.

`exercise(...)` builds a small in-memory `Exercise` from check dicts written like exercise.toml.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import itertools
import json
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from apilab.catalog.models import Exercise
from apilab.ports import free_port

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

HUNDRED_MB = 100 * 1024 * 1024
_CHUNK = b"x" * 65536  # allocated once: streaming it must not show up in the grader's memory


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request head (up to the blank line); b"" when the client left without sending one."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return b""


def head(status: str, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


# --- behaviours -----------------------------------------------------------------------------------


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts, reads the request, never answers; waits until the client gives up."""
    await read_request(reader)
    await reader.read()  # EOF when the grader closes its side


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the request, then closes with SO_LINGER 0 so the client sees a TCP RST."""
    if not await read_request(reader):
        return
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def endless_slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Headers, then a chunked body that trickles a few bytes every 0.2 s, forever."""
    if not await read_request(reader):
        return
    writer.write(head("200 OK", {"Content-Type": "application/json",
                                 "Transfer-Encoding": "chunked"}))
    writer.write(b"1\r\n[\r\n")
    while True:
        writer.write(b"2\r\n1,\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)


async def endless_fast(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Headers, then 64 KiB chunks as fast as the client takes them, forever."""
    if not await read_request(reader):
        return
    writer.write(head("200 OK", {"Content-Type": "application/json",
                                 "Transfer-Encoding": "chunked"}))
    frame = f"{len(_CHUNK):x}\r\n".encode() + _CHUNK + b"\r\n"
    while True:
        writer.write(frame)
        await writer.drain()


async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Declares and streams a 100 MB body (stops early when the client hangs up)."""
    if not await read_request(reader):
        return
    writer.write(head("200 OK", {"Content-Type": "application/json",
                                 "Content-Length": str(HUNDRED_MB)}))
    for _ in range(HUNDRED_MB // len(_CHUNK)):
        writer.write(_CHUNK)
        await writer.drain()


async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers with bytes that are not HTTP, including NULs and a terminal escape sequence."""
    if not await read_request(reader):
        return
    writer.write(b"\x00\xff\xfeSSH-2.0-not-http\x1b[31m\r\n\x07\x00garbage\r\n\r\n")
    await writer.drain()
    writer.close()


def terminal_attacks(text: str) -> Behaviour:
    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answers every request with `text` (terminal escape sequences, C1 controls, bidi
        overrides, markup) in its reason phrase, a header and a JSON body, as UTF-8."""
        while await read_request(reader):
            # a header value may carry any byte from 0x80 up, so C1 and bidi arrive as UTF-8
            in_header = "".join(c for c in text if ord(c) >= 0x20 and c != "\x7f")
            body = json.dumps({"title": text, "detail": text}, ensure_ascii=False).encode() + (
                b"\n" + text.encode())
            writer.write(f"HTTP/1.1 500 Oops {in_header}\r\n".encode() +
                         f"X-Evil: {in_header}\r\nContent-Type: application/json\r\n".encode() +
                         f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()

    return behaviour


def redirect_to(location: str) -> Behaviour:
    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """302 to `location`, which is not the server being graded."""
        if not await read_request(reader):
            return
        writer.write(head("302 Found", {"Location": location, "Content-Length": "0"}))
        await writer.drain()
        writer.close()

    return behaviour


async def bad_json(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Content-Type application/json over a body that is not JSON (with control bytes)."""
    if not await read_request(reader):
        return
    body = b'{"books": [1, 2,, \x1b[2J\x00 <html>oops'
    writer.write(head("200 OK", {"Content-Type": "application/json",
                                 "Content-Length": str(len(body))}) + body)
    await writer.drain()
    writer.close()


async def half_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Declares 1000 bytes, sends 500, then stops without closing."""
    if not await read_request(reader):
        return
    writer.write(head("200 OK", {"Content-Type": "application/json", "Content-Length": "1000"}))
    writer.write(b"[" + b"1," * 249 + b"1")
    await writer.drain()
    await reader.read()


def replies(*responses: bytes, close: bool = True, answers: int | None = None) -> Behaviour:
    """Answers the requests of one connection with `responses` in turn, each sent as is (bytes
    after a response's end, wrong lengths and all); the last one answers any further requests.
    Closes the connection after each answer when `close`, else waits for the next request; after
    `answers` answers on a connection, reads no more requests (and never closes it)."""

    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for number in itertools.count():
            if number == answers:
                await reader.read()  # until the client gives up
                return
            request = await read_request(reader)
            if not request:
                return
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", request)
            await reader.readexactly(int(length.group(1)) if length else 0)
            writer.write(responses[min(number, len(responses) - 1)])
            await writer.drain()
            if close:
                writer.close()
                return

    return behaviour


def slow_ok(delay: float) -> Behaviour:
    async def behaviour(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answers every request with 200 and `[]`, each after `delay` seconds (keep-alive)."""
        while await read_request(reader):
            await asyncio.sleep(delay)
            writer.write(head("200 OK", {"Content-Type": "application/json",
                                         "Content-Length": "2"}) + b"[]")
            await writer.drain()

    return behaviour


# --- the server thread ----------------------------------------------------------------------------


class HostileServers:
    """Each behaviour on its own loopback port, served from one background event loop."""

    def __init__(self, behaviours: dict[str, Behaviour]) -> None:
        self.behaviours = behaviours
        self.ports: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="hostile-servers")
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task] = set()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def serving(self) -> int:
        """How many connections are being served now."""
        return len(self._tasks)

    def __enter__(self) -> HostileServers:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=5)
        return self

    def __exit__(self, *exc_info: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _start(self) -> None:
        for name, behaviour in self.behaviours.items():
            server = await asyncio.start_server(self._guarded(behaviour), "127.0.0.1", 0)
            self._servers.append(server)
            self.ports[name] = server.sockets[0].getsockname()[1]

    def _guarded(self, behaviour: Behaviour) -> Behaviour:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                await behaviour(reader, writer)
            except (ConnectionError, OSError):
                pass  # the grader hung up, which is what it should do
            finally:
                self._tasks.discard(task)
                writer.transport.abort()

        return handle

    async def _stop(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@contextlib.contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True, name="uvicorn-test")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start within 10 s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- exercises ------------------------------------------------------------------------------------


def exercise(*checks: dict[str, Any], slug: str = "hostile", data: dict | None = None,
             fixtures: dict | None = None) -> Exercise:
    """An in-memory exercise from check dicts written like `[[checks]]` in exercise.toml (and
    fixtures like its `[fixtures.NAME]` tables)."""
    filled = [{"why": "RFC 9110 §15: a server answers every request with a complete response",
               **check} for check in checks]
    return Exercise.model_validate({
        "id": str(uuid.uuid4()), "slug": slug, "title": f"Exercise {slug}",
        "lesson": "rest", "points": sum(c["points"] for c in filled), "checks": filled,
        "data": data or {}, "fixtures": fixtures or {},
    })


def get_json_check(check_id: str = "lists-books", *, follow_redirects: bool = False) -> dict:
    """GET /books must answer 200 with a JSON array: the step every hostile case runs."""
    return {
        "id": check_id, "title": "Lists books", "points": 1,
        "steps": [{"method": "GET", "path": "/books", "follow_redirects": follow_redirects,
                   "expect": {"status": 200, "json": {"$": {"type": "array"}}}}],
    }


# --- a well-behaved server ------------------------------------------------------------------------


def echo_app() -> Any:
    """A small FastAPI app for wire and step tests: echoes requests, creates items, redirects."""
    app = FastAPI()
    items: dict[int, dict] = {}

    @app.api_route("/echo", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    async def echo(request: Request) -> dict:
        return {"method": request.method, "path": request.url.path,
                "query": dict(request.query_params), "headers": dict(request.headers),
                "body": (await request.body()).decode("utf-8", "replace")}

    @app.post("/items", status_code=201)
    async def create(request: Request, response: Response) -> dict:
        item_id = len(items) + 1
        items[item_id] = {"id": item_id, **(await request.json())}
        response.headers["Location"] = f"/items/{item_id}"
        response.headers["ETag"] = f'"v{item_id}"'
        return items[item_id]

    @app.get("/items/{item_id}")
    async def read(item_id: int) -> Response:
        if item_id not in items:
            return JSONResponse({"title": "Not Found", "status": 404}, 404,
                                media_type="application/problem+json")
        return JSONResponse(items[item_id])

    @app.get("/redirect")
    async def redirect(to: str, status: int = 302) -> Response:
        return RedirectResponse(to, status_code=status)

    @app.post("/see-other")
    async def see_other() -> Response:
        return RedirectResponse("/echo", status_code=303)

    @app.get("/loop")
    async def loop() -> Response:
        return RedirectResponse("/loop", status_code=302)

    @app.get("/big")
    async def big(n: int) -> Response:
        return Response(b"a" * n, media_type="text/plain")

    @app.get("/gzip")
    async def gzipped() -> Response:
        return Response(gzip.compress(b'{"zipped": true}'), media_type="application/json",
                        headers={"Content-Encoding": "gzip"})

    @app.get("/empty")
    async def empty() -> Response:
        return Response(status_code=204)

    @app.get("/surrogate")
    async def surrogate() -> Response:
        # Valid JSON text whose string is not a character (a lone UTF-16 surrogate).
        return Response(b'{"title": "\\ud800"}', media_type="application/json")

    @app.get("/text")
    async def text() -> Response:
        return Response("plain words", media_type="text/plain")

    return app
