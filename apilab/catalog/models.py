"""Typed models of the course: lessons, exercises, their checks and mutants.

These are plain data with no behaviour beyond validation, so that the grader can depend on them
without pulling in the rest of apilab. Every model rejects unknown keys: a typo in a course file
is an error that names the file and the key, never a silently ignored setting.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from apilab.catalog.outline import CourseLookups

if TYPE_CHECKING:
    from jsonpath_rfc9535 import JSONPathQuery

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# Fixture names appear in placeholders such as ${book.url}, so they are identifiers.
FIXTURE_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}
JSON_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}
# Servers besides the learner's that an exercise may need; `apilab verify` starts them.
Service = Literal["sandbox"]
# A check or fixture may ask for more time than the default, up to this (token expiry, rate windows).
MAX_TIMEOUT = 600


class Model(BaseModel):
    # defer_build: a model's validator is built when a course is first loaded, not at import:
    # the terminal app unpickles its kept course (apilab.catalog.cache) and never validates.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              defer_build=True)


# --- JSONPath -----------------------------------------------------------------------------------


def json_path_text(text: str) -> str:
    """A path as an RFC 9535 query: `id` and `items[0].id` are read as `$.id`, `$.items[0].id`."""
    if not text:
        raise ValueError("an empty JSONPath; write $ for the whole body")
    return text if text.startswith("$") else "$" + ("" if text.startswith("[") else ".") + text


@functools.lru_cache(maxsize=1024)
def compile_json_path(text: str) -> JSONPathQuery:
    """The compiled RFC 9535 query for `text` (shorthand allowed, see `json_path_text`).

    Raises ValueError naming the path and what is wrong with it.
    """
    import jsonpath_rfc9535  # loaded on first use: `apilab` commands that read no paths start faster

    try:
        return jsonpath_rfc9535.compile(json_path_text(text))
    except jsonpath_rfc9535.JSONPathError as exc:
        raise ValueError(f"invalid JSONPath {text!r} (RFC 9535): {exc}") from None


def _valid_json_path(text: str) -> str:
    compile_json_path(text)
    if "${" in text:  # it would be compared as written, and so never match
        raise ValueError(f"{text!r} holds a placeholder, which is not filled in a path: write "
                         "the literal text to look for")
    return json_path_text(text)


def _singular_json_path(text: str) -> str:
    if not compile_json_path(text).singular_query():
        raise ValueError(f"{text!r} may select several values; here a path must name one value "
                         "(names and indexes only, such as $.items[0].id)")
    return json_path_text(text)


# An RFC 9535 query, checked when the course loads; it may select any number of values.
JsonPath = Annotated[str, AfterValidator(_valid_json_path)]
# A query that selects at most one value (RFC 9535 §2.3.5.1 singular query): for captures and ids.
SingularJsonPath = Annotated[str, AfterValidator(_singular_json_path)]


# --- expectations -------------------------------------------------------------------------------


class Matcher(Model):
    """A rule one value must follow. In TOML a bare value is shorthand for `{ equals = value }`.

    Strings may hold `${name}` placeholders, filled from seeded data and captures;
    `${response_status}` is the status of the response being checked.
    """

    equals: Any = None
    one_of: list[Any] | None = None
    contains: str | None = None
    matches: str | None = None  # a regular expression, searched anywhere in the value
    present: bool | None = None
    type: str | None = None
    length: int | None = None
    min_length: int | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is not None and value not in JSON_TYPES:
            raise ValueError(f"unknown type {value!r}; use one of {sorted(JSON_TYPES)}")
        return value

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return value if isinstance(value, dict) else {"equals": value}


class Expect(Model):
    """What a response must look like for a step to pass."""

    status: int | list[int] | None = None
    headers: dict[str, Matcher] = {}
    # Each path may select several values; see `grader.matchers.nodes_mismatch` for the rule.
    json_paths: dict[JsonPath, Matcher] = Field(default={}, alias="json")
    content_type: str | None = None  # media type, compared without parameters
    body_empty: bool | None = None


class Capture(Model):
    """A value taken from a response for later steps, as `${name}`."""

    header: str | None = None
    json_path: SingularJsonPath | None = Field(default=None, alias="json")

    @model_validator(mode="after")
    def _exactly_one(self) -> Capture:
        if (self.header is None) == (self.json_path is None):
            raise ValueError("a capture takes exactly one of `header` or `json`")
        return self


class Step(Model):
    """One HTTP request and what its response must be."""

    method: str
    path: str
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    json_body: Any = Field(default=None, alias="json")
    body: str | None = None
    follow_redirects: bool = False
    # A step that only prepares what the check tests (creating the book it works on, say): when
    # it fails, the report says the check never got that far, instead of its why and hint.
    setup: bool = False
    expect: Expect = Field(default_factory=Expect)  # built when first used, not at import
    capture: dict[str, Capture] = {}

    @field_validator("method")
    @classmethod
    def _method(cls, value: str) -> str:
        # Unknown methods are legitimate test input (a server should answer 501), so only
        # the token syntax is enforced.
        if not re.fullmatch(r"[A-Za-z]+", value):
            raise ValueError(f"{value!r} is not an HTTP method")
        return value.upper()

    @model_validator(mode="after")
    def _one_body(self) -> Step:
        if self.json_body is not None and self.body is not None:
            raise ValueError("a step takes `json` or `body`, not both")
        return self


def _base_path(value: str) -> str:
    if value and (not value.startswith("/") or value.endswith("/") or "?" in value or "${" in value):
        raise ValueError(f"{value!r} is not a base path: write one like /v1 (a leading slash, no "
                         "trailing one, no query, no placeholder)")
    return value


# Put in front of every path a check writes (not those the server gave it, such as a Location):
# "/v1" runs a check written for /books against /v1/books.
BasePath = Annotated[str, AfterValidator(_base_path)]


class Include(Model):
    """Every check of another exercise, run again here under a base path: a later version of an
    API keeps its earlier contract without a copy of its checks.

    The included checks come first, their ids prefixed (`v1-` + `create-201`), their titles
    saying where they run (`Under /v1: ...`), their paths under `base_path`, hidden ones still
    hidden; the other exercise's seeded data and run fixtures (under the same base path) come
    with them.
    """

    exercise: str = Field(pattern=SLUG)
    base_path: BasePath
    prefix: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*-$")


class Check(Model):
    """One graded behaviour: declarative `steps`, or a registered check named by `use`."""

    id: str = Field(pattern=SLUG)
    title: str
    points: int = Field(ge=0)
    why: str  # one line: why it matters, naming the standard (RFC or OWASP item)
    hint: str | None = None
    hidden: bool = False
    steps: list[Step] = []
    use: str | None = None
    params: dict[str, Any] = Field(default={}, alias="with")
    needs: list[str] = []  # run fixtures this check uses; it is not run when one of them failed
    timeout: float | None = Field(default=None, gt=0, le=MAX_TIMEOUT)  # seconds, if not the default
    base_path: BasePath = ""
    # The README rules it enforces, by the id marked beside each rule (`<!-- rule: ID -->`);
    # `apilab verify` reports a marked rule that no check names.
    rules: list[Annotated[str, Field(pattern=SLUG)]] = []
    # It waits seconds by design (a lockout wearing off): like the contract probes, `apilab verify`
    # runs it for the solution, and for a mutant only when the mutant's `caught_by` names it.
    slow: bool = False

    @model_validator(mode="after")
    def _steps_or_use(self) -> Check:
        if bool(self.steps) == bool(self.use):
            raise ValueError("a check takes either `steps` or `use`, exactly one of them")
        if self.params and not self.use:
            raise ValueError("`with` gives parameters to a registered check; add `use`")
        return self


class Stage(Model):
    """`[[stages]]` in exercise.toml: an ordered step of the exercise, such as creating or
    deleting, with the checks that grade it. `apilab check` stops at the first stage with a
    failure, so a learner meets one step's failures at a time.

    `includes` names exercises whose included checks (`[[include]]`) all belong here; once loaded,
    `checks` lists every check of the stage, theirs included, in the order they run.
    """

    id: str = Field(pattern=SLUG)
    title: str  # what the learner builds in this step, in their words: "Create books"
    checks: list[Annotated[str, Field(pattern=SLUG)]] = []
    includes: list[Annotated[str, Field(pattern=SLUG)]] = []

    @model_validator(mode="after")
    def _not_empty(self) -> Stage:
        if not self.checks and not self.includes:
            raise ValueError("a stage needs `checks` (check ids) or `includes` (exercise slugs)")
        return self


class Fixture(Model):
    """A value prepared once per run, before the checks, by a registered fixture (`use`).

    Checks that list it in `needs` read it as `${name.field}` (or `ctx.fixtures[name]`); when it
    fails, the report shows it once, as setup, and those checks are not run.
    """

    use: str
    title: str | None = None  # what it prepares, in words; the report shows it
    params: dict[str, Any] = Field(default={}, alias="with")
    needs: list[str] = []  # earlier fixtures it builds on
    timeout: float | None = Field(default=None, gt=0, le=MAX_TIMEOUT)
    base_path: BasePath = ""


class DataSpec(Model):
    """How one piece of randomized data is drawn from the run's seed."""

    # `text` is a title in several scripts (accents, CJK, an emoji beyond the BMP), so that a
    # server which does not read and write UTF-8 exactly gets it back changed.
    kind: Literal["title", "text", "name", "word", "int", "choice", "uuid"]
    min: int = 0
    max: int = 1000
    values: list[Any] = []

    @model_validator(mode="after")
    def _consistent(self) -> DataSpec:
        if self.kind == "choice" and not self.values:
            raise ValueError("`choice` needs a non-empty `values` list")
        if self.kind == "int" and self.min > self.max:
            raise ValueError("`min` is greater than `max`")
        return self


