"""Who calls the lab shop (as its careless token code decides), and how a solved challenge is told.

A challenge is detected inside the route that falls for it (OWASP Juice Shop's way), and the
answer then carries `"flag"`: the installation's flag for that challenge (`sandbox_api.lab_flags`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from httpkit.problems import ProblemException
from sandbox_api.features.security import tokens
from sandbox_api.features.security.store import LabStore
from sandbox_api.lab_flags import flag_for

bearer = HTTPBearer(auto_error=False, scheme_name="lab-token",
                    description="A token from POST /lab/v1/login (the lab's own, not lesson 2's).")
UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="lab"'}


@dataclass(frozen=True)
class Customer:
    """The caller: the user the token names, and what the token says about them."""

    user: dict[str, Any]
    claims: tokens.Claims

    @property
    def id(self) -> int:
        return int(self.user["id"])


def lab_store(request: Request) -> LabStore:
    return request.app.state.security_lab_store


def reveal(request: Request, challenge_id: str) -> str:
    """The flag of a challenge the request has just solved."""
    return flag_for(request.app.state.security_lab_secret, challenge_id)


async def current_customer(request: Request, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Customer:
    if credentials is None:
        raise ProblemException(401, "log in first (POST /lab/v1/login) and send the token as "
                               "Authorization: Bearer ...", headers=UNAUTHORIZED)
    claims = tokens.read(credentials.credentials)
    user = lab_store(request).user(claims.user_id) if claims else None
    if claims is None or user is None:
        raise ProblemException(401, "the token is not valid: log in again", headers=UNAUTHORIZED)
    return Customer(user, claims)


Store = Annotated[LabStore, Depends(lab_store)]
CurrentCustomer = Annotated[Customer, Depends(current_customer)]
