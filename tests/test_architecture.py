"""The dependency rules of DESIGN.md, enforced: each package may import only what it is allowed."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("apilab", "grader", "httpkit", "hub", "sandbox_api", "tui")


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


def first_party(files: list[Path]) -> set[str]:
    """The top-level packages of this repository that `files` import."""
    ours = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    return {name.split(".")[0] for path in files for name in imports_of(path)} & ours


def test_sandbox_imports_only_itself_and_the_http_kit():
    assert first_party(modules("sandbox_api")) <= {"sandbox_api", "httpkit"}


def test_the_http_kit_imports_neither_the_sandbox_nor_the_hub():
    assert first_party(modules("httpkit")) <= {"httpkit"}


def test_the_hub_never_imports_the_sandbox():
    assert offenders(modules("hub"), ("sandbox_api",)) == []


def test_the_learner_side_shares_only_the_protocol_with_the_hub():
    # The apps and the client import hub.protocol (typed models, no FastAPI); only the CLI, which
    # wires everything, reaches the hub's server code (for `apilab hub ...`).
    files = [p for package in ("apilab", "tui") for p in modules(package)
             if p != ROOT / "apilab" / "cli.py"]
    found = [line for line in offenders(files, ("hub",)) if not line.endswith(" hub.protocol")]
    assert found == []


# The grader may use the catalog's models and the sanitizer for untrusted text, both leaves.
GRADER_MAY_IMPORT = ("apilab.catalog.models", "apilab.untrusted")


def test_grader_depends_on_catalog_models_and_the_sanitizer_only():
    found = []
    for path in modules("grader"):
        for name in imports_of(path):
            if name.startswith("apilab") and name not in GRADER_MAY_IMPORT:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
            if name.split(".")[0] in ("tui", "sandbox_api", "hub"):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    assert found == []


def test_the_sanitizer_is_a_leaf():
    # The grader relies on it staying one: standard library only (Rich lazily, for the apps).
    project = ("apilab", "grader", "hub", "sandbox_api", "tui", "httpkit", "textual")
    assert offenders([ROOT / "apilab" / "untrusted.py"], project) == []


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


# What `apilab check` may not load: the app, the servers, Jupyter, the hub's server, the JOSE
# stack of token checks, process tools, and HTTP clients the grader does not use.
NOT_FOR_CHECK = {"textual", "rich", "fastapi", "starlette", "uvicorn", "sandbox_api", "tui",
                 "hub.app", "hub.store", "hub.cli", "jupyter_client", "nbformat", "nbclient",
                 "ipykernel", "IPython", "httpx", "httpcore", "h11", "joserfc", "cryptography",
                 "authlib", "hishel", "psutil", "platformdirs", "watchfiles", "schemathesis",
                 "hypothesis", "multiprocessing", "grader.tokens", "grader.render.junit",
                 "grader.render.json_report", "apilab.commands.serve", "apilab.commands.apps",
                 "apilab.commands.notebooks", "apilab.commands.authoring"}
# Runs the real command line in a real interpreter and writes the modules loaded when it exits.
LOADED_AT_EXIT = ("import atexit, json, sys; listing = sys.argv.pop(1); atexit.register(lambda: "
                  "open(listing, 'w').write(json.dumps(sorted(sys.modules)))); "
                  "from apilab.cli import main; sys.argv[0] = 'apilab'; main()")


def test_apilab_check_loads_nothing_it_does_not_use(hello_solution_url, tmp_path):
    listing = tmp_path / "modules.json"
    env = {**os.environ, "APILAB_COURSE": str(ROOT / "tests/fixtures/course"),
           "APILAB_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", LOADED_AT_EXIT, str(listing), "check", "hello-api",
                             "--url", hello_solution_url], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout, "it graded and reported"
    loaded = set(json.loads(listing.read_text()))
    assert "grader.runner" in loaded and "apilab.store" in loaded, "the probe saw the real command"
    unused = sorted(name for name in loaded if any(
        name == banned or name.startswith(banned + ".") for banned in NOT_FOR_CHECK))
    assert unused == []


def test_a_check_that_stops_before_the_probes_loads_neither_them_nor_sqlite_utils(tmp_path):
    # Most checks a learner runs stop at an early stage: they need no Hypothesis (the contract
    # probes' library, last stage) and, once the store is up to date, no sqlite-utils.
    from apilab.app_servers import serve_app

    env = {**os.environ, "APILAB_HOME": str(tmp_path / "home")}
    listings = [tmp_path / "first.json", tmp_path / "second.json"]
    with serve_app(ROOT / "exercises/reading-list/starter/python") as url:
        for listing in listings:
            result = subprocess.run([sys.executable, "-c", LOADED_AT_EXIT, str(listing), "check",
                                     "reading-list", "--url", url], env=env, capture_output=True,
                                    text=True, timeout=60)
            assert result.returncode == 1, result.stdout + result.stderr
            assert "Stage 1 of 8" in result.stdout, "it graded the first stage, which fails"
    first, second = (set(json.loads(listing.read_text())) for listing in listings)
    assert {"hypothesis", "grader.contract.session"} & (first | second) == set()
    assert "sqlite_utils" in first, "the first run created the store, with its migrations"
    assert "sqlite_utils" not in second


def test_the_learner_side_loads_without_the_hubs_server_code():
    # `apilab check`, `lessons` and `submit` load apilab.sync to send waiting submissions; the
    # hub's server stack (FastAPI, Starlette, uvicorn) is no part of that.
    code = ("import sys, apilab.sync, apilab.hubclient; "
            "print(sorted({'fastapi', 'starlette', 'uvicorn', 'hub.app', 'hub.store'} "
            "& set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- untrusted text is never markup (tui/plain.py says how it is shown instead) -----------------

# Textual widgets and methods that parse a plain string they are given as markup.
MARKUP_SINKS = {"Static", "Label", "Button", "Collapsible", "RadioButton", "Checkbox", "Option",
                "OptionList", "Select", "SelectionList", "Tab", "TabPane", "update"}
MARKUP_ATTRIBUTES = {"border_title", "border_subtitle", "tooltip"}
MARKUP_PARSERS = {"from_markup", "to_content", "render_markup"}


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _formatted(node: ast.AST) -> list[ast.AST]:
    """The strings built at run time inside `node` (f-strings, + or % on strings, .format()),
    not looking inside other calls: their results are what they are (safe_text gives Text)."""
    if isinstance(node, ast.JoinedStr):
        return [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod) and any(
            isinstance(side, ast.Constant | ast.JoinedStr) and not isinstance(
                getattr(side, "value", ""), int | float) for side in (node.left, node.right)):
        return [node]
    if isinstance(node, ast.Call):
        return [node] if _name(node) in ("format", "str") else []
    return [found for child in ast.iter_child_nodes(node) for found in _formatted(child)]


def markup_offences(source: str, where: str) -> list[str]:
    """Where `source` hands Textual a string built from values (which could be untrusted) to
    be parsed as markup, or parses markup itself; by line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node)
            if name in MARKUP_PARSERS:
                found.append((node.lineno, f"parses markup ({name})"))
            for keyword in node.keywords:
                if keyword.arg == "markup" and not (isinstance(keyword.value, ast.Constant)
                                                    and keyword.value.value is False):
                    found.append((node.lineno, f"asks for markup={ast.unparse(keyword.value)}"))
            if name in MARKUP_SINKS:
                arguments = [*node.args, *(k.value for k in node.keywords if k.arg != "id")]
                if any(_formatted(argument) for argument in arguments):
                    found.append((node.lineno, f"gives {name}() a formatted string: pass "
                                                "safe_text(...) (apilab.untrusted) instead"))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr in MARKUP_ATTRIBUTES and (
                        _formatted(node.value)):
                    found.append((node.lineno, f"sets {target.attr} to a formatted string"))
    return [f"{where}:{line} {what}" for line, what in sorted(found)]


