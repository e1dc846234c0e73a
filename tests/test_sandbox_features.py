"""Sandbox features are plug-ins: found by folder, mounted by name, labs only when switched on,
on loopback, and marked on every response and in /docs."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi import APIRouter, FastAPI, Request

from apilab.cli import main
from sandbox_api.app import create_app
from sandbox_api.feature import Feature, SandboxConfigError, discover
from sandbox_api.labs import check_host
from sandbox_api.server import serve
from sandbox_api.settings import SandboxSettings


def _demo_seed(conn: sqlite3.Connection, seed: int) -> None:
    conn.execute("INSERT INTO demo_secrets (secret) VALUES (?)", (f"hunter{seed}",))


def _demo_setup(app: FastAPI, settings: SandboxSettings) -> None:
    app.state.demo_key = f"key-{settings.seed}"


_demo = APIRouter(prefix="/demo", tags=["demo"])


@_demo.get("/secrets")
def secrets(request: Request) -> dict[str, object]:
    with request.app.state.db.reading() as conn:
        rows = [row["secret"] for row in conn.execute("SELECT secret FROM demo_secrets")]
    return {"secrets": rows, "key": request.app.state.demo_key}


# A lab registered by these tests only, beside the real catalog's (the security lesson's).
DEMO_LAB = Feature(
    name="demo", summary="Leaks every secret to anyone who asks.", routers=[_demo],
    tags=[{"name": "demo", "description": "Secrets for all."}],
    schema="CREATE TABLE demo_secrets (id INTEGER PRIMARY KEY, secret TEXT NOT NULL);",
    seed=_demo_seed, setup=_demo_setup, links={"secrets": "/demo/secrets"}, lab=True)
CATALOG = {**discover(), "demo": DEMO_LAB}


def client(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://sandbox")


def test_features_are_found_by_folder_and_lesson_1_is_the_bookshop():
    catalog = discover()
    assert catalog["bookshop"].lab is False
    assert catalog["bookshop"].links == {"books": "/books", "authors": "/authors"}
    assert all(name == feature.name for name, feature in catalog.items())


def test_adding_a_folder_is_enough(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    package = tmp_path / "more_features"
    (package / "hello").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "hello" / "__init__.py").write_text(textwrap.dedent("""
        from sandbox_api.feature import Feature
        FEATURE = Feature(name="hello", summary="Says hello.")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert list(discover("more_features")) == ["hello"]
    (package / "broken").mkdir()
    (package / "broken" / "__init__.py").write_text("")
    with pytest.raises(SandboxConfigError, match=r"more_features\.broken has no FEATURE"):
        discover("more_features")


async def test_a_lab_is_off_unless_switched_on(tmp_path: Path):
    app = create_app(SandboxSettings(db_path=tmp_path / "db.sqlite"), CATALOG)
    async with client(app) as sandbox:
        assert (await sandbox.get("/demo/secrets")).status_code == 404
        assert "x-apilab-lab" not in (await sandbox.get("/health")).headers
        index = (await sandbox.get("/")).json()
    assert [f["name"] for f in index["features"]] == [n for n, f in CATALOG.items() if not f.lab]
    assert "LAB" not in app.openapi()["info"]["title"]


async def test_a_lab_says_so_on_every_response_and_in_the_docs(tmp_path: Path):
    app = create_app(SandboxSettings(db_path=tmp_path / "db.sqlite", seed=3,
                                     labs=frozenset({"demo"})), CATALOG)
    async with client(app) as sandbox:
        secrets = await sandbox.get("/demo/secrets")
        answers = [secrets, await sandbox.get("/books/1"), await sandbox.get("/nowhere"),
                   await sandbox.head("/health"), await sandbox.get("/openapi.json")]
        index = (await sandbox.get("/")).json()
        docs = await sandbox.get("/docs")
    assert secrets.json() == {"secrets": ["hunter3"], "key": "key-3"}  # seed and setup ran
    for answer in answers:
        assert answer.headers["x-apilab-lab"] == "demo; vulnerable on purpose", answer.url
    info = app.openapi()["info"]
    assert info["title"] == "apilab sandbox (LAB demo: vulnerable on purpose)"
    assert "Leaks every secret" in info["description"]
    assert "vulnerable on purpose" in docs.text  # the page's title
    demo_tag = next(t for t in app.openapi()["tags"] if t["name"] == "demo")
    assert demo_tag["description"].startswith("LAB, vulnerable on purpose")
    demo = next(f for f in index["features"] if f["name"] == "demo")
    assert demo["lab"] is True and index["features"][-1] == demo  # labs come after the features


