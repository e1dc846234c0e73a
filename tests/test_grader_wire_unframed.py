"""Reading a response without HTTP framing: what a client drops after a 304's head, the grader sees."""

from __future__ import annotations

import asyncio

import pytest

from grader.redact import shorten
from grader.wire import Limits, Wire, WireError
from tests import hostile_servers as hs

PAGE = b'{"title": "Onboarding"}'


async def not_modified_with_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 304 with the page after its head, as a server that changed a 200's status sends it."""
    await hs.read_request(reader)
    writer.write(hs.head("304 Not Modified", {"ETag": '"v1"', "Content-Length": str(len(PAGE))})
                 + PAGE)
    await writer.drain()


async def not_modified(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    request = await hs.read_request(reader)
    writer.write(hs.head("304 Not Modified", {"ETag": '"v1"', "X-Seen": str(len(request))}))
    await writer.drain()


async def keeps_open(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers, then ignores Connection: close and holds the connection open."""
    await hs.read_request(reader)
    writer.write(hs.head("304 Not Modified", {"ETag": '"v1"'}))
    await writer.drain()
    await reader.read()


@pytest.fixture(scope="module")
def servers():
    behaviours = {"with-body": not_modified_with_body, "clean": not_modified,
                  "keeps-open": keeps_open, "silent": hs.silent, "endless": hs.endless_fast}
    with hs.HostileServers(behaviours) as running:
        yield running


async def test_bytes_after_a_304_head_are_the_body(servers):
    async with Wire(servers.url("with-body")) as wire:
        received = await wire.send_unframed("GET", "/pages/a", headers={"If-None-Match": '"v1"'})
    assert received.status == 304 and received.reason == "Not Modified"
    assert received.headers["etag"] == '"v1"'
    assert received.body == PAGE and not received.truncated
    [exchange] = wire.exchanges
    assert exchange.response.body_size == len(PAGE)
    assert ("If-None-Match", '"v1"') in exchange.request.headers
    assert ("Connection", "close") in exchange.request.headers
    assert "If-None-Match: \"v1\"" in exchange.curl


async def test_a_clean_304_has_nothing_after_its_head(servers):
    async with Wire(servers.url("clean")) as wire:
        received = await wire.send_unframed("HEAD", "/pages/a")
    assert received.status == 304 and received.body == b""
    assert int(received.headers["x-seen"]) > 0  # the server did get a whole request head


async def test_a_server_that_keeps_the_connection_open_is_not_waited_for(servers):
    async with Wire(servers.url("keeps-open"), Limits(read_timeout=1.0)) as wire:
        received = await wire.send_unframed("GET", "/")
    assert received.status == 304 and received.body == b""


async def test_an_endless_reply_is_read_up_to_the_cap(servers):
    async with Wire(servers.url("endless"), Limits(max_body_bytes=100_000)) as wire:
        received = await wire.send_unframed("GET", "/")
    assert received.truncated and 99_000 <= len(received.body) < 100_000 + 65536


async def test_a_server_that_never_answers_is_a_wire_error(servers):
    async with Wire(servers.url("silent"), Limits(read_timeout=0.5, request_timeout=2)) as wire:
        with pytest.raises(WireError, match="sent nothing for 0.5 s"):
            await wire.send_unframed("GET", "/")
    assert wire.exchanges[0].error


async def test_only_the_learners_server_is_read(servers):
    async with Wire(servers.url("clean")) as wire:
        with pytest.raises(WireError, match="only"):
            await wire.send_unframed("GET", "http://192.0.2.1/pages/a")


async def test_a_raw_read_hides_the_runs_secrets_like_every_exchange(servers):
    secret = "s3cr3t-api-key-0123456789"
    async with Wire(servers.url("clean")) as wire:
        await wire.send_unframed("GET", "/pages/a", headers={"X-API-Key": secret})
    [exchange] = wire.exchanges
    assert secret not in exchange.exchange().model_dump_json()
    assert ("X-API-Key", shorten(secret)) in exchange.request.headers
