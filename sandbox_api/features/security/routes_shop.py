"""The lab shop's customer routes, each with the weakness a careless shop would have.

API1 (an order is found by id alone), API2 (tokens, see tokens.py), API3 (sign-up stores every
field it is sent), API4 (no ceiling on `limit`) and API8 (errors carry the traceback and the
configuration): the lesson's reading says how each is found and how it is fixed.
"""

from __future__ import annotations

import traceback
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.deps import row_id
from sandbox_api.features.identity.directory import secret_matches
from sandbox_api.features.security import tokens
from sandbox_api.features.security.deps import CurrentCustomer, Store, reveal

TAG = "lab shop"
router = APIRouter(prefix="/lab/v1", tags=[TAG])
_AUTH = {401: "No token, or one the shop does not believe."}
SORTS = {"name": "name", "price": "price_cents", "-price": "price_cents DESC", "id": "id"}
PAGE_SIZE_FLAG_ABOVE = 100


class SignUp(BaseModel):
    # extra="allow": whatever else is sent is kept, and stored (the API3 weakness)
    model_config = ConfigDict(extra="allow")
    username: Annotated[str, Field(pattern=r"^[a-z0-9_]{3,30}$")]
    password: Annotated[str, Field(min_length=8, max_length=200)]
    # spaces spelled out: `\s` means more characters in Python than in JSON Schema's regexes
    email: Annotated[str, Field(pattern=r"^[^@ \t\r\n]{1,64}@[^@ \t\r\n]{1,190}$")]


class LogIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(max_length=100)]
    password: Annotated[str, Field(max_length=200)]


@router.post("/users", name="lab_sign_up", status_code=201,
             responses=problem_responses({409: "The username is taken."}))
def sign_up(body: SignUp, request: Request, store: Store) -> dict[str, Any]:
    """Create a customer account."""
    fields = {"role": "customer", **body.model_dump()}  # every field sent, `role` included
    role = fields["role"] if isinstance(fields["role"], str) else "customer"
    user = store.add_user(body.username, body.email, role, body.password)
    if user is None:
        raise ProblemException(409, f"the username {body.username} is taken: choose another")
    if role == "admin":
        user["flag"] = reveal(request, "mass-assignment")
    return user


@router.post("/login", name="lab_log_in", responses=problem_responses({401: "Wrong username or password."}))
def log_in(body: LogIn, store: Store) -> dict[str, Any]:
    """A token for this customer, valid for an hour."""
    row = store.credentials(body.username)
    if row is None or not secret_matches(body.password, row["salt"], row["password_hash"]):
        raise ProblemException(401, "wrong username or password",
                               headers={"WWW-Authenticate": 'Bearer realm="lab"'})
    return {"access_token": tokens.issue(row["id"], row["role"]), "token_type": "Bearer",
            "expires_in": tokens.LIFETIME, "user_id": row["id"]}


@router.get("/me", name="lab_me", responses=problem_responses(_AUTH))
def me(request: Request, customer: CurrentCustomer) -> dict[str, Any]:
    """Your account, as your token says who you are."""
    answer = dict(customer.user)
    # nobody can log in as the seeded admin: a token naming them was made, not issued
    forged = customer.claims.algorithm.lower() == "none" or customer.user["username"] == "admin"
    if forged:
        answer["flag"] = reveal(request, "alg-none")
    return answer


@router.get("/orders/{order_id}", name="lab_get_order",
            responses=problem_responses({**_AUTH, 404: "No order has this id."}))
def get_order(order_id: str, request: Request, store: Store, customer: CurrentCustomer) -> dict[str, Any]:
    """One of your orders (the shop forgets to check that it is yours)."""
    order = store.order(row_id(order_id))
    if order is None:
        raise ProblemException(404, f"no order with id {order_id}")
    if order["user_id"] != customer.id:
        order["flag"] = reveal(request, "bola")
    return order


@router.get("/orders", name="lab_list_orders", responses=problem_responses(_AUTH))
def list_orders(store: Store, customer: CurrentCustomer) -> dict[str, Any]:
    """Your orders: their ids say how many orders the shop has."""
    return {"items": store.orders_of(customer.id)}


@router.get("/products", name="lab_list_products",
            responses=problem_responses({400: "`sort` is not one the shop knows (and the error "
                                              "says far too much)."}))
def list_products(request: Request, store: Store,
                  limit: Annotated[int, Query(ge=1, le=2**31, description="Items to return, "
                                              "with no ceiling (the API4 weakness).")] = 20,
                  sort: Annotated[str, Query(max_length=50, json_schema_extra={"enum": list(SORTS)},
                                             description="name, price, -price or id.")] = "id",
                  ) -> dict[str, Any]:
    """The catalogue."""
    try:
        order_by = SORTS[sort]
    except KeyError:
        raise _debug_error(request, f"unknown sort {sort!r}") from None
    answer: dict[str, Any] = {"items": store.products(limit, order_by)}
    if limit > PAGE_SIZE_FLAG_ABOVE:
        answer["flag"] = reveal(request, "page-size")
    return answer


def _debug_error(request: Request, detail: str) -> ProblemException:
    """The error a shop left in debug mode sends: the traceback, and the settings beside it."""
    settings = {"DEBUG": True, "DATABASE_URL": "sqlite:///shop.db",
                "PAYMENT_API_KEY": reveal(request, "stack-trace")}
    trace = traceback.format_exc()
    return ProblemException(400, detail, traceback=trace.splitlines(), settings=settings)
