"""The sandbox as an identity provider: OAuth 2 flows, JWT access tokens, API keys, protected
orders and the course tools, exercised in-process over ASGI."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jws, jwt
from joserfc.jwk import KeySet

from sandbox_api.app import create_app
from sandbox_api.features.identity.directory import CLIENTS, USERS, hash_secret
from sandbox_api.settings import SandboxSettings

BASE = "http://127.0.0.1:8000"
REDIRECT = "http://127.0.0.1:9999/callback"
APP = {"client_id": "bookshop-app"}
REPORTS = ("bookshop-reports", "reports-secret")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(SandboxSettings(db_path=tmp_path_factory.mktemp("idp") / "shop.sqlite"))


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE) as c:
        yield c


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def authorize(client, scope="orders:read", user=("alice", "wonderland"), **extra):
    """The authorization request and login; (response, verifier)."""
    verifier, challenge = pkce()
    query = {"response_type": "code", "client_id": "bookshop-app", "redirect_uri": REDIRECT,
             "scope": scope, "state": "s1", "code_challenge": challenge,
             "code_challenge_method": "S256", **extra}
    query = {k: v for k, v in query.items() if v is not None}
    response = await client.post("/oauth/authorize", params=query,
                                 data={"username": user[0], "password": user[1]})
    return response, verifier


async def login(client, scope="orders:read", user=("alice", "wonderland")) -> dict:
    """The whole authorization code flow with PKCE: the token response."""
    response, verifier = await authorize(client, scope, user)
    assert response.status_code == 302, response.text
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    token = await client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, **APP})
    assert token.status_code == 200, token.text
    return token.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_metadata_names_the_issuer_it_was_fetched_from_and_every_endpoint(client):
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == BASE
    assert metadata["jwks_uri"] == f"{BASE}/.well-known/jwks.json"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "implicit" not in metadata["grant_types_supported"]
    assert "password" not in metadata["grant_types_supported"]


async def test_jwks_publishes_public_keys_only_with_their_kid(client):
    response = await client.get("/.well-known/jwks.json")
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    (key,) = response.json()["keys"]
    assert key["kid"] and key["alg"] == "RS256" and key["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


async def test_authorization_code_with_pkce_gives_an_rfc9068_access_token(client):
    response, _ = await authorize(client)
    assert response.headers["location"].startswith(REDIRECT + "?code=")
    assert "state=s1" in response.headers["location"]
    tokens = await login(client, "orders:read orders:write")
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    decoded = jwt.decode(tokens["access_token"], jwks, algorithms=["RS256"])
    assert decoded.header["typ"] == "at+jwt" and decoded.header["kid"]
    claims = decoded.claims
    assert claims["iss"] == BASE and claims["aud"] == "urn:apilab:bookshop"
    assert claims["sub"] == "usr_1f3a9c" and claims["client_id"] == "bookshop-app"
    assert claims["scope"] == "orders:read orders:write"
    assert claims["exp"] > claims["iat"] and claims["jti"]


async def test_the_token_endpoint_refuses_a_wrong_verifier_and_a_reused_code(client):
    response, verifier = await authorize(client)
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **APP}
    wrong = await client.post("/oauth/token", data={**form, "code_verifier": pkce()[0]})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    response, verifier = await authorize(client)
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    form = {**form, "code": code, "code_verifier": verifier}
    assert (await client.post("/oauth/token", data=form)).status_code == 200
    again = await client.post("/oauth/token", data=form)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


async def test_public_clients_must_use_pkce_and_their_exact_redirect_uri(client):
    no_pkce, _ = await authorize(client, code_challenge=None, code_challenge_method=None)
    assert no_pkce.status_code == 302 and "error=invalid_request" in no_pkce.headers["location"]
    elsewhere, _ = await authorize(client, redirect_uri="http://127.0.0.1:9999/callback/evil")
    assert elsewhere.status_code == 400 and "location" not in elsewhere.headers
    wrong_password, _ = await authorize(client, user=("alice", "guess"))
    assert wrong_password.status_code == 200 and "Wrong username or password" in wrong_password.text


async def test_mixing_two_apis_scopes_in_one_token_is_refused(client):
    response, _ = await authorize(client, scope="orders:read notes:read")
    assert "error=invalid_scope" in response.headers["location"]


async def test_refresh_tokens_rotate_and_reuse_revokes_the_family(client):
    tokens = await login(client)
    refresh = {"grant_type": "refresh_token", **APP}
    first = await client.post("/oauth/token", data={**refresh, "refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200 and first.json()["refresh_token"] != tokens["refresh_token"]
    newest = first.json()
    assert (await client.get("/orders", headers=bearer(newest["access_token"]))).status_code == 200
    reused = await client.post("/oauth/token", data={**refresh, "refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    after = await client.post("/oauth/token", data={**refresh, "refresh_token": newest["refresh_token"]})
    assert after.status_code == 400, "the whole family is revoked, the newest refresh token too"
    assert (await client.get("/orders", headers=bearer(newest["access_token"]))).status_code == 401


async def test_client_credentials_need_the_secret_and_give_the_client_as_subject(client):
    bad = await client.post("/oauth/token", data={"grant_type": "client_credentials",
                                                  "scope": "orders:read"}, auth=("bookshop-reports", "x"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    good = await client.post("/oauth/token", data={"grant_type": "client_credentials",
                                                   "scope": "orders:read"}, auth=REPORTS)
    assert good.status_code == 200 and "refresh_token" not in good.json()
    assert good.headers["cache-control"] == "no-store"
    me = await client.get("/me", headers=bearer(good.json()["access_token"]))
    assert me.json()["sub"] == "bookshop-reports"


async def test_revoked_tokens_introspect_as_inactive_and_are_refused(client):
    tokens = await login(client)
    introspect = await client.post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=REPORTS)
    assert introspect.json()["active"] is True and introspect.json()["username"] == "alice"
    public = await client.post("/oauth/introspect", data={"token": tokens["access_token"], **APP})
    assert public.status_code == 401, "introspection is for confidential clients"
    revoked = await client.post("/oauth/revoke", data={"token": tokens["access_token"], **APP})
    assert revoked.status_code == 200
    assert (await client.post("/oauth/introspect", data={"token": tokens["access_token"]},
                              auth=REPORTS)).json() == {"active": False}
    assert (await client.get("/orders", headers=bearer(tokens["access_token"]))).status_code == 401
    await client.post("/oauth/revoke", data={"token": tokens["refresh_token"], **APP})
    again = await client.post("/oauth/token", data={"grant_type": "refresh_token",
                                                    "refresh_token": tokens["refresh_token"], **APP})
    assert again.status_code == 400


async def test_orders_answer_401_and_403_as_rfc6750_says(client):
    none = await client.get("/orders")
    assert none.status_code == 401 and none.headers["www-authenticate"] == 'Bearer realm="bookshop"'
    garbage = await client.get("/orders", headers=bearer("not.a.token"))
    assert garbage.status_code == 401 and 'error="invalid_token"' in garbage.headers["www-authenticate"]
    reader = (await login(client, "orders:read"))["access_token"]
    write = await client.post("/orders", json={"book_id": 1}, headers=bearer(reader))
    assert write.status_code == 403
    assert 'error="insufficient_scope"' in write.headers["www-authenticate"]
    assert 'scope="orders:write"' in write.headers["www-authenticate"]
    in_url = await client.get("/orders", params={"access_token": reader})
    assert in_url.status_code == 400


async def test_another_users_order_is_not_found(client):
    alice = (await login(client, "orders:read orders:write"))["access_token"]
    bob = (await login(client, "orders:read orders:write", ("bob", "builder")))["access_token"]
    created = await client.post("/orders", json={"book_id": 2, "quantity": 2}, headers=bearer(alice))
    assert created.status_code == 201
    location = created.headers["location"]
    assert (await client.get(location, headers=bearer(alice))).status_code == 200
    assert (await client.get(location, headers=bearer(bob))).status_code == 404
    assert (await client.delete(location, headers=bearer(bob))).status_code == 404
    bobs = (await client.get("/orders", headers=bearer(bob))).json()["items"]
    assert created.json()["id"] not in {order["id"] for order in bobs}


async def test_api_keys_are_shown_once_stored_hashed_listed_by_prefix_and_revocable(client, app):
    created = await client.post("/me/api-keys", json={"name": "laptop"}, auth=("bob", "builder"))
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith(created.json()["prefix"]) and len(key) > len(created.json()["prefix"]) + 16
    listed = (await client.get("/me/api-keys", auth=("bob", "builder"))).json()["items"]
    assert all("key" not in item for item in listed)
    with app.state.db.reading() as db:
        assert key not in str(db.execute("SELECT * FROM identity_api_keys").fetchall())
    me = await client.get("/me", headers={"X-API-Key": key})
    assert me.json()["username"] == "bob"
    wrong = await client.get("/me/api-keys", auth=("bob", "nope"))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Basic")
    assert (await client.delete(created.headers["location"], auth=("bob", "builder"))).status_code == 204
    assert (await client.get("/me", headers={"X-API-Key": key})).status_code == 401


async def test_minted_tokens_carry_the_chosen_defect(client):
    expired = (await client.post("/admin/tokens", json={"scope": "orders:read", "expires_in": -600})).json()
    refused = await client.get("/orders", headers=bearer(expired["access_token"]))
    assert refused.status_code == 401 and "expired" in refused.headers["www-authenticate"]
    for defect in ({"not_before_in": 600}, {"audience": "urn:apilab:notes"},
                   {"issuer": "http://127.0.0.1:1"}, {"typ": "JWT"}, {"leave_out": ["aud"]},
                   {"leave_out": ["exp"]}, {"leave_out": ["typ"]}, {"leave_out": ["sub"]},
                   {"audience": ["urn:apilab:notes", "urn:apilab:reports"]}):
        token = (await client.post("/admin/tokens", json={"scope": "orders:read", **defect})).json()
        for name in defect.get("leave_out", []):
            assert name not in token["claims"] and name not in token["header"], defect
            signed = jws.extract_compact(token["access_token"].encode())
            assert name not in signed.protected and name not in json.loads(signed.payload), defect
        assert (await client.get("/orders", headers=bearer(token["access_token"]))).status_code == 401, defect
    fine = (await client.post("/admin/tokens", json={"scope": "orders:read"})).json()
    assert (await client.get("/orders", headers=bearer(fine["access_token"]))).status_code == 200
    # A token for several APIs (aud a list, RFC 7519 §4.1.3) opens each of them.
    several = (await client.post("/admin/tokens", json={
        "scope": "orders:read", "audience": ["urn:apilab:notes", fine["claims"]["aud"]]})).json()
    assert several["claims"]["aud"] == ["urn:apilab:notes", fine["claims"]["aud"]]
    assert (await client.get("/orders", headers=bearer(several["access_token"]))).status_code == 200


async def test_course_tools_answer_only_on_loopback(app):
    transport = httpx.ASGITransport(app, client=("192.0.2.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as remote:
        assert (await remote.post("/admin/keys/rotate")).status_code == 403
        assert (await remote.post("/admin/tokens", json={})).status_code == 403


async def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_a_new_kid(client):
    old = (await client.post("/admin/tokens", json={"scope": "orders:read"})).json()
    rotated = (await client.post("/admin/keys/rotate")).json()
    assert old["header"]["kid"] in rotated["published"] and rotated["kid"] != old["header"]["kid"]
    new = (await client.post("/admin/tokens", json={"scope": "orders:read"})).json()
    assert new["header"]["kid"] == rotated["kid"]
    for token in (old, new):
        assert (await client.get("/orders", headers=bearer(token["access_token"]))).status_code == 200


async def test_ids_that_are_not_ids_are_simply_not_found(client):
    token = bearer((await login(client, "orders:read orders:write"))["access_token"])
    for path in ("/orders/abc", "/orders/99999999999999999999999", "/orders/0"):
        assert (await client.get(path, headers=token)).status_code == 404, path
        assert (await client.delete(path, headers=token)).status_code == 404, path
    huge = await client.post("/orders", json={"book_id": 10**20}, headers=token)
    assert huge.status_code == 422
    gone = await client.delete("/me/api-keys/not-a-number", auth=("alice", "wonderland"))
    assert gone.status_code == 404


async def test_a_refresh_may_narrow_the_scope_and_the_grant_keeps_its_own(client):
    tokens = await login(client, "orders:read orders:write")
    refresh = {"grant_type": "refresh_token", **APP}
    narrow = await client.post("/oauth/token", data={**refresh, "scope": "orders:read",
                                                     "refresh_token": tokens["refresh_token"]})
    assert narrow.status_code == 200 and narrow.json()["scope"] == "orders:read"
    wide_again = await client.post("/oauth/token", data={**refresh, "scope": "orders:write",
                                                         "refresh_token": narrow.json()["refresh_token"]})
    assert wide_again.status_code == 200 and wide_again.json()["scope"] == "orders:write"
    more = await client.post("/oauth/token", data={**refresh, "scope": "notes:read",
                                                   "refresh_token": wide_again.json()["refresh_token"]})
    assert more.json()["error"] == "invalid_scope", "never more than was granted"


def test_the_directory_keeps_the_hashes_of_the_passwords_the_lessons_give():
    # Written out in the source (scrypt is slow at every start): they must stay the hashes of
    # what lesson 2's README and notebook tell learners to log in with, and nothing else.
    assert USERS["alice"].check_password("wonderland") and USERS["bob"].check_password("builder")
    assert not USERS["alice"].check_password("builder")
    assert CLIENTS["bookshop-reports"].check_client_secret("reports-secret")
    assert USERS["alice"].password_hash == hash_secret("wonderland", USERS["alice"].sub)
