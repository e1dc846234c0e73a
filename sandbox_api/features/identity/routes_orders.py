"""/orders: each user's own orders, the bookshop's protected resource.

Reading needs the scope `orders:read`, placing or cancelling `orders:write` (an API key has
both). Orders are looked up with their owner in the query, so another user's order answers 404,
exactly like one that does not exist (OWASP API1:2023, broken object level authorization).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from httpkit.openapi import problem_responses
from httpkit.problems import ProblemException
from sandbox_api.deps import row_id
from sandbox_api.features.identity.guard import Caller, identity_server, requires

router = APIRouter(prefix="/orders", tags=["orders"])
_AUTH_ERRORS = problem_responses({
    400: "A token in the URL (`access_token`): send it in the Authorization header.",
    401: "No token or API key, or one that is not valid: see `WWW-Authenticate`.",
    403: "The token lacks the scope this needs: `WWW-Authenticate` names it.",
})
Reader = Annotated[Caller, Depends(requires("orders:read"))]
Writer = Annotated[Caller, Depends(requires("orders:write"))]


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    book_id: Annotated[int, Field(ge=1, le=10**9, description="The id of a book in /books.")]
    quantity: Annotated[int, Field(ge=1, le=10)] = 1


def _store(request: Request) -> Any:
    return identity_server(request).store


@router.get("", name="list_orders", responses=_AUTH_ERRORS)
def list_orders(request: Request, caller: Reader) -> dict[str, Any]:
    """Your orders, and nobody else's."""
    return {"items": _store(request).orders_of(caller.sub)}


@router.post("", name="create_order", status_code=201, responses=_AUTH_ERRORS)
def create_order(body: OrderCreate, request: Request, response: Response,
                 caller: Writer) -> dict[str, Any]:
    """Place an order for a book."""
    if not _store(request).book_exists(body.book_id):
        raise ProblemException(422, f"no book with id {body.book_id}")
    order = _store(request).add_order(caller.sub, body.book_id, body.quantity)
    response.headers["Location"] = f"/orders/{order['id']}"
    return order


@router.get("/{order_id}", name="get_order",
            responses={**_AUTH_ERRORS, **problem_responses({404: "You have no order with this id."})})
def get_order(order_id: str, request: Request, caller: Reader) -> dict[str, Any]:
    """One of your orders. Someone else's answers 404: not even its existence is told."""
    order = _store(request).order(row_id(order_id), caller.sub)
    if order is None:
        raise ProblemException(404, f"you have no order with id {order_id}")
    return order


@router.delete("/{order_id}", name="cancel_order", status_code=204, response_class=Response,
               responses={**_AUTH_ERRORS, **problem_responses({404: "You have no order with this id."})})
def cancel_order(order_id: str, request: Request, caller: Writer) -> Response:
    """Cancel one of your orders."""
    if not _store(request).delete_order(row_id(order_id), caller.sub):
        raise ProblemException(404, f"you have no order with id {order_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
