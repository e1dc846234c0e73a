"""What the hub and its clients agree on, with no FastAPI in it: the API's typed request and
response models, which the hub's routes declare and `apilab.hubclient` returns, and the few
wire rules both sides apply. The learner's and mentor's apps import this module, never the
hub's server code.

Names follow one family per resource: `XIn` for a request body, `X` for what comes back,
`XPage` for the list envelope `{"items": [...], "next_cursor": ...}`.

Answers tolerate fields they do not know (a newer hub may add some); request bodies refuse them,
so a typo in a field name is a 422 rather than silently ignored. An answer's list is read item by
item: an item this version cannot read (a field missing or of another type, from a hub of
another version or a broken one) becomes an `Unreadable` that says why, in its place, and the
rest of the list is read as usual; so one bad item never makes a page, a thread or a cohort
unusable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import CoreSchema, core_schema

from grader.report import SAFE_INTEGER, Report, read_report

PROBLEM_MEDIA_TYPE = "application/problem+json"
MAX_INT = 2**63 - 1  # SQLite's INTEGER: a number beyond it is out of range, never a crash

Kind = Literal["check", "submit"]
Role = Literal["learner", "mentor"]
Verdict = Literal["approved", "changes_requested"]
ReviewState = Literal["awaiting", "approved", "changes_requested"]
QueueView = Literal["latest", "all"]


# defer_build: a model's validator is built when first used, not at import, so that the
# everyday commands that import the client (to send a waiting submission) start quickly.


class Answer(BaseModel):
    """Something the hub sends back: unknown fields (from a newer hub) are ignored."""

    model_config = ConfigDict(extra="ignore", defer_build=True)


class Body(BaseModel):
    """Something a client sends: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


# --- lists, read one item at a time -----------------------------------------------------------


@dataclass(frozen=True)
class Unreadable:
    """Stands in for an item of an answer's list that this version cannot read; `why` names the
    fields at fault and what was wrong with them (never the values sent). Only a reader makes
    one: a hub sends items it can read, and its schema shows the item's model alone."""

    why: str


M = TypeVar("M", bound=BaseModel)


