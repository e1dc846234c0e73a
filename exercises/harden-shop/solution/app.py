"""Harden the shop: the reference solution of the security exercise (lesson 5).

Run it from this folder with `uvicorn app:app --port 8001`, then `apilab check harden-shop`.

The same shop as the starter, with every weakness of the README closed. Read it top to bottom:
configuration, errors, the body limit, tokens, who is calling, users, login throttling, orders,
admin routes, webhooks. Everything lives in memory, so it is gone when the server stops.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import math
import os
import secrets
import socket
import threading
import time
import urllib.request
from http import HTTPStatus
from itertools import count
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry
from pydantic import BaseModel, Field, StrictInt, StrictStr, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

# --- configuration --------------------------------------------------------------------------------

ADMIN_PASSWORD = os.environ.get("SHOP_ADMIN_PASSWORD", "correct-horse-battery-staple")
# Made at every start and never written down: a secret in the code is a secret on GitHub.
SIGNING_KEY = OctKey.import_key(secrets.token_bytes(32))
ALGORITHMS = ["HS256"]  # our allow-list: a token never chooses how it is checked
TOKEN_LIFETIME = 900  # seconds
MAX_BODY = 64 * 1024  # bytes
MAX_FAILURES, LOCKOUT = 5, 2  # failed logins in a row, then seconds locked (README: 1 to 5;
# short, since every grading waits it out, and long enough that a slow request still meets it)
MAX_PAGE = 100
PRIVATE = {"Cache-Control": "no-store"}  # nothing here may be kept by a cache

# redirect_slashes=False: Starlette decodes %2F before routing, so an id of "/" would be
# answered with a redirect to the collection; it names no resource, and is a 404.
app = FastAPI(title="Harden the shop", docs_url=None, redoc_url=None, openapi_url=None,
              redirect_slashes=False)


# --- errors: RFC 9457 problem details, never a stack trace ----------------------------------------


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    return JSONResponse(body, status, headers={**PRIVATE, **(headers or {})},
                        media_type="application/problem+json")


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


@app.exception_handler(RequestValidationError)
async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        return problem(400, "the body is not valid JSON")
    if any(error["loc"][0] == "path" for error in errors):
        return problem(404, f"there is nothing at {request.url.path}")
    # Name the fields, never echo the values: they may be passwords.
    fields = ", ".join(".".join(str(p) for p in error["loc"][1:]) or "body" for error in errors)
    return problem(422, f"invalid: {fields}")


@app.exception_handler(Exception)
async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The details go to our own log; the client learns only that it was not its fault.
    return problem(500, "something went wrong on our side")


# --- the body limit (OWASP API4:2023), before anything reads the body ----------------------------


class BodyLimit:
    """413 for a body over MAX_BODY bytes, whether it says its length or streams in chunks."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.inner(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > MAX_BODY:
            refusal = problem(413, f"a request body may hold at most {MAX_BODY} bytes")
            return await refusal(scope, receive, send)
        seen = 0

        async def bounded() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise HTTPException(413, f"a request body may hold at most {MAX_BODY} bytes")
            return message

        await self.inner(scope, bounded, send)


app.add_middleware(BodyLimit)


@app.middleware("http")
async def private_responses(request: Request, call_next: Any) -> Response:
    response = await call_next(request)
    response.headers.update(PRIVATE)
    return response


# --- tokens: JWTs signed HS256 with our own key (RFC 7519, RFC 8725) ------------------------------


def issue_token(user: dict[str, Any]) -> str:
    now = int(time.time())
    claims = {"sub": str(user["id"]), "iat": now, "exp": now + TOKEN_LIFETIME}
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, SIGNING_KEY, algorithms=ALGORITHMS)


def invalid_token(why: str) -> HTTPException:
    return HTTPException(401, f"the access token is not valid: {why}",
                         headers={"WWW-Authenticate": 'Bearer realm="shop", error="invalid_token"'})


