"""What the hub accepts as a submission: the body of PUT /v1/submissions/{id}, read only after
the token was checked, and a report that makes sense.

A report is written by the learner's machine, so every byte of it is untrusted. The hub:
- reads at most `max_report_bytes` of it, after undoing a `Content-Encoding: gzip` (a small
  compressed body cannot unfold into a large one: decompression stops at the limit);
- keeps the report's text exactly as it arrived (`json_member`), so a mentor reads the bytes
  the learner sent, and a newer `schema` loses nothing on the way;
- reads it leniently when its `schema` is newer than this hub's (`read_report`), and checks
  what it knows: the score is the sum of the checks' points and within 0..max_score, the status
  agrees with the checks, the slug and every string and count are bounded, check ids are unique.
Anything else is a problem (400, 413, 415 or 422) that names what is wrong.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from grader.report import SAFE_INTEGER, Report, ReportUnreadable, report_from_data
from httpkit.problems import ProblemException, field_errors
from hub.protocol import MAX_INT, json_members
from hub.settings import HubSettings

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
ENCODINGS = ("gzip", "identity")
# text fields and how long each may be, per report and per check
REPORT_TEXT = {"exercise_id": 64, "title": 300, "url": 2_000, "grader_version": 64,
               "message": 10_000}
CHECK_TEXT = {"id": 100, "title": 300, "message": 10_000, "expected": 10_000,
              "received": 10_000, "why": 2_000, "hint": 2_000, "stopped_while": 1_000}
MAX_EXCHANGES_PER_CHECK = 50
MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class Incoming:
    kind: str
    report: Report
    report_json: str  # exactly as received


def read_submission(raw: bytes, content_type: str, content_encoding: str,
                    settings: HubSettings) -> Incoming:
    """The submission in a PUT body, or a ProblemException saying what is wrong with it."""
    media = content_type.split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise ProblemException(415, "send the body as JSON, with Content-Type: application/json "
                               f"(not {media or 'nothing'})")
    text = _text(_decoded(raw, content_encoding, settings.max_report_bytes))
    try:
        members = json_members(text)  # one pass: each value, and the report's exact text
    except ValueError as exc:
        if text.lstrip()[:1] in ("[", '"') or text.strip() in ("null", "true", "false"):
            raise _invalid("body", "the body must be an object with kind and report") from None
        raise ProblemException(400, f"the body is not valid JSON: {exc}", "malformed-json") from None
    unknown = sorted(set(members) - {"kind", "report"})
    if unknown:
        raise _invalid(unknown[0], "unknown field: the body has only kind and report")
    kind = members.get("kind", (None, ""))[0]
    if kind not in ("check", "submit"):
        raise _invalid("kind", "kind must be check or submit")
    if "report" not in members:
        raise _invalid("report", "the report is missing")
    report_data, report_json = members["report"]
    try:
        report = report_from_data(report_data)
    except ReportUnreadable as exc:
        cause = exc.__cause__
        if isinstance(cause, ValidationError):
            errors = field_errors(cause.errors(), prefix="report")
            names = ", ".join(sorted({e["field"] for e in errors})[:5])
            raise ProblemException(422, f"the report is not valid: {names}", errors=errors) from None
        raise _invalid("report", str(exc)) from None
    check_report(report, settings.max_checks)
    return Incoming(kind, report, report_json)


def _decoded(raw: bytes, encoding: str, limit: int) -> bytes:
    coding = encoding.strip().lower() or "identity"
    if coding not in ENCODINGS:
        raise ProblemException(415, f"the hub accepts bodies sent as gzip or uncompressed, not "
                               f"{coding}", headers={"Accept-Encoding": "gzip"})
    if coding == "identity":
        body = raw
    else:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(raw, limit + 1)
        except zlib.error as exc:
            raise ProblemException(400, f"the body is not valid gzip ({exc})") from None
        if not inflater.eof and len(body) <= limit:
            raise ProblemException(400, "the gzip body ends before its end; send it whole")
    if len(body) > limit:
        raise ProblemException(413, f"the report is larger than the {limit} bytes this hub "
                               "accepts (uncompressed)")
    return body


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemException(400, f"the body is not UTF-8 ({exc.reason} at byte {exc.start}); "
                               "JSON is sent as UTF-8", "malformed-json") from None


def check_report(report: Report, max_checks: int) -> None:
    """ProblemException (422) naming the first thing in `report` that cannot be right."""
    if not SLUG.fullmatch(report.exercise):
        raise _invalid("report.exercise", "an exercise slug is 1 to 64 lowercase letters, "
                       "digits and '-'")
    _bounded_text("report", report, REPORT_TEXT)
    for name in ("score", "max_score", "seed"):
        value = getattr(report, name)
        if not -MAX_INT <= value <= MAX_INT:
            raise _invalid(f"report.{name}", "out of range")
    if not (math.isfinite(report.duration_ms) and report.duration_ms >= 0):
        raise _invalid("report.duration_ms", "must be a finite number of milliseconds >= 0")
    if len(report.checks) > max_checks:
        raise _invalid("report.checks", f"at most {max_checks} checks")
    seen: set[str] = set()
    for index, check in enumerate(report.checks):
        where = f"checks.{index}"
        if check.id in seen:
            raise _invalid(f"report.{where}.id", f"check id {check.id[:100]!r} appears twice")
        seen.add(check.id)
        _bounded_text(f"report.{where}", check, CHECK_TEXT)
        if not 0 <= check.max_points <= MAX_POINTS:
            raise _invalid(f"report.{where}.max_points", f"between 0 and {MAX_POINTS}")
        earned = check.max_points if check.passed else 0
        if check.points != earned:
            raise _invalid(f"report.{where}.points", f"a check that is {check.status} earns "
                           f"{earned} of its {check.max_points} points")
        if len(check.exchanges) > MAX_EXCHANGES_PER_CHECK:
            raise _invalid(f"report.{where}.exchanges", f"at most {MAX_EXCHANGES_PER_CHECK}")
    _consistent(report)


def _consistent(report: Report) -> None:
    if report.status == "error":
        if report.checks or report.score != 0:
            raise _invalid("report.status", "an error report (nothing graded) has no checks "
                           "and scores 0")
        if not 0 <= report.max_score <= MAX_POINTS * 1_000:
            raise _invalid("report.max_score", "out of range")
        return
    expected = "pass" if all(check.passed for check in report.checks) else "fail"
    if report.status != expected:
        raise _invalid("report.status", f"the checks say {expected}, the report says "
                       f"{report.status}")
    if report.score != sum(check.points for check in report.checks):
        raise _invalid("report.score", "the score must be the sum of the checks' points")
    if report.max_score != sum(check.max_points for check in report.checks):
        raise _invalid("report.max_score", "max_score must be the sum of the checks' "
                       "max_points")


def _bounded_text(where: str, model: object, limits: dict[str, int]) -> None:
    for name, limit in limits.items():
        value = getattr(model, name, None)
        if isinstance(value, str) and len(value) > limit:
            raise _invalid(f"{where}.{name}", f"at most {limit} characters")


def document_limits(schemas: dict[str, Any], max_checks: int) -> None:
    """Write the limits above into the OpenAPI `schemas` of the report's models, so that the
    hub's document says what its intake refuses (what a schema cannot say, that a report agrees
    with itself, SubmissionIn says in words)."""
    report, check = schemas["Report"]["properties"], schemas["CheckResult"]["properties"]
    report["exercise"]["pattern"] = f"^{SLUG.pattern}$"
    report["checks"]["maxItems"] = max_checks
    report["seed"].update(minimum=-SAFE_INTEGER, maximum=SAFE_INTEGER)  # I-JSON: exact anywhere
    report["duration_ms"]["minimum"] = 0
    check["exchanges"]["maxItems"] = MAX_EXCHANGES_PER_CHECK
    for name in ("points", "max_points"):
        check[name].update(minimum=0, maximum=MAX_POINTS)
    for properties, limits in ((report, REPORT_TEXT), (check, CHECK_TEXT)):
        for name, limit in limits.items():
            field = properties[name]
            for schema in field.get("anyOf", [field]):  # `str | None`: the string's
                if schema.get("type") == "string":
                    schema["maxLength"] = limit


def _invalid(field: str, message: str) -> ProblemException:
    return ProblemException(422, f"invalid {field}: {message}",
                            errors=[{"location": "body", "field": field, "message": message,
                                     "type": "value_error"}])