def test_no_string_built_from_values_is_parsed_as_markup():
    files = [*modules("tui"), *sorted((ROOT / "apilab" / "views").glob("*.py"))]
    assert [offence for path in files for offence in markup_offences(
        path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))] == []


def test_the_rule_above_catches_what_it_is_for():
    sample = ('Static(f"{learner} passed")\nLabel("Score " + score)\n'
              'widget.update("{} said".format(who))\nStatic(safe_text(f"{learner} passed"))\n'
              'Text.from_markup(title)\nLabel(title, markup=True)\n'
              'pane.border_title = f"{learner}"\nSelect([(f"Check: {t}", c) for t, c in checks])\n'
              'Label("Keys")\nLabel(f"{n} runs", markup=False)\n')
    offences = markup_offences(sample, "sample.py")
    assert [offence.split(":")[1].split(" ")[0] for offence in offences] == [
        "1", "2", "3", "5", "6", "7", "8", "10"]


def test_tables_and_apps_show_strings_literally():
    # DataTable parses string cells as markup and App.notify parses messages: tui/plain.py and
    # tui/widgets/plain.py have the literal versions, which every table and both apps use.
    found = []
    for path in modules("tui"):
        if path.name == "plain.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(base).split("[")[0] for base in node.bases}
                if bases & {"App", "DataTable"}:
                    found.append(f"{path.relative_to(ROOT)}: {node.name} derives from {bases}")
            if isinstance(node, ast.Call) and _name(node) == "DataTable":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} makes a DataTable")
    assert found == []
