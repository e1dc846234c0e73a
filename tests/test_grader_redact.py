"""Secrets never leave a run in full: every kind of token, key and password the grader sends or
receives is shortened in the recorded exchange (headers, bodies, URL, curl line) and in the
report that is stored and sent to a hub."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from grader.recorded import KEPT_WHOLE_BYTES, Recorded
from grader.redact import Redactor, shorten
from grader.wire import Wire
from tests import hostile_servers as hs

JWT = jwt.encode({"alg": "RS256", "typ": "at+jwt"}, {"sub": "usr_1", "scope": "notes:read"},
                 RSAKey.generate_key(2048))
API_KEY = "nk_live_4f9a1c2e8b7d6a5f3e2d1c0b"
REFRESH = "r3fr3sh-Xk29dLq0ZmWpT7vYb4nC"
SECRET = "reports-secret-0123"
PASSWORD = "wonderland-42"


@pytest.fixture(scope="module")
def url():
    with hs.serve_app(hs.echo_app()) as base:
        yield base


def everything(exchange: Recorded) -> str:
    """Every text the report keeps of an exchange, as stored (JSON)."""
    return exchange.exchange().model_dump_json()


def assert_hidden(exchange: Recorded, secret: str) -> None:
    stored = everything(exchange)
    assert secret not in stored, f"{secret[:12]}... appears in full"
    assert shorten(secret) in stored or shorten(secret).encode("unicode_escape").decode() in stored


async def test_a_bearer_token_is_shortened_in_headers_echoed_body_and_curl(url):
    async with Wire(url) as wire:
        received = await wire.send("GET", "/echo", headers={"Authorization": f"Bearer {JWT}"})
    assert received.json()["headers"]["authorization"] == f"Bearer {JWT}", "the check sees it all"
    [exchange] = wire.exchanges
    assert_hidden(exchange, JWT)
    assert ("Authorization", f"Bearer {shorten(JWT)}") in exchange.request.headers  # as sent
    assert f"Bearer {JWT[:8]}" in exchange.curl and JWT not in exchange.curl


async def test_an_api_key_header_is_shortened_and_stays_hidden_when_sent_again_in_a_url(url):
    async with Wire(url) as wire:
        await wire.send("GET", "/echo", headers={"X-API-Key": API_KEY})
        await wire.send("GET", f"/echo?api_key={API_KEY}")
    for exchange in wire.exchanges:
        assert_hidden(exchange, API_KEY)
    assert API_KEY not in wire.exchanges[1].request.url


async def test_a_key_issued_in_a_response_body_is_hidden_in_later_requests(url):
    body = json.dumps({"name": "laptop", "key": API_KEY}).encode()
    async with Wire(url) as wire:
        # the echo server answers with the body it got: a response that issues a key
        await wire.send("POST", "/echo", content=body, headers={"Content-Type": "application/json"})
        await wire.send("GET", "/echo", headers={"X-Custom": f"key={API_KEY}"})
    for exchange in wire.exchanges:
        assert_hidden(exchange, API_KEY)


async def test_a_refresh_token_and_a_client_secret_in_a_form_body_are_shortened(url):
    form = f"grant_type=refresh_token&refresh_token={REFRESH}&client_secret={SECRET}".encode()
    async with Wire(url) as wire:
        await wire.send("POST", "/echo", content=form,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    [exchange] = wire.exchanges
    assert_hidden(exchange, REFRESH)
    assert_hidden(exchange, SECRET)
    assert "grant_type=refresh_token" in exchange.request.body, "what is not secret stays readable"


async def test_basic_credentials_and_a_password_in_json_are_shortened(url):
    basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    body = json.dumps({"username": "alice", "password": PASSWORD}).encode()
    async with Wire(url) as wire:
        await wire.send("POST", "/echo", content=body,
                        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/json"})
    [exchange] = wire.exchanges
    assert_hidden(exchange, basic)
    assert_hidden(exchange, PASSWORD)
    assert '"username": "alice"' in exchange.request.body


@pytest.mark.parametrize("size", [100, KEPT_WHOLE_BYTES + 100], ids=["small", "large"])
async def test_a_record_made_late_hides_what_it_hid_when_its_exchange_happened(url, size):
    """A report's record of an exchange is made when the report keeps it, after later exchanges
    taught the run more secrets; it is the record the exchange had when it happened."""
    later_key = "ak_learnt_later_" + "x" * 20
    filler = "." * size
    async with Wire(url) as wire:
        await wire.send("POST", "/echo", content=f'{{"note": "{later_key}", "f": "{filler}"}}'.encode(),
                        headers={"Content-Type": "application/json", "X-API-Key": API_KEY})
        at_the_time = everything(wire.exchanges[0])
        await wire.send("GET", "/echo", headers={"X-API-Key": later_key})
    assert everything(wire.exchanges[0]) == at_the_time
    assert API_KEY not in at_the_time and later_key in at_the_time
    assert_hidden(wire.exchanges[1], later_key)


def test_a_jwt_nobody_named_is_still_recognised_by_its_shape_even_cut_short():
    redactor = Redactor()
    assert JWT not in redactor.text(f"token was {JWT} ok")
    cut = JWT[:300]  # an excerpt that ends in the middle of a token
    assert cut[40:] not in redactor.text(f"...{cut}")


@pytest.mark.parametrize("body", [
    '{"items": [{"id": 1, "meta": {"Access_Token": "SECRET"}}]}',
    '{"password"\t :\n "SECRET"}',
    '{"p\\u0061ssword": "SECRET"}',  # a name spelled with an escape
    '{"note": "a=b", "client_secret": "SECRET"}',
    "grant_type=password&password=SECRET",
    "grant_type=password&p%61ssword=SECRET",
], ids=["nested", "spaced", "escaped", "json-with-equals", "form", "form-escaped"])
def test_a_secret_is_learnt_from_a_body_however_its_name_is_written(body):
    secret = "s3cr3t-" + "9" * 12
    redactor = Redactor()
    redactor.learn_body(body.replace("SECRET", secret))
    assert redactor.text(f"sent {secret} again") == f"sent {shorten(secret)} again"


def test_nothing_is_learnt_from_a_body_that_names_no_secret():
    redactor = Redactor()
    redactor.learn_body('{"title": "password manager", "author": "key-keeper-1234567"}')
    redactor.learn_body("not json, not a form")
    assert redactor.learnt == 0


def test_short_values_are_left_alone():
    redactor = Redactor()
    redactor.learn("abc")
    assert redactor.text("abc def") == "abc def"
