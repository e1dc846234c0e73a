"""50 learners submit at once, 10 runs each, some sent two or three times (as an app does when an
answer is lost): the real uvicorn hub stores exactly 500 submissions, none twice."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import httpx

from hub.auth import hash_token, new_token
from hub.process import hub_process
from hub.store import HubStore
from tests.helpers import TLS

CLIENTS = 50
RUNS_EACH = 10


async def learner(url: str, token: str, report: str) -> list[int]:
    body = f'{{"kind": "check", "report": {report}}}'
    statuses = []
    async with httpx.AsyncClient(base_url=url, trust_env=False, verify=TLS, timeout=30, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"}) as client:
        for run in range(RUNS_EACH):
            sid = str(uuid.uuid4())
            sends = 1 + (run % 5 == 0) + (run % 10 == 0)  # run 0 thrice, run 5 twice
            for _ in range(sends):
                statuses.append((await client.put(f"/v1/submissions/{sid}", content=body))
                                .status_code)
    return statuses


async def test_fifty_concurrent_learners_store_every_submission_once(tmp_path: Path,
                                                                  report_factory):
    db = tmp_path / "hub.db"
    store = HubStore(db)
    tokens = []
    for number in range(CLIENTS):
        tokens.append(new_token())
        store.add_user(f"learner{number:02}", "learner", hash_token(tokens[-1]))
    store.close()

    with hub_process(db) as url:
        results = await asyncio.gather(*(
            learner(url, token, report_factory(seed=n).to_json(indent=None))
            for n, token in enumerate(tokens)))

    statuses = [status for result in results for status in result]
    assert statuses.count(201) == CLIENTS * RUNS_EACH
    assert statuses.count(200) == CLIENTS * 3  # the resends: 2 + 1 per learner
    assert set(statuses) == {200, 201}
    with sqlite3.connect(db) as conn:
        total, distinct = conn.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM submissions"
                                       ).fetchone()
        per_learner = conn.execute("SELECT COUNT(*) FROM submissions GROUP BY learner_id"
                                   ).fetchall()
    assert total == distinct == CLIENTS * RUNS_EACH
    assert {count for (count,) in per_learner} == {RUNS_EACH} and len(per_learner) == CLIENTS