class Probes(Model):
    """`[probes]` in exercise.toml: contract probes derived from the exercise's OpenAPI document.

    `checks` names the kinds of probe that count, each with its points; they run after the
    exercise's own checks, within `budget` seconds of exploring in all. `needs` and `headers`
    say what every probe request carries (a token from a run fixture, say: `${alice.token}`).
    """

    checks: dict[str, int] = Field(min_length=1)
    budget: float = Field(default=6.0, gt=0, le=60)
    document: str = "openapi.yaml"
    # The documented paths to probe (default: all of them); the exercise file says why it leaves
    # any out (lesson 1's /v1 kept by lesson 1's probes, a route only an admin may use...).
    paths: list[str] = []
    needs: list[str] = []
    headers: dict[str, str] = {}
    id_field: str | None = None  # the field whose value an item's URL holds, if not the path's name
    # How the probes make a resource to work on: POST to its collection (the default), or PUT at
    # a URL of its own (a client-named resource), with these headers (`If-None-Match = "*"`).
    create_method: Literal["POST", "PUT"] = "POST"
    create_headers: dict[str, str] = {}
    if_match: bool = False  # writes to a resource send If-Match with the ETag it last showed
    # The errors the README makes problem details: "4xx" leaves a 5xx's body free (a 501 from
    # the HTTP layer for a method no route has); the default judges every error.
    problem_statuses: Literal["4xx", "4xx and 5xx"] = "4xx and 5xx"

    @field_validator("checks")
    @classmethod
    def _points(cls, checks: dict[str, int]) -> dict[str, int]:
        for name, points in checks.items():
            if points < 0:
                raise ValueError(f"{name}: points cannot be negative")
        return checks


