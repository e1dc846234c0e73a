"""The dependency rules of DESIGN.md, enforced: each package may import only what it is allowed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("apilab", "grader", "hub", "sandbox_api", "tui")


def imports_of(path: Path) -> set[str]:
    """Every module name `path` imports, at any depth (lazy imports inside functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in files:
        for name in imports_of(path):
            if name in forbidden or name.startswith(tuple(f"{f}." for f in forbidden)):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def test_only_tui_imports_textual():
    files = [p for package in (*PACKAGES, "bench") if package != "tui" for p in modules(package)]
    assert offenders(files, ("textual",)) == []


def test_sandbox_stands_alone():
    assert offenders(modules("sandbox_api"), ("apilab", "grader", "hub", "tui")) == []


def test_the_learner_side_shares_only_the_protocol_with_the_hub():
    # The apps and the client import hub.protocol (typed models, no FastAPI); only the CLI, which
    # wires everything, reaches the hub's server code (for `apilab hub ...`).
    files = [p for package in ("apilab", "tui") for p in modules(package)
             if p != ROOT / "apilab" / "cli.py"]
    found = [line for line in offenders(files, ("hub",)) if not line.endswith(" hub.protocol")]
    assert found == []


def test_grader_depends_on_catalog_models_only():
    found = []
    for path in modules("grader"):
        for name in imports_of(path):
            if name.startswith("apilab") and name != "apilab.catalog.models":
                found.append(f"{path.relative_to(ROOT)} imports {name}")
            if name.split(".")[0] in ("tui", "sandbox_api", "hub"):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    assert found == []


def test_only_the_grader_speaks_to_learner_servers():
    # The wire is the grader's only way out; nothing else may borrow it.
    files = [p for package in PACKAGES if package != "grader" for p in modules(package)]
    assert offenders(files, ("grader.wire",)) == []


@pytest.mark.parametrize("package", ["apilab", "grader", "hub", "tui"])
def test_sql_lives_in_the_store_modules(package):
    allowed = ("apilab/store/", "hub/store.py", "apilab/migrations.py")
    files = [p for p in modules(package) if not str(p.relative_to(ROOT)).startswith(allowed)]
    assert offenders(files, ("sqlite3", "sqlite_utils")) == []


def test_the_cli_loads_without_textual():
    code = "import sys, apilab.cli; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_learner_side_loads_without_the_hubs_server_code():
    # `apilab check`, `lessons` and `submit` load apilab.sync to send waiting submissions; the
    # hub's server stack (FastAPI, Starlette, uvicorn) is no part of that.
    code = ("import sys, apilab.sync, apilab.hubclient; "
            "print(sorted({'fastapi', 'starlette', 'uvicorn', 'hub.app', 'hub.store'} "
            "& set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