def subject_of(token: str) -> str:
    """The `sub` of a token we signed that has not expired; 401 invalid_token otherwise."""
    try:
        # algorithms=ALGORITHMS: `none`, or any alg we did not choose, is refused by the library.
        decoded = jwt.decode(token, SIGNING_KEY, algorithms=ALGORITHMS)
        JWTClaimsRegistry(exp={"essential": True}, sub={"essential": True}).validate(decoded.claims)
    except (JoseError, ValueError):
        raise invalid_token("its signature or its claims do not hold") from None
    return decoded.claims["sub"]


# --- who is calling -------------------------------------------------------------------------------

USERS: dict[int, dict[str, Any]] = {}  # id -> user, with its password hash: never sent out
NEXT_USER = count(1)


def hash_password(password: str, salt: bytes | None = None) -> str:
    """A salted, deliberately slow hash. The cost (n) is kept low so that a grading run, which
    signs up dozens of accounts and tries a hundred passwords, stays quick (2 ms a hash); a real
    shop raises it until one hash takes about 0.1 s on its servers (OWASP's password storage
    cheat sheet: n = 2**17)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**10, r=8, p=1)
    return f"{salt.hex()}${digest.hex()}"


def password_matches(user: dict[str, Any], password: str) -> bool:
    salt, _ = user["password_hash"].split("$")
    return secrets.compare_digest(hash_password(password, bytes.fromhex(salt)), user["password_hash"])


def public(user: dict[str, Any]) -> dict[str, Any]:
    """What anyone may see of a user: an allow-list of fields, so a new internal one stays inside."""
    return {name: user[name] for name in ("id", "username", "email", "role")}


async def caller(request: Request) -> dict[str, Any]:
    """Authentication: the user the bearer token speaks for, looked up now (a deleted user's
    token stops working; a role comes from the store, never from the token)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "this route needs Authorization: Bearer <token> (POST /login gives one)",
                            headers={"WWW-Authenticate": 'Bearer realm="shop"'})
    user = USERS.get(int(sub)) if (sub := subject_of(token.strip())).isdigit() else None
    if user is None:
        raise invalid_token("its user no longer exists")
    return user


async def admin(who: Annotated[dict[str, Any], Depends(caller)]) -> dict[str, Any]:
    """Function-level authorization (OWASP API5:2023): admins only, 403 for everyone else."""
    if who["role"] != "admin":
        raise HTTPException(403, "this route is for admins")
    return who


Caller = Annotated[dict[str, Any], Depends(caller)]
Admin = Annotated[dict[str, Any], Depends(admin)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]  # a huge page is refused, not served


def body_of(model: type[BaseModel]) -> Any:
    """The body as `model`, read only once the caller is known. Authentication comes first: a
    request without a valid token is 401 whatever its body holds. FastAPI parses a body
    parameter before it runs any dependency, so a route that needs a token reads its body here,
    in a dependency that needs the caller first, and a stranger costs it no parsing."""

    async def read(request: Request, who: Caller) -> BaseModel:
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != "application/json":
            raise HTTPException(422, "the body must be JSON, sent as Content-Type: application/json")
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as exc:  # malformed JSON is 400, a wrong field 422: invalid_request
            raise RequestValidationError([{**error, "loc": ("body", *error["loc"])}
                                          for error in exc.errors()]) from None

    return Depends(read)


# --- users ----------------------------------------------------------------------------------------


class SignUp(BaseModel):
    """Only what a customer may choose. `role`, `is_admin` and the rest are ignored: mass
    assignment (OWASP API3:2023) needs a model that lists every field it accepts."""

    username: Annotated[StrictStr, Field(pattern=r"^[a-z0-9_-]{3,32}$")]
    password: Annotated[StrictStr, Field(min_length=8, max_length=128)]
    email: Annotated[StrictStr, Field(min_length=3, max_length=254)]


class Profile(BaseModel):
    email: Annotated[StrictStr, Field(min_length=3, max_length=254)]


ProfileBody = Annotated[Profile, body_of(Profile)]


def add_user(username: str, password: str, email: str, role: str = "customer") -> dict[str, Any]:
    user_id = next(NEXT_USER)
    USERS[user_id] = {"id": user_id, "username": username, "email": email, "role": role,
                      "password_hash": hash_password(password)}
    return USERS[user_id]


