"""The security lab (lesson 5): a bookshop that is vulnerable on purpose, one challenge per OWASP
API Security Top 10 (2023) category from API1 to API9, each revealing a flag when exploited.

Off unless started with `apilab sandbox --lab security` (`lab=True`); it is
served under /lab, on loopback only, and every answer carries `X-Apilab-Lab`. Its flags are
derived from the installation's secret (`sandbox_api.lab_flags`), and its one outbound fetch
reaches only a network simulated in process (`canary.py`).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from sandbox_api.feature import Feature
from sandbox_api.features.security import routes_more, routes_shop, store
from sandbox_api.features.security.canary import Canary
from sandbox_api.lab_flags import LAB, flag_for

if TYPE_CHECKING:
    from fastapi import FastAPI

    from sandbox_api.settings import SandboxSettings


def setup(app: FastAPI, settings: SandboxSettings) -> None:
    """The secret flags come from, the store, and the simulated network the shop fetches from."""
    secret = settings.lab_secret if settings.lab_secret is not None else secrets.token_bytes(32)
    app.state.security_lab_secret = secret
    app.state.security_lab_store = store.LabStore(app.state.db)
    app.state.security_lab_canary = Canary(credentials=flag_for(secret, "ssrf"))


FEATURE = Feature(
    name=LAB,
    summary="Lesson 5: a bookshop with one weakness per OWASP API Security Top 10 (2023) "
            "category, API1 to API9; each exploit reveals a flag (GET /lab/challenges).",
    routers=[routes_shop.router, routes_more.router, routes_more.old_router, routes_more.helpers],
    tags=[{"name": routes_shop.TAG, "description": "The shop: customers sign up, log in, read "
           "their orders, browse the catalogue, redeem coupons, set an avatar. Every route has "
           "a weakness to find. Users: alice / wonderland, bob / builder."},
          {"name": "lab helpers", "description": "The challenges, and a flag checker that says "
           "right or wrong without telling any flag. `apilab flag CHALLENGE FLAG` records one."}],
    schema=store.SCHEMA,
    seed=store.seed,
    setup=setup,
    links={"challenges": "/lab/challenges", "shop": "/lab/v1/products"},
    lab=True,
)