class _EachItem:
    """Marks `M | Unreadable`: validated as M, and an Unreadable when that fails."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        model = handler.generate_schema(next(arg for arg in get_args(source)
                                             if arg is not Unreadable))
        return core_schema.no_info_wrap_validator_function(
            _or_unreadable, model, serialization=core_schema.wrap_serializer_function_ser_schema(
                _never_unreadable, schema=model))


def _or_unreadable(value: Any, validate: ValidatorFunctionWrapHandler) -> Any:
    try:
        return validate(value)
    except ValidationError as exc:
        return Unreadable(unreadable_because(exc))


def _never_unreadable(value: Any, serialize: core_schema.SerializerFunctionWrapHandler) -> Any:
    if isinstance(value, Unreadable):  # a hub must fail loudly rather than send an empty item
        raise ValueError(f"an unreadable item cannot be sent ({value.why})")
    return serialize(value)


def unreadable_because(exc: ValidationError, at_most: int = 3) -> str:
    """Why pydantic refused something, as the fields at fault and what is wrong with each;
    never the values themselves, which came from outside."""
    errors = exc.errors(include_url=False, include_input=False)
    reasons = [f"{'.'.join(str(part) for part in error['loc']) or 'the item'}: {error['msg']}"
               for error in errors[:at_most]]
    more = f"; and {len(errors) - at_most} more" if len(errors) > at_most else ""
    return "; ".join(reasons) + more


# An item of an answer's list: its model, or Unreadable.
Item = Annotated[M | Unreadable, _EachItem()]


# --- who --------------------------------------------------------------------------------------


class Me(Answer):
    name: str
    role: Role


# --- submissions ------------------------------------------------------------------------------


class SubmissionIn(Body):
    """A grader run sent by the learner who made it. The hub keeps `report` exactly as sent."""

    kind: Kind = Field(description="`check` for a practice run, `submit` for a graded one.")
    report: Report = Field(description="The grader's report, as `apilab check --format json` "
                                       "prints it. A report with a newer `schema` than the hub "
                                       "knows is accepted; the fields it knows are checked. "
                                       "It must also agree with itself, as the grader writes "
                                       "it: a check that passes earns its max_points and one "
                                       "that fails earns 0; score and max_score are the sums "
                                       "of the checks'; the status is pass when every check "
                                       "passes and fail otherwise (error: no checks, score 0); "
                                       "and check ids are unique.")


class Review(Answer):
    verdict: Verdict
    reviewed_by: str
    reviewed_at: str
    score_override: int | None
    reason: str | None


class SubmissionSummary(Answer):
    id: str
    url: str
    learner: str
    exercise: str
    exercise_id: str
    kind: Kind
    status: str = Field(description="The report's status: pass, fail or error.")
    score: int = Field(description="The grader's score.")
    max_score: int
    effective_score: int = Field(description="The mentor's override if there is one, else score.")
    created_at: str
    review_state: ReviewState
    review: Review | None

    @property
    def overridden(self) -> bool:
        return self.review is not None and self.review.score_override is not None


class SubmissionDetail(SubmissionSummary):
    """One submission with its report. On the wire the report is the member `report`, exactly
    the bytes the learner's app sent; here it is `report_json`, that text, read on demand
    (`report()`), so a report is never rewritten on its way from the learner to a mentor."""

    report_json: str = Field(exclude=True)
    etag: str | None = Field(None, exclude=True,
                             description="From the ETag header: send it as If-Match to review.")

    @classmethod
    def from_wire(cls, text: str, etag: str | None = None) -> SubmissionDetail:
        """Read the hub's answer to GET /v1/submissions/{id}; ValueError if it is not one."""
        members = json_members(text)
        if "report" not in members:
            raise ValueError("the answer has no report")
        fields = {name: value for name, (value, _raw) in members.items() if name != "report"}
        return cls.model_validate({**fields, "report_json": members["report"][1], "etag": etag})

    def report(self) -> Report:
        """The report, read as leniently as its `schema` allows (see grader.report)."""
        return read_report(self.report_json)


class SubmissionPage(Answer):
    items: list[Item[SubmissionSummary]]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last one. The Link header has the same.")


# --- feedback and reviews ---------------------------------------------------------------------


class FeedbackIn(Body):
    body: str = Field(min_length=1, max_length=20_000, description="Markdown.")
    check_id: str | None = Field(None, max_length=200,
                                 description="A check of the submission's report, to comment "
                                             "on that check alone.")


class Feedback(Answer):
    id: str
    seq: int = Field(description="Increases with every item the hub writes: ask for "
                                 "`/v1/feedback?after=<the last seq you have>` to sync.")
    url: str
    submission_id: str
    exercise: str
    learner: str
    author: str
    kind: Literal["note", "review"] = Field(description="`review` items record a verdict.")
    check_id: str | None
    body: str
    verdict: Verdict | None
    score_override: int | None
    reason: str | None
    created_at: str


class FeedbackPage(Answer):
    items: list[Item[Feedback]]
    next_cursor: str | None = Field(description="Null when this is everything there is.")


class ReviewIn(Body):
    # A learner asked for changes must read which: the document says so as if/then, which a
    # client generating requests from it honours as the hub does.
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"verdict": {"const": "changes_requested"}}, "required": ["verdict"]},
        "then": {"properties": {"body": {"pattern": r"\S"}}, "required": ["body"]},
    })

    verdict: Verdict
    score_override: int | None = Field(None, ge=0, le=SAFE_INTEGER,
                                       description="Replaces the grader's score; between 0 and "
                                                   "the report's max_score. Needs a reason.")
    reason: str | None = Field(None, max_length=2_000,
                               description="Why the score was overridden.")
    body: str = Field("", max_length=20_000, validate_default=True,
                      description="A Markdown comment: optional with approved, required (not "
                                  "blank) with changes_requested, to say what to change.")

    @field_validator("body")
    @classmethod
    def _changes_are_named(cls, body: str, info: ValidationInfo) -> str:
        if info.data.get("verdict") == "changes_requested" and not body.strip():
            raise ValueError(CHANGES_NEED_A_COMMENT)
        return body