add_user("admin", ADMIN_PASSWORD, "admin@shop.example", role="admin")


@app.post("/users", status_code=201)
def sign_up(body: SignUp, response: Response) -> dict[str, Any]:
    if any(user["username"] == body.username for user in USERS.values()):
        raise HTTPException(409, f"the username {body.username} is taken")
    user = add_user(body.username, body.password, body.email)
    response.headers["Location"] = f"/users/{user['id']}"
    return public(user)


@app.get("/me")
async def me(who: Caller) -> dict[str, Any]:
    return public(who)


@app.patch("/me")
async def update_me(body: ProfileBody, who: Caller) -> dict[str, Any]:
    who["email"] = body.email  # the one field a customer may change
    return public(who)


@app.get("/users/{user_id}")
async def get_user(user_id: int, who: Caller) -> dict[str, Any]:
    user = USERS.get(user_id)
    # Someone else's account is "not found", exactly like a missing one (OWASP API1:2023).
    if user is None or (user is not who and who["role"] != "admin"):
        raise HTTPException(404, f"there is no user {user_id}")
    return public(user)


# --- logging in, with failed attempts throttled per username (OWASP API2:2023) --------------------


class Login(BaseModel):
    username: StrictStr
    password: StrictStr


FAILURES: dict[str, tuple[int, float]] = {}  # username -> (failures in a row, locked until)


@app.post("/login")
def login(body: Login) -> dict[str, Any]:
    failures, locked_until = FAILURES.get(body.username, (0, 0.0))
    if (wait := locked_until - time.monotonic()) > 0:
        # Even the right password waits: a guesser must not learn anything while locked out.
        raise HTTPException(429, f"too many failed logins; retry in {math.ceil(wait)} s",
                            headers={"Retry-After": str(math.ceil(wait))})
    user = next((u for u in USERS.values() if u["username"] == body.username), None)
    if user is None or not password_matches(user, body.password):
        failures += 1
        lock = time.monotonic() + LOCKOUT if failures >= MAX_FAILURES else 0.0
        FAILURES[body.username] = (0 if lock else failures, lock)
        # One answer for an unknown user and a wrong password: no account enumeration.
        raise HTTPException(401, "wrong username or password")
    FAILURES.pop(body.username, None)
    return {"access_token": issue_token(user), "token_type": "Bearer", "expires_in": TOKEN_LIFETIME}


# --- orders: each user's own (OWASP API1:2023) ----------------------------------------------------


class OrderIn(BaseModel):
    item: Annotated[StrictStr, Field(min_length=1, max_length=100)]
    quantity: Annotated[StrictInt, Field(ge=1, le=100)]


class OrderChange(BaseModel):
    quantity: Annotated[StrictInt, Field(ge=1, le=100)]


OrderBody = Annotated[OrderIn, body_of(OrderIn)]
OrderChangeBody = Annotated[OrderChange, body_of(OrderChange)]


ORDERS: dict[int, dict[str, Any]] = {}
NEXT_ORDER = count(1)


def own_order(order_id: int, who: dict[str, Any]) -> dict[str, Any]:
    """The caller's order, or 404: looked up by id AND owner."""
    order = ORDERS.get(order_id)
    if order is None or order["owner"] != who["id"]:
        raise HTTPException(404, f"you have no order {order_id}")
    return order


@app.get("/orders")
async def list_orders(who: Caller, limit: Limit = 20) -> dict[str, Any]:
    return {"items": [o for o in ORDERS.values() if o["owner"] == who["id"]][:limit]}


@app.post("/orders", status_code=201)
async def create_order(body: OrderBody, response: Response, who: Caller) -> dict[str, Any]:
    order_id = next(NEXT_ORDER)
    # status and owner are the server's: never read from the body.
    ORDERS[order_id] = {"id": order_id, **body.model_dump(), "status": "pending", "owner": who["id"]}
    response.headers["Location"] = f"/orders/{order_id}"
    deliver(who["id"], {"event": "order.created", "order": ORDERS[order_id]})
    return ORDERS[order_id]