async def test_a_lab_refuses_other_machines_even_if_bound_wider(tmp_path: Path):
    app = create_app(SandboxSettings(db_path=tmp_path / "db.sqlite", labs=frozenset({"demo"})),
                     CATALOG)
    async with client(app, address="192.0.2.7") as remote:
        refused = await remote.get("/demo/secrets")
    assert refused.status_code == 403 and "this machine only" in refused.json()["detail"]


def test_a_lab_never_starts_on_a_reachable_host(tmp_path: Path):
    settings = SandboxSettings(db_path=tmp_path / "db.sqlite", labs=frozenset({"demo"}))
    with pytest.raises(SandboxConfigError, match="loopback only, not on 0.0.0.0"):
        serve("0.0.0.0", 9, settings, CATALOG)  # refused before anything listens
    for host in ("127.0.0.1", "127.1.2.3", "::1", "localhost"):
        check_host(host, ["demo"])
    check_host("0.0.0.0", [])  # no lab, no restriction


def test_unknown_names_are_refused_with_the_known_ones(tmp_path: Path):
    with pytest.raises(SandboxConfigError, match="no lab named 'nope'; known labs: demo"):
        create_app(SandboxSettings(labs=frozenset({"nope"})), CATALOG)
    with pytest.raises(SandboxConfigError, match="no lab named 'nope'; known labs: security"):
        create_app(SandboxSettings(labs=frozenset({"nope"})))
    with pytest.raises(SandboxConfigError, match="known features: bookshop"):
        create_app(SandboxSettings(features=frozenset({"shop"})), CATALOG)
    with pytest.raises(SandboxConfigError, match="switch it on with --lab demo"):
        create_app(SandboxSettings(features=frozenset({"demo"})), CATALOG)


def test_apilab_sandbox_lab_refuses_an_unknown_lab():
    result = CliRunner().invoke(main, ["sandbox", "--lab", "nope"])
    assert result.exit_code == 2
    assert "no lab named 'nope'; known labs: security" in result.output


async def test_reset_reseeds_every_mounted_feature(tmp_path: Path):
    app = create_app(SandboxSettings(db_path=tmp_path / "db.sqlite", labs=frozenset({"demo"})),
                     CATALOG)
    async with client(app) as sandbox:
        await sandbox.delete("/books/1")
        with app.state.db.writing() as conn:
            conn.execute("DELETE FROM demo_secrets")
        assert (await sandbox.post("/admin/reset")).status_code == 204
        assert (await sandbox.get("/books/1")).status_code == 200
        assert (await sandbox.get("/demo/secrets")).json()["secrets"] == ["hunter42"]


async def test_only_the_features_asked_for_are_served(tmp_path: Path):
    app = create_app(SandboxSettings(db_path=tmp_path / "db.sqlite",
                                     features=frozenset()), CATALOG)
    async with client(app) as sandbox:
        assert (await sandbox.get("/books")).status_code == 404
        assert (await sandbox.get("/")).json()["features"] == []
        assert (await sandbox.post("/admin/reset")).status_code == 204


def test_a_later_feature_never_changes_what_the_bookshop_documents(tmp_path: Path):
    alone = create_app(SandboxSettings(db_path=tmp_path / "a.sqlite")).openapi()
    together = create_app(SandboxSettings(db_path=tmp_path / "b.sqlite",
                                          labs=frozenset({"demo"})), CATALOG).openapi()
    for path, operations in alone["paths"].items():
        if path.startswith(("/books", "/authors")):
            assert together["paths"][path] == operations, path


def test_the_status_line_uses_rfc_9110s_names(sandbox_client):
    response = sandbox_client.post("/books", json={"title": ""})
    assert response.status_code == 422
    assert response.reason_phrase == "Unprocessable Content"
    assert response.json()["title"] == "Unprocessable Content"
