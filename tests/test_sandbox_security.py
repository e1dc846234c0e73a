"""The security lab: each challenge's exploit reveals this installation's flag, the honest use of
the same route reveals none, the lab is marked and off by default, and its one outbound fetch
never leaves the process."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from sandbox_api.app import create_app
from sandbox_api.feature import SandboxConfigError
from sandbox_api.features.security.canary import CREDENTIALS_PATH, METADATA_HOST
from sandbox_api.lab_flags import CHALLENGES, flag_for, install_secret, is_flag
from sandbox_api.settings import SandboxSettings

SECRET = bytes(range(32))


@pytest.fixture
def lab(tmp_path: Path) -> FastAPI:
    return create_app(SandboxSettings(db_path=tmp_path / "lab.sqlite", labs=frozenset({"security"}),
                                      lab_secret=SECRET))


@pytest.fixture
async def shop(lab: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=lab, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        yield client


async def login(shop: httpx.AsyncClient, username: str = "alice", password: str = "wonderland") -> dict:
    response = await shop.post("/lab/v1/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def flag(challenge: str) -> str:
    return flag_for(SECRET, challenge)


def test_every_challenge_has_its_own_category_and_flag():
    assert len(CHALLENGES) >= 8
    assert len({c.category for c in CHALLENGES}) == len(CHALLENGES)
    assert len({flag(c.id) for c in CHALLENGES}) == len(CHALLENGES)


def test_two_installations_never_share_a_flag(tmp_path: Path):
    first, second = install_secret(tmp_path / "one"), install_secret(tmp_path / "two")
    assert first != second and flag_for(first, "bola") != flag_for(second, "bola")
    assert install_secret(tmp_path / "one") == first  # made once, then kept
    assert stat.S_IMODE((tmp_path / "one" / "lab-secret").stat().st_mode) == 0o600


def test_a_damaged_secret_says_what_to_do(tmp_path: Path):
    (tmp_path / "lab-secret").write_text("not hex")
    with pytest.raises(ValueError, match="delete it to make a new one"):
        install_secret(tmp_path)


def test_a_flag_is_checked_exactly():
    assert is_flag(SECRET, "bola", f"  {flag('bola')}\n")
    assert not is_flag(SECRET, "bola", flag("bfla"))
    assert not is_flag(SECRET, "bola", flag("bola").upper())
    assert not is_flag(SECRET, "bola", "apilab{é}")


def test_the_lab_is_off_unless_switched_on(tmp_path: Path):
    app = create_app(SandboxSettings(db_path=tmp_path / "plain.sqlite"))
    assert not any(getattr(r, "path", "").startswith("/lab") for r in app.routes)
    with pytest.raises(SandboxConfigError, match="--lab security"):
        create_app(SandboxSettings(db_path=tmp_path / "x.sqlite", features=frozenset({"security"})))


async def test_every_answer_and_the_docs_say_it_is_vulnerable(shop: httpx.AsyncClient):
    for path in ("/lab/challenges", "/lab/v1/products", "/books", "/openapi.json"):
        response = await shop.get(path)
        assert "vulnerable on purpose" in response.headers["X-Apilab-Lab"], path
    document = (await shop.get("/openapi.json")).json()
    assert "vulnerable on purpose" in document["info"]["title"]
    assert "/lab/v0/users" not in document["paths"]  # forgotten: that is the point of API9


async def test_reading_your_own_order_is_no_exploit_but_anothers_is(shop: httpx.AsyncClient):
    alice = await login(shop)
    own = (await shop.get("/lab/v1/orders", headers=alice)).json()["items"]
    assert own and all(o["user_id"] == own[0]["user_id"] for o in own)
    mine = await shop.get(f"/lab/v1/orders/{own[0]['id']}", headers=alice)
    assert mine.status_code == 200 and "flag" not in mine.json()
    others = next(i for i in range(1, 10) if i not in {o["id"] for o in own})
    stolen = await shop.get(f"/lab/v1/orders/{others}", headers=alice)
    assert stolen.json()["flag"] == flag("bola")


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def test_a_token_nobody_signed_is_believed(shop: httpx.AsyncClient):
    honest = await shop.get("/lab/v1/me", headers=await login(shop))
    assert honest.json()["username"] == "alice" and "flag" not in honest.json()
    forged = _unsigned({"sub": "2", "exp": 4_000_000_000})
    answer = await shop.get("/lab/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert answer.json()["username"] == "bob" and answer.json()["flag"] == flag("alg-none")
    tampered = (await login(shop))["Authorization"][:-3] + "AAA"
    assert (await shop.get("/lab/v1/me", headers={"Authorization": tampered})).status_code == 401


async def test_sign_up_keeps_a_role_it_was_never_meant_to_take(shop: httpx.AsyncClient):
    plain = await shop.post("/lab/v1/users", json={"username": "carol", "password": "longenough",
                                                   "email": "carol@example.org"})
    assert plain.status_code == 201 and plain.json()["role"] == "customer" and "flag" not in plain.json()
    admin = await shop.post("/lab/v1/users", json={"username": "mallory", "password": "longenough",
                                                   "email": "m@example.org", "role": "admin"})
    assert admin.json()["role"] == "admin" and admin.json()["flag"] == flag("mass-assignment")
    again = await shop.post("/lab/v1/users", json={"username": "carol", "password": "longenough",
                                                   "email": "carol@example.org"})
    assert again.status_code == 409


async def test_a_page_with_no_ceiling(shop: httpx.AsyncClient):
    page = (await shop.get("/lab/v1/products")).json()
    assert len(page["items"]) == 20 and "flag" not in page
    everything = (await shop.get("/lab/v1/products", params={"limit": 100000})).json()
    assert len(everything["items"]) == 240 and everything["flag"] == flag("page-size")


async def test_an_error_tells_the_configuration(shop: httpx.AsyncClient):
    assert (await shop.get("/lab/v1/products", params={"sort": "-price"})).status_code == 200
    error = await shop.get("/lab/v1/products", params={"sort": "popularity"})
    assert error.status_code == 400
    assert any("Traceback" in line for line in error.json()["traceback"])
    assert error.json()["settings"]["PAYMENT_API_KEY"] == flag("stack-trace")


async def test_any_customer_may_use_the_admin_function(shop: httpx.AsyncClient):
    bob = await login(shop, "bob", "builder")
    deleted = await shop.delete("/lab/v1/admin/users/1", headers=bob)
    assert deleted.json() == {"deleted": 1, "flag": flag("bfla")}
    assert (await shop.delete("/lab/v1/admin/users/1", headers=bob)).status_code == 404
    assert (await shop.delete("/lab/v1/admin/users/2")).status_code == 401


async def test_the_welcome_coupon_pays_every_time(shop: httpx.AsyncClient):
    alice = await login(shop)
    first = (await shop.post("/lab/v1/coupons/redeem", json={"code": "WELCOME10"}, headers=alice)).json()
    assert first["balance_cents"] == 1000 and "flag" not in first
    second = (await shop.post("/lab/v1/coupons/redeem", json={"code": "WELCOME10"}, headers=alice)).json()
    assert second["balance_cents"] == 2000 and second["flag"] == flag("coupon-reuse")


async def test_the_avatar_fetcher_reaches_the_metadata_service_and_nothing_else(shop: httpx.AsyncClient):
    alice = await login(shop)
    image = await shop.put("/lab/v1/me/avatar", json={"url": "http://images.bookshop.test/a.svg"},
                           headers=alice)
    assert image.json()["fetched"]["content_type"] == "image/svg+xml"
    stolen = await shop.put("/lab/v1/me/avatar", headers=alice,
                            json={"url": f"http://{METADATA_HOST}{CREDENTIALS_PATH}"})
    assert json.loads(stolen.json()["fetched"]["body"])["Token"] == flag("ssrf")
    # no other host is reached, however it is named: the fetcher's only transport is in process
    for url in ("http://127.0.0.1:1/", "http://example.com/", "https://[::1]/x"):
        answer = (await shop.put("/lab/v1/me/avatar", json={"url": url}, headers=alice)).json()
        assert answer["fetched"]["status"] == 502 and "no such host in the lab" in answer["fetched"]["body"]


async def test_version_zero_was_forgotten(shop: httpx.AsyncClient):
    leaked = (await shop.get("/lab/v0/users")).json()
    assert leaked["flag"] == flag("old-version")
    assert all("password_hash" in user for user in leaked["items"])


async def test_the_flag_checker_never_tells_a_flag(shop: httpx.AsyncClient):
    right = await shop.post("/lab/flags/check", json={"challenge": "bola", "flag": flag("bola")})
    wrong = await shop.post("/lab/flags/check", json={"challenge": "bola", "flag": flag("bfla")})
    assert right.json() == {"challenge": "bola", "correct": True}
    assert wrong.json() == {"challenge": "bola", "correct": False}
    unknown = await shop.post("/lab/flags/check", json={"challenge": "nope", "flag": "x"})
    assert unknown.status_code == 404 and "/lab/challenges" in unknown.json()["detail"]
    listed = (await shop.get("/lab/challenges")).json()["items"]
    assert [c["id"] for c in listed] == [c.id for c in CHALLENGES]
    assert SECRET.hex() not in json.dumps(listed) and "apilab{" not in json.dumps(listed)


async def test_a_url_the_fetcher_cannot_read_is_a_422(shop: httpx.AsyncClient):
    alice = await login(shop)
    for url in ("http://", "https://[::1/"):
        answer = await shop.put("/lab/v1/me/avatar", json={"url": url}, headers=alice)
        assert answer.status_code == 422 and "could not fetch" in answer.json()["detail"], url


async def test_an_admin_made_by_sign_up_does_not_get_the_token_flag(shop: httpx.AsyncClient):
    await shop.post("/lab/v1/users", json={"username": "mallory", "password": "longenough",
                                           "email": "m@example.org", "role": "admin"})
    me = await shop.get("/lab/v1/me", headers=await login(shop, "mallory", "longenough"))
    assert me.json()["role"] == "admin" and "flag" not in me.json()