@app.get("/orders/{order_id}")
async def get_order(order_id: int, who: Caller) -> dict[str, Any]:
    return own_order(order_id, who)


@app.patch("/orders/{order_id}")
async def change_order(order_id: int, body: OrderChangeBody, who: Caller) -> dict[str, Any]:
    order = own_order(order_id, who)
    order["quantity"] = body.quantity
    return order


@app.delete("/orders/{order_id}", status_code=204)
async def delete_order(order_id: int, who: Caller) -> Response:
    del ORDERS[own_order(order_id, who)["id"]]
    return Response(status_code=204)


# --- admin routes (OWASP API5:2023) ---------------------------------------------------------------


@app.get("/admin/users")
async def list_users(who: Admin, limit: Limit = 20) -> dict[str, Any]:
    return {"items": [public(user) for user in USERS.values()][:limit]}


@app.delete("/admin/users/{user_id}", status_code=204)
async def delete_user(user_id: int, who: Admin) -> Response:
    if USERS.pop(user_id, None) is None:
        raise HTTPException(404, f"there is no user {user_id}")
    return Response(status_code=204)


# --- webhooks: outbound URLs only to public addresses (OWASP API7:2023) ---------------------------


class WebhookIn(BaseModel):
    url: Annotated[StrictStr, Field(max_length=2000)]


WebhookBody = Annotated[WebhookIn, body_of(WebhookIn)]


WEBHOOKS: dict[int, dict[str, Any]] = {}
NEXT_WEBHOOK = count(1)
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: an IPv4 address in the last 32 bits
# IANA's IETF protocol assignments (192.0.0.8, the dummy address, among them): not global, yet
# Python's is_global says they are before Python 3.12.4.
IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")


def refusal(url: str) -> str | None:
    """Why the shop must not send to `url`, or None. The host is resolved as the delivery would
    resolve it, so `localhost`, `127.1` or `2130706433` are judged by the address they reach."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "a webhook URL is http:// or https:// with a host"
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return f"{parts.hostname} cannot be resolved"
    for *_, address in found:
        ip = ipaddress.ip_address(address[0].split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped or ip in NAT64):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)  # judged as the IPv4 address it holds
        # is_global alone lets through IPv4-compatible IPv6 (::127.0.0.1, in the reserved ::/8),
        # multicast (224.0.0.1, ff02::1) and, before Python 3.12.4, 192.0.0.0/24.
        if not ip.is_global or ip.is_reserved or ip.is_multicast or ip in IETF_PROTOCOL:
            return f"{parts.hostname} is {ip}, which is not a public address"
    return None


@app.post("/webhooks", status_code=201)
def add_webhook(body: WebhookBody, who: Caller) -> dict[str, Any]:
    if (why := refusal(body.url)) is not None:
        raise HTTPException(422, f"this URL is refused: {why}")
    webhook_id = next(NEXT_WEBHOOK)
    WEBHOOKS[webhook_id] = {"id": webhook_id, "url": body.url, "owner": who["id"]}
    return WEBHOOKS[webhook_id]


@app.get("/webhooks")
async def list_webhooks(who: Caller) -> dict[str, Any]:
    return {"items": [hook for hook in WEBHOOKS.values() if hook["owner"] == who["id"]]}


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None  # a redirect could lead anywhere, an internal address included


def deliver(owner: int, event: dict[str, Any]) -> None:
    """Send `event` to the owner's webhooks, in the background, checking each address again
    (a name may resolve elsewhere now than when it was registered)."""
    for hook in [h for h in WEBHOOKS.values() if h["owner"] == owner]:
        if refusal(hook["url"]) is None:
            request = urllib.request.Request(hook["url"], json.dumps(event).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            threading.Thread(target=_send, args=(request,), daemon=True).start()


def _send(request: urllib.request.Request) -> None:
    # A receiver that is down misses the event; it is not our error to report.
    with contextlib.suppress(OSError):
        urllib.request.build_opener(NoRedirects).open(request, timeout=3).close()
