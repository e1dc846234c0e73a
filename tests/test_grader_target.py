"""Which servers the grader may talk to: loopback only, unless told otherwise."""

from __future__ import annotations

import pytest

from grader.target import TargetError, check_target, is_loopback, on_server, same_origin


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8001", "http://localhost:8001/", "http://[::1]:8001",
    "http://127.0.0.53:80", "https://api.localhost", "http://LOCALHOST:1",
])
def test_loopback_urls_are_allowed_and_normalised(url):
    assert check_target(url) == url.rstrip("/")


@pytest.mark.parametrize("url", [
    "http://192.0.2.10:8000", "http://10.0.0.1", "http://[2001:db8::1]:80", "http://169.254.169.254",
])
def test_other_hosts_need_allow_remote(url):
    with pytest.raises(TargetError, match="--allow-remote"):
        check_target(url)
    assert check_target(url, allow_remote=True) == url


@pytest.mark.parametrize(("url", "words"), [
    ("ftp://127.0.0.1", "not an http:// or https:// URL"),
    ("127.0.0.1:8001", "not an http:// or https:// URL"),
    ("http://", "not an http:// or https:// URL"),
    ("http://127.0.0.1:8001/?debug=1", "query or fragment"),
    ("http://127.0.0.1:8001/#top", "query or fragment"),
    ("http://127.0.0.1:99999", "invalid port"),
    ("http://127.0.0.1:abc", "invalid port"),
])
def test_unusable_urls_say_what_to_do(url, words):
    with pytest.raises(TargetError, match=words) as caught:
        check_target(url, allow_remote=True)
    assert "--url" in str(caught.value) or "base URL" in str(caught.value)


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.255.0.9", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("books.localhost", True),
    ("10.0.0.1", False), ("0.0.0.0", False), ("::", False), ("192.168.1.1", False),
    ("no-such-host.invalid", False),  # RFC 6761 §6.4: .invalid never resolves
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(("url", "same"), [
    ("http://127.0.0.1:8001/books", True),
    ("http://127.0.0.1:8001", True),
    ("https://127.0.0.1:8001/books", False),
    ("http://127.0.0.2:8001/books", False),
    ("http://127.0.0.1:8002/books", False),
    ("http://localhost:8001/books", False),  # another name is another origin (RFC 6454)
    ("http://evil.example/", False),
])
def test_same_origin(url, same):
    assert same_origin(url, "http://127.0.0.1:8001") is same


def test_default_ports_are_the_same_origin():
    assert same_origin("http://localhost:80/books", "http://localhost")
    assert same_origin("https://localhost/books", "https://localhost:443")
    assert not same_origin("http://localhost:443/", "https://localhost")


@pytest.mark.parametrize(("url", "rewritten"), [
    ("http://127.0.0.1:8001/books/3", "http://127.0.0.1:8001/books/3"),
    ("http://localhost:8001/books/3", "http://127.0.0.1:8001/books/3"),  # the same server
    ("http://[::1]:8001/books/3?x=1", "http://127.0.0.1:8001/books/3?x=1"),
    ("http://localhost:8002/books/3", None),  # another port is another server
    ("https://localhost:8001/books/3", None),
    ("http://127.0.0.2:8001/books/3", None),  # loopback, but not where the server listens
    ("http://evil.example:8001/", None),
])
def test_on_server_accepts_this_machine_under_its_other_names(url, rewritten):
    assert on_server(url, "http://127.0.0.1:8001") == rewritten
