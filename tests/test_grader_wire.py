"""The bounded HTTP client: what it records, what it reads, where it refuses to go."""

from __future__ import annotations

import httpx
import pytest

from grader import __version__
from grader.recorded import curl_command
from grader.wire import Limits, Received, Wire, WireError
from tests import hostile_servers as hs


@pytest.fixture(scope="module")
def url():
    with hs.serve_app(hs.echo_app()) as base:
        yield base


async def test_an_exchange_is_recorded_with_request_response_and_curl(url):
    async with Wire(url) as wire:
        received = await wire.send("POST", "/echo?x=1", headers={"X-Test": "yes"},
                                   content=b'{"a": 1}')
    assert received.status == 200 and received.media_type == "application/json"
    assert received.json()["body"] == '{"a": 1}'
    [exchange] = wire.exchanges
    assert exchange.request.line == f"POST {url}/echo?x=1"
    assert ("X-Test", "yes") in exchange.request.headers  # as sent, case and all
    assert exchange.request.body == '{"a": 1}'
    assert exchange.response.line == "HTTP/1.1 200 OK"
    assert exchange.response.header("Content-Type") == "application/json"
    assert exchange.response.body_size == len(received.body)
    assert exchange.elapsed_ms > 0 and exchange.error is None
    assert exchange.curl == (f"curl -i -X POST '{url}/echo?x=1' -H 'X-Test: yes' "
                             "--data-raw '{\"a\": 1}'")


async def test_the_grader_names_itself_and_ignores_proxy_settings(url, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:1")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:1")
    async with Wire(url) as wire:
        received = await wire.send("GET", "/echo")
    assert received.json()["headers"]["user-agent"] == f"apilab-grader/{__version__}"


async def test_the_body_is_read_up_to_the_cap_and_marked_cut(url):
    limits = Limits(max_body_bytes=1000, excerpt_chars=100)
    async with Wire(url, limits) as wire:
        received = await wire.send("GET", "/big?n=50000")
    assert received.truncated and len(received.body) == 1000
    response = wire.exchanges[0].response
    assert response.body_truncated and response.body_size == 1000 and len(response.body) == 100
    with pytest.raises(WireError, match="cut off"):
        received.json()


async def test_a_small_body_is_not_marked_cut(url):
    async with Wire(url, Limits(max_body_bytes=1000)) as wire:
        received = await wire.send("GET", "/big?n=999")
    assert not received.truncated and len(received.body) == 999


async def test_a_gzip_body_is_decoded(url):
    async with Wire(url) as wire:
        received = await wire.send("GET", "/gzip")
    assert received.json() == {"zipped": True}


@pytest.mark.parametrize(("path", "words"), [
    ("/text", "not valid JSON"),
    ("/empty", "empty where JSON was expected"),
])
async def test_json_says_why_a_body_is_not_json(url, path, words):
    async with Wire(url) as wire:
        received = await wire.send("GET", path)
    with pytest.raises(WireError, match=words):
        received.json()


@pytest.mark.parametrize(("body", "words"), [
    ('{"title": "Dune"}'.encode("utf-16"), "not UTF-8"),  # UTF-16 with its BOM
    ('{"title": "Dune"}'.encode("utf-16-le"), "not valid JSON"),  # UTF-8 bytes, and NULs
    ('{"title": "Dune"}'.encode("utf-8-sig"), "byte order mark"),
])
def test_json_is_utf_8_without_a_byte_order_mark_as_on_the_wire(body, words):
    # Python's json reader would guess each of these and parse it; a client in another
    # language reads UTF-8 (RFC 8259 §8.1).
    received = Received(200, "OK", "HTTP/1.1", httpx.Headers({"content-type": "application/json"}),
                        body, False, "http://x/")
    with pytest.raises(WireError, match=words):
        received.json()


