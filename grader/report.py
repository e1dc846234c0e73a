"""The report: one type from the runner to the store, the terminal app and the hub.

A learner's failure is a result, recorded here; a broken platform is an exception, never a report.
The JSON form carries `schema` so that stored reports stay readable as the model grows:
`read_report` reads a report of this version strictly, and one written by a newer apilab
(a higher `schema`) leniently, keeping the fields this version knows and ignoring the others.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

# 2 added `services`, `setup` (run fixtures), `time_limits`, and per check `time_limit_s` and
# `blocked_by`; 3 added `stages` and `probes` (the contract probes' time). Reports of an older
# schema read as before (they have none of these), and an older apilab reads a newer report
# leniently, ignoring what it does not know.
SCHEMA_VERSION = 3
# Scores are stored as SQLite integers by the progress store and the hub; within I-JSON's safe
# range (RFC 7493), every JSON reader agrees on them.
SAFE_INTEGER = 2**53 - 1
Score = Annotated[int, Field(ge=-SAFE_INTEGER, le=SAFE_INTEGER)]

Status = Literal["pass", "fail", "error"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown_when_lenient(cls, data: Any, info: ValidationInfo) -> Any:
        """Reading a newer schema (`read_report`), fields this version does not know are
        dropped instead of refused; reading this schema, they are refused (a typo, a bug)."""
        if info.context and info.context.get("lenient") and isinstance(data, dict):
            known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
            return {key: value for key, value in data.items() if key in known}
        return data


class SentRequest(Model):
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: str = ""  # an excerpt, decoded for display
    body_truncated: bool = False

    @property
    def line(self) -> str:
        return f"{self.method} {self.url}"


class ReceivedResponse(Model):
    status: int
    reason: str = ""
    http_version: str = "HTTP/1.1"
    headers: list[tuple[str, str]]
    body: str = ""  # an excerpt, decoded for display
    body_size: int = 0  # bytes read, at most the grader's cap
    body_truncated: bool = False

    @property
    def line(self) -> str:
        return f"{self.http_version} {self.status} {self.reason}".rstrip()

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class Exchange(Model):
    """One request the grader made and what came back (or what went wrong on the wire)."""

    request: SentRequest
    response: ReceivedResponse | None = None
    error: str | None = None  # a plain-language transport problem: refused, reset, timed out...
    elapsed_ms: float = 0.0
    curl: str


class Outcome(Model):
    """What a check or a run fixture did: its verdict, what went wrong, and its exchanges."""

    title: str
    status: Literal["pass", "fail"]
    message: str = ""  # what went wrong, in a sentence; empty on a pass
    expected: str | None = None
    received: str | None = None
    why: str = ""  # why it matters, naming the standard
    hint: str | None = None
    stopped_while: str | None = None  # the preparation that failed, when the check never got
    # to what it tests (creating the resource it works on, say)
    hidden: bool = False
    duration_ms: float = 0.0
    exchanges: list[Exchange] = []

    @property
    def passed(self) -> bool:
        return self.status == "pass"


class CheckResult(Outcome):
    id: str
    points: int  # earned
    max_points: int
    time_limit_s: float | None = None  # the limit this check ran under (None: before schema 2)
    blocked_by: list[str] = []  # run fixtures it needs that failed, so it was never run


class SetupResult(Outcome):
    """A run fixture, prepared once before the checks (a resource, a user and its token...)."""

    name: str  # as in exercise.toml's [fixtures.NAME]
    needed_by: list[str] = []  # the ids of the checks that need it


class StageResult(Model):
    """One stage of the exercise in this run: its checks, and whether the run reached it.

    A run by stages stops after the first stage with a failure: the stages after it are not
    run, their checks are absent from `checks` and their points not yet earned (not failed).
    """

    id: str
    title: str
    checks: list[str]  # the ids of its checks that this run grades, run or not
    ran: bool = True


class TimeLimits(Model):
    """The time limits a run was graded under."""

    check_s: float  # a check's limit, unless it sets its own `timeout`
    run_s: float  # the whole run: the default, grown by what checks and fixtures ask beyond it


class ProbeTime(Model):
    """The contract probes' time in a run: their budget, what they used, and the kinds of probe
    that stopped before they had explored everything (not a failure: the budget ended)."""

    budget_s: float | None  # None: no budget (`apilab verify`, bounded by examples instead)
    used_s: float
    ready_s: float = 0.0  # getting Hypothesis ready before the budget started (see the grader)
    cut_short: list[str] = []  # check ids


class Report(Model):
    schema_version: int = Field(default=SCHEMA_VERSION, alias="schema")
    exercise: str  # slug
    exercise_id: str
    title: str = ""
    status: Status
    score: Score
    max_score: Score
    seed: int
    url: str
    services: dict[str, str] = {}  # the URL of each service the run used, such as the sandbox
    grader_version: str
    started_at: datetime
    duration_ms: float
    hidden_included: bool = False
    message: str = ""  # for status `error`: why nothing could be graded, and what to do
    time_limits: TimeLimits | None = None
    probes: ProbeTime | None = None  # when the exercise has contract probes and they ran
    setup: list[SetupResult] = []  # run fixtures, in the order they were prepared
    stages: list[StageResult] = []  # in the exercise's order (none before schema 3)
    checks: list[CheckResult] = []  # those that ran, in the exercise's order

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @property
    def passed(self) -> int:
        return sum(1 for check in self.checks if check.passed)

    @property
    def not_run(self) -> list[StageResult]:
        """The stages this run did not reach, because an earlier one had a failure."""
        return [stage for stage in self.stages if not stage.ran]

    @property
    def waiting(self) -> int:
        """How many checks are in the stages this run did not reach."""
        return sum(len(stage.checks) for stage in self.not_run)

    @property
    def from_newer_version(self) -> bool:
        """Written by a newer apilab: some of what it holds may not be shown."""
        return self.schema_version > SCHEMA_VERSION

    @property
    def failed(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.passed]

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, by_alias=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Report:
        return cls.model_validate_json(text)


class ReportUnreadable(ValueError):
    """A report that cannot be read: not JSON, or missing what even a lenient reading needs."""


def read_report(text: str | bytes) -> Report:
    """A report from its JSON, keyed on its `schema`: strictly for this version or older, and
    leniently for a newer one (fields this version does not know are ignored, so a report
    from a newer apilab is still shown). Raises ReportUnreadable, a ValueError, saying why."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReportUnreadable(f"the report is not JSON ({exc})") from None
    return report_from_data(data)


def report_from_data(data: Any) -> Report:
    """`read_report` for a report already parsed from JSON (a dict)."""
    if not isinstance(data, dict):
        raise ReportUnreadable("the report is not a JSON object")
    schema = data.get("schema", SCHEMA_VERSION)
    newer = isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA_VERSION
    try:
        return Report.model_validate(data, context={"lenient": newer})
    except ValueError as exc:  # pydantic's ValidationError is one
        raise ReportUnreadable(str(exc)) from exc
