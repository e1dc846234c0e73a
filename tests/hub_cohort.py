"""A small cohort on an in-process hub over the fixture course: ada and bob learn, mia
mentors. For the tests of certificates and the gradebook."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.app import create_hub_app
from hub.auth import hash_token, new_token
from hub.settings import HubSettings
from hub.store import HubStore
from tests.helpers import FIXTURE_COURSE, make_report


class Cohort:
    def __init__(self, http: httpx.AsyncClient, tokens: dict[str, str]) -> None:
        self.http = http
        self.tokens = tokens

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    async def submit(self, learner: str, exercise: str, passed: tuple[bool, ...]) -> str:
        sid = str(uuid.uuid4())
        report = json.loads(make_report(exercise=exercise, passed=passed).to_json())
        answer = await self.http.put(f"/v1/submissions/{sid}", headers=self.auth(learner),
                                     json={"kind": "submit", "report": report})
        assert answer.status_code == 201, answer.text
        return sid

    async def review(self, sid: str, verdict: str = "approved", **extra) -> None:
        answer = await self.http.put(f"/v1/submissions/{sid}/review", headers=self.auth("mia"),
                                     json={"verdict": verdict, **extra})
        assert answer.status_code in (200, 201), answer.text


    async def capture(self, learner: str, challenge: str, category: str, captured_at: str) -> None:
        answer = await self.http.put(f"/v1/captures/{challenge}", headers=self.auth(learner),
                                     json={"category": category, "captured_at": captured_at})
        assert answer.status_code == 201, answer.text


@pytest.fixture
async def cohort(tmp_path: Path) -> AsyncIterator[Cohort]:
    async with cohort_on(tmp_path) as members:
        yield members


@contextlib.asynccontextmanager
async def cohort_on(tmp_path: Path, **settings: Any) -> AsyncIterator[Cohort]:
    """The cohort on a hub with these HubSettings besides its database and course."""
    db = tmp_path / "hub.db"
    store = HubStore(db)
    tokens = {}
    for name, role in (("ada", "learner"), ("bob", "learner"), ("mia", "mentor")):
        tokens[name] = new_token()
        store.add_user(name, role, hash_token(tokens[name]))  # type: ignore[arg-type]
    store.close()
    app = create_hub_app(HubSettings(db_path=db, course_root=FIXTURE_COURSE, **settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://hub") as http:
        yield Cohort(http, tokens)
    app.state.store.close()


