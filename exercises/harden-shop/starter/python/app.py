"""Harden the shop: your starting point for the security exercise (lesson 5).

Run it:    apilab serve harden-shop        (reloads when you save)
Check it:  apilab check harden-shop

This shop works: customers sign up, log in, manage their orders and webhooks, the admin manages
accounts. It is also full of holes from the OWASP API Security Top 10, each marked `# VULNERABLE`
with what an attacker does. README.md has the contract; fix each hole without breaking a
legitimate flow: `apilab check` tells you, request by request, what still gets through.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import threading
import time
import traceback
import urllib.request
from http import HTTPStatus
from itertools import count
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

ADMIN_PASSWORD = os.environ.get("SHOP_ADMIN_PASSWORD", "correct-horse-battery-staple")
SECRET = "secret"  # VULNERABLE (API2): the first word on every list; crack one token, sign any

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="Harden the shop", redirect_slashes=False)


# --- errors ---------------------------------------------------------------------------------------


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    return JSONResponse(body, status, headers=headers, media_type="application/problem+json")


@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the first matching route's methods; Allow must name every method
        # this URI supports (RFC 9110 §15.5.6), from all the routes that match it.
        methods = {m for route in app.routes if isinstance(route, Route) and route.methods
                   and route.path_regex.match(request.url.path) for m in route.methods}
        headers["Allow"] = ", ".join(m for m in ("GET", "HEAD", "POST", "PATCH", "DELETE") if m in methods)
    return problem(exc.status_code, str(exc.detail), headers)


@app.exception_handler(Exception)
async def debug(request: Request, exc: Exception) -> JSONResponse:
    # VULNERABLE (API8): "debug mode" sends the stack trace, with file paths, to anyone.
    return problem(500, traceback.format_exc())


@app.middleware("http")
async def cors(request: Request, call_next: Any) -> Response:
    response = await call_next(request)
    if origin := request.headers.get("origin"):
        # VULNERABLE (API8): any web page may read a logged-in user's answers.
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    # TODO (API8): Cache-Control: no-store on responses with personal data.
    # TODO (API4): refuse bodies over 64 KiB with 413 before reading them.
    return response


async def json_body(request: Request) -> dict[str, Any]:
    return json.loads(await request.body())  # VULNERABLE (API8): a malformed body is a 500 + trace


# --- tokens: a home-made JWT ----------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(user: dict[str, Any]) -> str:
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    # VULNERABLE (API2): no exp, so a stolen token works forever.
    payload = b64(json.dumps({"sub": str(user["id"]), "iat": int(time.time())}).encode())
    signature = b64(hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def subject_of(token: str) -> str | None:
    try:
        header, payload, signature = token.split(".")
        alg = json.loads(unb64(header))["alg"]
        if alg != "none":  # VULNERABLE (API2): the token chooses whether it is checked at all
            wanted = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(unb64(signature), wanted):
                return None
        return str(json.loads(unb64(payload))["sub"])
    except (ValueError, KeyError, TypeError):
        return None


# --- who is calling -------------------------------------------------------------------------------

USERS: dict[int, dict[str, Any]] = {}
NEXT_USER = count(1)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    return f"{salt.hex()}${hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1).hex()}"


def password_matches(user: dict[str, Any], password: str) -> bool:
    salt, digest = user["password_hash"].split("$")
    mine = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**10, r=8, p=1).hex()
    return hmac.compare_digest(mine, digest)


async def caller(request: Request) -> dict[str, Any]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "this route needs Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": 'Bearer realm="shop"'})
    sub = subject_of(token.strip())
    user = USERS.get(int(sub)) if sub and sub.isdigit() else None
    if user is None:
        raise HTTPException(401, "the access token is not valid",
                            headers={"WWW-Authenticate": 'Bearer realm="shop", error="invalid_token"'})
    return user


async def admin(who: Annotated[dict[str, Any], Depends(caller)]) -> dict[str, Any]:
    return who  # VULNERABLE (API5): any logged-in customer is an admin


Caller = Annotated[dict[str, Any], Depends(caller)]
Admin = Annotated[dict[str, Any], Depends(admin)]


def page_size(request: Request) -> int:
    return int(request.query_params.get("limit", 20))  # VULNERABLE (API4): limit=100000 dumps everything


def add_user(fields: dict[str, Any]) -> dict[str, Any]:
    user_id = next(NEXT_USER)
    password = fields.pop("password")
    USERS[user_id] = {"id": user_id, "role": "customer", **fields, "password_hash": hash_password(password),
                      "failed_logins": 0}
    return USERS[user_id]


add_user({"username": "admin", "password": ADMIN_PASSWORD, "email": "admin@shop.example", "role": "admin"})


def invalid(detail: str) -> HTTPException:
    return HTTPException(422, detail)


# --- users ----------------------------------------------------------------------------------------


@app.post("/users", status_code=201)
async def sign_up(request: Request, response: Response) -> dict[str, Any]:
    body = await json_body(request)
    username = body["username"].strip()  # VULNERABLE (API8): a number here is a 500 with a trace
    # VULNERABLE (API2): any characters in a username ("Bad Name!"), and no longest password
    if not 3 <= len(username) <= 32 or not isinstance(body.get("password"), str) or len(body["password"]) < 8:
        raise invalid("username (3 to 32 characters) and password (8 or more) are required")
    if any(user["username"] == username for user in USERS.values()):
        raise HTTPException(409, f"the username {username} is taken")
    user = add_user(body)  # VULNERABLE (API3): "role": "admin" in the body makes an admin
    response.headers["Location"] = f"/users/{user['id']}"
    return user  # VULNERABLE (API3): the stored record, password hash included


@app.get("/me")
async def me(who: Caller) -> dict[str, Any]:
    return who


@app.patch("/me")
async def update_me(request: Request, who: Caller) -> dict[str, Any]:
    who.update(await json_body(request))  # VULNERABLE (API3): any field, role included
    return who


@app.get("/users/{user_id}")
async def get_user(user_id: int, who: Caller) -> dict[str, Any]:
    if user_id not in USERS:  # VULNERABLE (API1): anyone's account, by counting ids
        raise HTTPException(404, f"there is no user {user_id}")
    return USERS[user_id]


@app.post("/login")
async def login(request: Request) -> dict[str, Any]:
    body = await json_body(request)
    user = next((u for u in USERS.values() if u["username"] == body["username"]), None)
    if user is None:
        raise HTTPException(401, "no such user")  # VULNERABLE (API2): tells which accounts exist
    if not password_matches(user, body["password"]):
        user["failed_logins"] += 1  # VULNERABLE (API2): counted, and never acted on
        raise HTTPException(401, "wrong password")
    return {"access_token": issue_token(user), "token_type": "Bearer", "expires_in": 0}


# --- orders ---------------------------------------------------------------------------------------

ORDERS: dict[int, dict[str, Any]] = {}
NEXT_ORDER = count(1)


def checked_order(body: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    item, quantity = body.get("item"), body.get("quantity")
    if "item" in keys and not (isinstance(item, str) and 1 <= len(item) <= 100):
        raise invalid("item is a string of 1 to 100 characters")
    if not (type(quantity) is int and 1 <= quantity <= 100):
        raise invalid("quantity is a whole number from 1 to 100")
    return {key: body[key] for key in keys}


def find_order(order_id: int, who: dict[str, Any]) -> dict[str, Any]:
    order = ORDERS.get(order_id)
    if order is None:  # VULNERABLE (API1): any order, whoever owns it
        raise HTTPException(404, f"there is no order {order_id}")
    return order


@app.get("/orders")
async def list_orders(who: Caller, limit: Annotated[int, Depends(page_size)]) -> dict[str, Any]:
    return {"items": [o for o in ORDERS.values() if o["owner"] == who["id"]][:limit]}


@app.post("/orders", status_code=201)
async def create_order(request: Request, response: Response, who: Caller) -> dict[str, Any]:
    fields = checked_order(await json_body(request), ("item", "quantity"))
    order_id = next(NEXT_ORDER)
    ORDERS[order_id] = {"id": order_id, **fields, "status": "pending", "owner": who["id"]}
    response.headers["Location"] = f"/orders/{order_id}"
    deliver(who["id"], {"event": "order.created", "order": ORDERS[order_id]})
    return ORDERS[order_id]


@app.get("/orders/{order_id}")
async def get_order(order_id: int, who: Caller) -> dict[str, Any]:
    return find_order(order_id, who)


@app.patch("/orders/{order_id}")
async def change_order(order_id: int, request: Request, who: Caller) -> dict[str, Any]:
    order = find_order(order_id, who)
    order.update(checked_order(await json_body(request), ("quantity",)))
    return order


@app.delete("/orders/{order_id}", status_code=204)
async def delete_order(order_id: int, who: Caller) -> Response:
    del ORDERS[find_order(order_id, who)["id"]]
    return Response(status_code=204)


# --- admin ----------------------------------------------------------------------------------------


@app.get("/admin/users")
async def list_users(who: Admin, limit: Annotated[int, Depends(page_size)]) -> dict[str, Any]:
    return {"items": list(USERS.values())[:limit]}


@app.delete("/admin/users/{user_id}", status_code=204)
async def delete_user(user_id: int, who: Admin) -> Response:
    if USERS.pop(user_id, None) is None:
        raise HTTPException(404, f"there is no user {user_id}")
    return Response(status_code=204)


# VULNERABLE (API9): version 0, kept "for the old mobile app", with no authentication at all.
@app.get("/v0/users")
async def v0_users() -> list[dict[str, Any]]:
    return list(USERS.values())


@app.get("/v0/orders")
async def v0_orders() -> list[dict[str, Any]]:
    return list(ORDERS.values())


# --- webhooks -------------------------------------------------------------------------------------

WEBHOOKS: dict[int, dict[str, Any]] = {}
NEXT_WEBHOOK = count(1)


@app.post("/webhooks", status_code=201)
async def add_webhook(request: Request, who: Caller) -> dict[str, Any]:
    url = (await json_body(request)).get("url")
    if not isinstance(url, str) or not url:
        raise invalid("url is required")
    # VULNERABLE (API7): any URL, so the shop will POST to 127.0.0.1, 169.254.169.254, 10.x...
    webhook_id = next(NEXT_WEBHOOK)
    WEBHOOKS[webhook_id] = {"id": webhook_id, "url": url, "owner": who["id"]}
    return WEBHOOKS[webhook_id]


@app.get("/webhooks")
async def list_webhooks(who: Caller) -> dict[str, Any]:
    return {"items": [hook for hook in WEBHOOKS.values() if hook["owner"] == who["id"]]}


def deliver(owner: int, event: dict[str, Any]) -> None:
    """POST `event` to the owner's webhooks, in the background."""
    for hook in [h for h in WEBHOOKS.values() if h["owner"] == owner]:
        request = urllib.request.Request(hook["url"], json.dumps(event).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        threading.Thread(target=lambda r=request: _send(r), daemon=True).start()


def _send(request: urllib.request.Request) -> None:
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=3).close()  # follows redirects, anywhere