CHANGES_NEED_A_COMMENT = "say which changes: a request for changes needs a comment"


class ReviewStatus(Answer):
    submission_id: str
    review_state: ReviewState
    review: Review | None


# --- cohort -----------------------------------------------------------------------------------


class CheckStats(Answer):
    id: str
    title: str
    attempts: int = Field(description="Learners whose latest submission ran this check.")
    passed: int
    pass_rate: float = Field(description="passed / attempts, from 0 to 1.")


class FailingCheck(Answer):
    id: str
    title: str
    failures: int
    fail_rate: float


class CohortStats(Answer):
    exercise: str
    kind: Kind | None
    learners: int = Field(description="Learners with at least one submission counted.")
    checks: list[Item[CheckStats]] = Field(description="In the exercise's order.")
    most_failing: list[Item[FailingCheck]] = Field(description="Up to five, most failures "
                                                               "first.")


class StuckLearner(Answer):
    learner: str
    exercise: str
    why: Literal["idle", "repeating"] = Field(description="`idle`: no submission of it for "
                                                          "idle_days; `repeating`: the same "
                                                          "check failed in each of the last "
                                                          "repeat_runs.")
    runs: int = Field(description="Submissions of the exercise in all.")
    last_run_at: str
    check_id: str | None = Field(description="The check that stops them (failing in every "
                                             "recent run, or in the latest).")
    check_title: str | None


class CohortExercise(Answer):
    lesson: str
    exercise: str
    title: str
    started: int = Field(description="Learners with at least one submission.")
    passed: int = Field(description="Learners with a run that passed every check.")
    approved: int = Field(description="Learners with a submission a mentor approved.")
    stuck: int
    stopping_check: FailingCheck | None = Field(description="The check most of the stuck "
                                                            "learners fail; fail_rate is over "
                                                            "the stuck learners.")


class CohortProgress(Answer):
    idle_days: int
    repeat_runs: int
    exercises: list[Item[CohortExercise]] = Field(description="In the course's order.")
    stuck: list[Item[StuckLearner]] = Field(description="The first page of who is stuck, "
                                                        "longest idle first.")
    stuck_count: int = Field(description="Stuck learners in all (one per learner and "
                                         "exercise).")
    stuck_next_cursor: str | None = Field(None, description="Pass as `cursor` to GET "
                                                            "/v1/cohort/stuck for the next "
                                                            "page; null when `stuck` is all.")


class StuckPage(Answer):
    items: list[Item[StuckLearner]] = Field(description="Longest idle first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on "
                                                "the last one. The Link header has the same.")


# --- certificates -----------------------------------------------------------------------------
# The signature covers `certificate` in its canonical form (apilab.certificate.signing), so a
# change to any field of it, even one this version does not know, fails verification.


class CertificateExercise(Answer):
    slug: str
    title: str
    score: int = Field(description="The score that counts: the mentor's override if any.")
    max_score: int
    verdict: Verdict | None = Field(description="The mentor's; null for a course taken alone.")
    completed_at: str = Field(description="When the run that counts was made (ISO 8601).")
    run_id: str = Field(description="The submission (or, alone, the local run) that counts.")


class CertificateLesson(Answer):
    slug: str
    title: str
    exercises: list[CertificateExercise]


class CapturedFlag(Answer):
    lesson: str
    name: str
    captured_at: str


class CertificateIssuer(Answer):
    kind: Literal["hub", "self"] = Field(description="`self`: a course taken alone, which "
                                                     "nobody vouches for; it is never signed.")
    name: str = Field(description="The hub's address, or `self`.")
    key_id: str | None = Field(description="The id of the key that signs for the hub.")


class Certificate(Answer):
    schema_version: int = Field(1, alias="schema")
    id: str
    course: str
    learner: str
    issuer: CertificateIssuer
    issued_at: str
    lessons: list[CertificateLesson]
    flags: list[CapturedFlag] = Field(description="Security flags captured, lesson by lesson.")

    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)