# --- mutants, exercises, lessons ----------------------------------------------------------------


class Edit(Model):
    """Replace `find` (which must occur exactly once) by `replace` in one solution file."""

    file: str
    find: str
    replace: str


class Mutant(Model):
    """The reference solution with one planted bug, and the checks that must catch it."""

    name: str = Field(pattern=SLUG)
    description: str
    caught_by: list[str] = Field(min_length=1)
    edits: list[Edit] = Field(min_length=1)


class Exercise(Model):
    id: UUID
    slug: str = Field(pattern=SLUG)
    title: str
    lesson: str = Field(pattern=SLUG)
    points: int = Field(gt=0)
    summary: str = ""
    services: list[Service] = []
    include: list[Include] = []
    data: dict[str, DataSpec] = {}
    # Prepared in this order (TOML keeps the order of tables as written).
    fixtures: dict[Annotated[str, Field(pattern=FIXTURE_NAME)], Fixture] = {}
    checks: list[Check] = Field(min_length=1)
    probes: Probes | None = None  # its checks and fixture are added to the above when loaded
    # In the order a learner meets them; when loaded, every check is in exactly one and `checks`
    # runs in their order (an exercise without stages has one, holding every check).
    stages: list[Stage] = []
    # Filled in by the loader, not read from exercise.toml:
    number: int = 0
    root: Path = Path()
    mutants: list[Mutant] = []

    @property
    def readme(self) -> Path:
        return self.root / "README.md"

    @property
    def contract(self) -> Path:
        """The exercise's OpenAPI document: the contract README.md states in words."""
        return self.root / (self.probes.document if self.probes else "openapi.yaml")

    @property
    def starters(self) -> dict[str, Path]:
        """The starter of each language, by language id: `starter/<id>/` folders, or a
        `starter/` holding files, which is a Python starter."""
        folder = self.root / "starter"
        if not folder.is_dir() or any(entry.is_file() for entry in folder.iterdir()):
            return {"python": folder}
        return {entry.name: entry for entry in sorted(folder.iterdir()) if entry.is_dir()
                and entry.name != "__pycache__"}

    @property
    def starter_dir(self) -> Path:
        """The Python starter (the one `apilab verify` serves)."""
        return self.starters.get("python", self.root / "starter")

    @property
    def solution_dir(self) -> Path:
        return self.root / "solution"

    @property
    def max_score(self) -> int:
        return sum(check.points for check in self.checks)

    @property
    def own_checks(self) -> list[Check]:
        """Its checks without the contract probes `[probes]` adds (an exercise that includes it
        brings these: its probes explore its own contract, not the paths under a base path)."""
        probes = self.probes.checks if self.probes else {}
        return [check for check in self.checks if check.id not in probes]

    def visible_checks(self, include_hidden: bool) -> list[Check]:
        return [c for c in self.checks if include_hidden or not c.hidden]

    @property
    def visible_points(self) -> int:
        """The points of the checks a check run grades (a submission adds the hidden ones)."""
        return sum(check.points for check in self.visible_checks(include_hidden=False))

    def stage_of(self, check_id: str) -> Stage | None:
        return next((stage for stage in self.stages if check_id in stage.checks), None)


class Lesson(Model):
    slug: str = Field(pattern=SLUG)
    title: str
    summary: str = ""
    reading: str  # path relative to lessons/
    notebook: str | None = None  # file name in notebooks/
    exercises: list[str] = []
    # Sandbox labs (vulnerable on purpose) its notebook needs, switched on wherever it runs.
    labs: list[str] = []
    # Filled in by the loader:
    number: int = 0


class Course(Model, CourseLookups):
    title: str
    lessons: list[Lesson] = Field(min_length=1)
    # Filled in by the loader:
    root: Path = Path()
    exercises: dict[str, Exercise] = {}