async def test_redirects_are_not_followed_unless_asked(url):
    async with Wire(url) as wire:
        received = await wire.send("GET", "/redirect?to=/echo")
        assert received.status == 302
        followed = await wire.send("GET", "/redirect?to=/echo", follow_redirects=True)
    assert followed.status == 200 and followed.url == f"{url}/echo"
    assert len(wire.exchanges) == 3  # the second send recorded both hops


async def test_see_other_after_post_becomes_get(url):
    async with Wire(url) as wire:
        received = await wire.send("POST", "/see-other", content=b"x", follow_redirects=True)
    assert received.json()["method"] == "GET"


@pytest.mark.parametrize("target", ["http://evil.example/", "http://127.0.0.2/echo",
                                    "https://127.0.0.1/echo"])
async def test_a_redirect_off_the_host_is_refused(url, target):
    async with Wire(url) as wire:
        with pytest.raises(WireError, match="not on your server"):
            await wire.send("GET", f"/redirect?to={target}", follow_redirects=True)
    assert len(wire.exchanges) == 1


async def test_an_absolute_url_elsewhere_is_refused_before_sending(url):
    async with Wire(url) as wire:
        with pytest.raises(WireError, match="not on your server"):
            await wire.send("GET", "http://192.0.2.1/")
    assert wire.exchanges == []


async def test_a_redirect_loop_ends(url):
    async with Wire(url) as wire:
        with pytest.raises(WireError, match="more than 5 redirects"):
            await wire.send("GET", "/loop", follow_redirects=True)
    assert len(wire.exchanges) == 6


async def test_a_request_that_cannot_be_encoded_is_a_wire_error(url):
    async with Wire(url) as wire:
        with pytest.raises(WireError, match="cannot build the request"):
            await wire.send("GET", "/echo", headers={"X-Bad": "\ud800"})


async def test_nothing_listening_is_named():
    async with Wire(f"http://127.0.0.1:{hs.free_port()}") as wire:
        with pytest.raises(WireError, match="nothing is listening on 127.0.0.1"):
            await wire.send("GET", "/")
    assert "nothing is listening" in wire.exchanges[0].error


@pytest.mark.parametrize(("base", "path", "full"), [
    ("http://127.0.0.1:1", "/books", "http://127.0.0.1:1/books"),
    ("http://127.0.0.1:1", "books?x=1", "http://127.0.0.1:1/books?x=1"),
    ("http://127.0.0.1:1/api", "/books", "http://127.0.0.1:1/api/books"),
    ("http://127.0.0.1:1", "http://127.0.0.1:1/other", "http://127.0.0.1:1/other"),
])
def test_url_for(base, path, full):
    assert Wire(base).url_for(path) == full


@pytest.mark.parametrize(("args", "command"), [
    (("GET", "http://h/x", {}, None), "curl -i http://h/x"),
    (("HEAD", "http://h/x", {}, None), "curl -I http://h/x"),
    (("DELETE", "http://h/x", {}, None), "curl -i -X DELETE http://h/x"),
    (("POST", "http://h/x", {"A": "it's"}, b"{}"),
     "curl -i -X POST http://h/x -H 'A: it'\"'\"'s' --data-raw '{}'"),
])
def test_curl_command(args, command):
    assert curl_command(*args) == command


async def test_a_link_to_localhost_reaches_the_server_graded_at_127_0_0_1(url):
    assert url.startswith("http://127.0.0.1:")
    as_localhost = url.replace("127.0.0.1", "localhost") + "/echo"
    async with Wire(url) as wire:
        received = await wire.send("GET", as_localhost)
    assert received.status == 200
    assert wire.exchanges[0].request.url == f"{url}/echo"  # sent where the server listens


async def test_a_link_to_another_host_is_refused_with_what_to_do(url):
    async with Wire(url) as wire:
        with pytest.raises(WireError, match="Use a relative URL such as /books/7"):
            await wire.send("GET", "http://evil.example/steal")
    assert wire.exchanges == []
