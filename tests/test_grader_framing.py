"""The wire reads a response exactly as the server framed it, and says so when the framing lies.

Each case is a real loopback server answering with bytes written by hand (`hostile_servers.replies`):
bodies after HEAD or a 204, Content-Length counting characters or too long, chunked bodies,
HTTP/1.0, interim responses, and several requests on one kept-alive connection.
"""

from __future__ import annotations

import time

import pytest

from grader.wire import Limits, Wire, WireError
from tests import hostile_servers as hs

LIMITS = Limits(connect_timeout=1, read_timeout=0.5, request_timeout=2)
JSON = b"Content-Type: application/json\r\n"
HEAD_BODY = b"HTTP/1.1 200 OK\r\n" + JSON + b"Content-Length: 13\r\n\r\n" + b'{"id": "sev"}'
TEXT = '{"title": "Ça 東京 📚"}'.encode()  # 20 characters, 21 UTF-16 units, 28 bytes
BEHAVIOURS = {
    "head-body": hs.replies(HEAD_BODY),
    "length-in-characters": hs.replies(b"HTTP/1.1 200 OK\r\n" + JSON + b"Content-Length: 20\r\n\r\n" + TEXT),
    "too-long-open": hs.replies(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", close=False),
    "too-long-closed": hs.replies(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
    "no-content-with-body": hs.replies(b"HTTP/1.1 204 No Content\r\n\r\nnull"),
    "lone-crlf-after": hs.replies(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]\r\n"),
    "chunked": hs.replies(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"4;note=x\r\n[1, \r\n3\r\n2]\n\r\n0\r\nX-Trailer: yes\r\n\r\n"),
    "http10-until-close": hs.replies(b"HTTP/1.0 200 OK\r\n" + JSON + b"\r\n" + TEXT),
    "early-hints": hs.replies(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                              b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    "bare-lf-folded": hs.replies(b"HTTP/1.1 200 OK\nX-Long: one\n  two\nSet-Thing: a\n"
                                 b"set-thing: b\nContent-Length: 2\n\nok"),
    # kept alive: the first answer overruns its framing, the second is fine
    "keep-head-body": hs.replies(HEAD_BODY, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                                 close=False),
    "keep-length-chars": hs.replies(b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n" + TEXT,
                                    close=False),
    "keep-ok": hs.replies(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close=False),
    "keep-http10": hs.replies(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", close=False),
    "keep-closes-silently": hs.replies(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    "keep-one-only": hs.replies(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close=False,
                                answers=1),
}


@pytest.fixture(scope="module")
def servers():
    with hs.HostileServers(BEHAVIOURS) as running:
        yield running


async def send(servers, name: str, method: str = "GET", **options):
    async with Wire(servers.url(name), LIMITS) as wire:
        return await wire.send(method, "/books", **options), wire


async def failure(servers, name: str, method: str = "GET") -> tuple[str, Wire]:
    wire = Wire(servers.url(name), LIMITS)
    with pytest.raises(WireError) as raised:
        await wire.send(method, "/books")
    return str(raised.value), wire


async def test_a_body_after_head_fails_with_its_size(servers):
    message, wire = await failure(servers, "head-body", "HEAD")
    assert message.startswith("your server sent 13 bytes of body after HEAD; a HEAD response "
                              "ends after its headers")
    [exchange] = wire.exchanges
    assert exchange.response.status == 200 and exchange.error == message  # both are recorded


async def test_a_check_may_judge_the_bytes_after_the_end_itself(servers):
    received, _ = await send(servers, "head-body", "HEAD", strict_framing=False)
    assert received.body == b"" and received.after_end == b'{"id": "sev"}'


async def test_a_content_length_that_counts_characters_is_named(servers):
    message, _ = await failure(servers, "length-in-characters")
    assert message.startswith("Content-Length says 20, the body was 28 bytes: count bytes, not "
                              "characters (it counts characters;")


@pytest.mark.parametrize(("name", "words"), [
    ("too-long-open", "Content-Length says 10, but only 3 bytes of body came, then nothing for "
                      "0.5 s (hung mid-body)"),
    ("too-long-closed", "Content-Length says 10, but the connection closed after 3 bytes"),
])
async def test_a_content_length_longer_than_the_body_ends_in_bounded_time(servers, name, words):
    started = time.monotonic()
    message, wire = await failure(servers, name)
    assert time.monotonic() - started < LIMITS.request_timeout
    assert words in message
    assert wire.exchanges[0].response.header("Content-Length") == "10"  # the head is shown


async def test_a_body_after_a_204_fails(servers):
    message, _ = await failure(servers, "no-content-with-body")
    assert "4 bytes of body after a 204 response" in message


async def test_a_lone_line_ending_after_a_response_is_forgiven(servers):
    received, _ = await send(servers, "lone-crlf-after")
    assert received.body == b"[]"


async def test_a_chunked_body_is_joined_with_extensions_and_trailers(servers):
    received, _ = await send(servers, "chunked")
    assert received.json() == [1, 2]


async def test_an_http10_body_ends_when_the_connection_closes(servers):
    received, _ = await send(servers, "http10-until-close")
    assert received.http_version == "HTTP/1.0" and received.body == TEXT


async def test_interim_responses_are_skipped(servers):
    received, _ = await send(servers, "early-hints")
    assert received.status == 200 and received.body == b"ok"


async def test_bare_line_feeds_folded_and_repeated_fields_are_read(servers):
    received, wire = await send(servers, "bare-lf-folded")
    assert received.headers["x-long"] == "one two"
    assert received.headers.get_list("SET-THING") == ["a", "b"]
    assert received.headers["set-thing"] == "a, b"
    assert ("set-thing", "b") in wire.exchanges[0].response.headers  # names as the server sent them


async def test_the_request_target_is_percent_encoded_as_sent():
    with hs.serve_app(hs.echo_app()) as url:
        async with Wire(url) as wire:
            received = await wire.send("GET", "/echo?q=a b&t=東")
    assert received.json()["query"] == {"q": "a b", "t": "東"}
    assert wire.exchanges[0].request.url.endswith("/echo?q=a%20b&t=%E6%9D%B1")


# --- kept-alive connections ------------------------------------------------------------------------


async def test_bytes_between_two_responses_are_blamed_on_the_first(servers):
    async with Wire(servers.url("keep-head-body"), LIMITS).connection() as connection:
        with pytest.raises(WireError) as raised:
            await connection.send("HEAD", "/books/7")
            await connection.send("GET", "/books")
    assert "your server sent 13 bytes of body after HEAD" in str(raised.value)


async def test_a_length_in_characters_is_caught_on_a_kept_alive_connection(servers):
    wire = Wire(servers.url("keep-length-chars"), LIMITS)
    async with wire.connection() as connection:
        with pytest.raises(WireError, match="count bytes, not characters"):
            await connection.send("GET", "/books/7")
    assert wire.exchanges[0].error is not None


async def test_one_connection_carries_every_request(servers):
    async with Wire(servers.url("keep-ok"), LIMITS).connection() as connection:
        for _ in range(3):
            assert (await connection.send("GET", "/books")).body == b"ok"
        assert (await connection.send("GET", "/books", close=True)).body == b"ok"
    assert connection.opened == 1


@pytest.mark.parametrize("name", ["keep-http10", "keep-closes-silently"])
async def test_a_server_that_closes_gets_a_new_connection(servers, name):
    async with Wire(servers.url(name), LIMITS).connection() as connection:
        for _ in range(3):
            assert (await connection.send("GET", "/books")).body == b"ok"
    assert connection.opened == 3


async def test_a_server_that_answers_once_per_connection_is_told_why(servers):
    async with Wire(servers.url("keep-one-only"), LIMITS).connection() as connection:
        await connection.send("GET", "/books")
        with pytest.raises(WireError, match="then sent nothing for 0.5 s for the next request"):
            await connection.send("GET", "/books")
