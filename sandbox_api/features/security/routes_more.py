"""The rest of the lab shop: an admin function any customer may call (API5), a coupon that can be
redeemed again and again (API6), an avatar fetched from any URL (API7), the forgotten version 0
(API9), and the lab's own two helpers: the list of challenges, and a flag checker that tells
right from wrong without telling any flag.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.deps import row_id
from sandbox_api.features.security import canary
from sandbox_api.features.security.deps import CurrentCustomer, Store, reveal
from sandbox_api.features.security.routes_shop import TAG
from sandbox_api.lab_flags import CHALLENGES, CHALLENGES_BY_ID, is_flag

COUPONS = {"WELCOME10": 1000}  # cents; meant to be redeemed once per customer
PREVIEW_BYTES = 2000
_AUTH = {401: "No token, or one the shop does not believe."}

router = APIRouter(prefix="/lab/v1", tags=[TAG])
old_router = APIRouter(prefix="/lab/v0", include_in_schema=False)  # forgotten, and undocumented
helpers = APIRouter(prefix="/lab", tags=["lab helpers"])


@router.delete("/admin/users/{user_id}", name="lab_admin_delete_user",
               responses=problem_responses({**_AUTH, 404: "No user has this id."}))
def delete_user(user_id: str, request: Request, store: Store, customer: CurrentCustomer) -> dict[str, Any]:
    """Administrators only: close a customer's account. (The shop checks that you are logged in,
    never that you are an administrator.)"""
    if not store.delete_user(row_id(user_id)):
        raise ProblemException(404, f"no user with id {user_id}")
    answer: dict[str, Any] = {"deleted": int(user_id)}
    if customer.user["role"] != "admin":
        answer["flag"] = reveal(request, "bfla")
    return answer


class Coupon(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, Field(max_length=40)]


@router.post("/coupons/redeem", name="lab_redeem_coupon",
             responses=problem_responses({**_AUTH, 404: "No coupon has this code."}))
def redeem(body: Coupon, request: Request, store: Store, customer: CurrentCustomer) -> dict[str, Any]:
    """Credit a coupon to your balance. WELCOME10 is worth 10.00, once per customer (in theory)."""
    amount = COUPONS.get(body.code)
    if amount is None:
        raise ProblemException(404, f"no coupon {body.code!r}")
    times, balance = store.redeem(customer.id, body.code, amount)
    answer: dict[str, Any] = {"code": body.code, "credited_cents": amount, "balance_cents": balance}
    if times > 1:
        answer["flag"] = reveal(request, "coupon-reuse")
    return answer


class Avatar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, Field(max_length=500, pattern=r"^https?://",
                              description=f"An image, such as http://{canary.IMAGE_HOST}/me.svg")]


@router.put("/me/avatar", name="lab_set_avatar", responses=problem_responses(_AUTH))
async def set_avatar(body: Avatar, request: Request, store: Store,
                     customer: CurrentCustomer) -> dict[str, Any]:
    """Use the image at `url` as your avatar: the shop fetches it, from wherever you say, and
    shows you what it got. (Its fetcher reaches only the lab's simulated network.)"""
    import httpx  # loaded when the lab fetches, not with every sandbox: a tenth of a second

    try:
        async with canary.client(request.app.state.security_lab_canary) as fetcher:
            fetched = await fetcher.get(body.url)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        raise ProblemException(422, f"the shop could not fetch {body.url}: {exc}") from None
    store.set_avatar(customer.id, body.url)
    return {"avatar_url": body.url, "fetched": {
        "status": fetched.status_code, "content_type": fetched.headers.get("content-type", ""),
        "body": fetched.content[:PREVIEW_BYTES].decode("utf-8", "replace")}}


@old_router.get("/users")
def old_list_users(request: Request, store: Store) -> dict[str, Any]:
    # Version 0 of the user list, from before the shop had logins; nobody remembered to remove it.
    return {"items": store.all_users_with_secrets(), "flag": reveal(request, "old-version")}


@helpers.get("/challenges", name="lab_challenges")
def challenges() -> dict[str, Any]:
    """The lab's challenges: what to exploit, by OWASP API Security Top 10 (2023) category."""
    return {"items": [{"id": c.id, "category": c.category, "title": c.title} for c in CHALLENGES]}


class FlagGuess(BaseModel):
    model_config = ConfigDict(extra="forbid")
    challenge: Annotated[str, Field(max_length=40)]
    flag: Annotated[str, Field(max_length=200)]


@helpers.post("/flags/check", name="lab_check_flag",
              responses=problem_responses({404: "No challenge has this id."}))
def check_flag(body: FlagGuess, request: Request) -> dict[str, Any]:
    """Whether `flag` is this challenge's flag on this installation; never the flag itself."""
    if body.challenge not in CHALLENGES_BY_ID:
        raise ProblemException(404, f"no challenge {body.challenge!r}; GET /lab/challenges lists them")
    return {"challenge": body.challenge,
            "correct": is_flag(request.app.state.security_lab_secret, body.challenge, body.flag)}