class CertificateSignature(Answer):
    alg: Literal["Ed25519"]
    key_id: str
    value: str = Field(description="base64url, without padding, over the canonical bytes of "
                                   "`certificate`.")


class SignedCertificate(Answer):
    """The machine-readable certificate: its content and the hub's signature (none for a
    course taken alone)."""

    certificate: Certificate
    signature: CertificateSignature | None


class SigningKey(Answer):
    """The hub's public key, as a JSON Web Key (RFC 8037: an OKP key on Ed25519)."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str
    kid: str
    use: Literal["sig"] = "sig"
# --- security lab captures ---------------------------------------------------------------------

CHALLENGE_ID = r"^[a-z0-9][a-z0-9-]{0,39}$"
CAPTURE_LAB = "security"  # the sandbox lab (`apilab sandbox --lab security`) whose flags these are


class CaptureIn(Body):
    """A security lab challenge whose flag the learner's apilab checked and accepted. The flag
    itself is not sent: it is made from the learner's own installation's secret, which the hub
    does not know, so it would prove nothing here."""

    category: str = Field(pattern=r"^API([1-9]|10)$",
                          description="Its OWASP API Security Top 10 (2023) category, API1 to API10.")
    captured_at: str = Field(max_length=40, pattern=r"^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})$",
                             description="When the learner captured it (ISO 8601, with its offset).")


class Capture(Answer):
    learner: str
    challenge: str
    category: str
    captured_at: str
    received_at: str


class CapturePage(Answer):
    items: list[Item[Capture]] = Field(description="Every capture the caller may see, by learner "
                                                   "then time: a learner at most one per challenge.")


# --- errors -----------------------------------------------------------------------------------


class Problem(BaseModel):
    """An RFC 9457 problem: every error the hub answers has this shape."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI; GET it for what the type means.")
    title: str
    status: int = Field(description="Equal to the HTTP status.")
    detail: str = Field(description="What happened in this case, and what to do.")
    instance: str
    errors: list[dict[str, str]] | None = Field(None, description="For invalid input: each "
                                                "field and what is wrong with it.")


# --- the wire ---------------------------------------------------------------------------------

_decoder = json.JSONDecoder()
_SPACE = " \t\n\r"


def json_member(text: str, key: str) -> str | None:
    """The text of member `key` of the JSON object `text`, exactly as written there (None if
    the object has no such member). Both sides use it to pass a report through untouched:
    parsing and dumping it again would change its bytes. ValueError if `text` is not an object.
    """
    found = json_members(text).get(key)
    return found[1] if found else None


def json_members(text: str) -> dict[str, tuple[Any, str]]:
    """Each member of the JSON object `text` as (its value, its text exactly as written), in
    one pass; the last of duplicate names wins, as in json.loads. ValueError if `text` is not
    one JSON object."""
    at = _skip(text, 0)
    if text[at:at + 1] != "{":
        raise ValueError("not a JSON object")
    at = _skip(text, at + 1)
    found: dict[str, tuple[Any, str]] = {}
    while text[at:at + 1] != "}":
        name, at = _decoder.raw_decode(text, at)
        at = _skip(text, at)
        if not isinstance(name, str) or text[at:at + 1] != ":":
            raise ValueError("not a JSON object")
        start = _skip(text, at + 1)
        value, end = _decoder.raw_decode(text, start)
        found[name] = (value, text[start:end])
        at = _skip(text, end)
        if text[at:at + 1] == ",":
            at = _skip(text, at + 1)
        elif text[at:at + 1] != "}":
            raise ValueError("not a JSON object")
    if _skip(text, at + 1) != len(text):
        raise ValueError("extra data after the JSON object")
    return found


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def envelope(kind: str, report_json: str) -> str:
    """The body of PUT /v1/submissions/{id}: the report spliced in as it is, byte for byte."""
    return f'{{"kind": {json.dumps(kind)}, "report": {report_json}}}'
