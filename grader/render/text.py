"""The report for a terminal: a verdict per check, then what went wrong and how to reproduce it.

Everything a learner's server sent is untrusted: bodies, headers, reason phrases and messages may
hold terminal escape sequences or bytes that are not text. Every string of the report goes
through `apilab.untrusted.clean` before anything is printed, so a hostile server cannot retitle,
clear or write the clipboard of the learner's terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from apilab.untrusted import clean, clean_all, json_is_clean
from grader.report import CheckResult, Exchange, Outcome, Report, SetupResult
from grader.target import is_loopback

PASS_MARK, FAIL_MARK = "✓", "✗"
BODY_LINES = 15  # of a body excerpt, unless verbose
BODY_CHARS = 800
# Headers that every request or response carries and that never explain a failure.
QUIET_REQUEST_HEADERS = {"host", "user-agent", "accept-encoding", "connection", "content-length"}
QUIET_RESPONSE_HEADERS = {"date", "server"}
MAX_HEADERS = 12
# Fix the first failures first: more than a few full transcripts bury the one that matters.
EXPLAINED_FAILURES = 3
MAX_CURLS = 4  # the requests that led to a failure; a long walk keeps only its last steps

def cleaned(report: Report) -> Report:
    """`report` with every string safe to print or to put in XML: a copy when some string
    needed cleaning, else `report` itself."""
    try:
        if json_is_clean(report.to_json(indent=None)):
            return report
    except ValueError:  # a string that cannot be serialized (a lone surrogate): clean it
        pass
    return Report.model_validate(clean_all(report.model_dump(by_alias=True)))


def replay_command(report: Report) -> str:
    """The command that grades the same server again with the same data."""
    remote = "" if is_loopback(urlsplit(report.url).hostname or "") else " --allow-remote"
    command = "submit" if report.hidden_included else "check"  # submit is what runs hidden checks
    services = "".join(f" --{name}-url {url}" for name, url in report.services.items())
    every = " --all" if command == "check" and _ran_past_a_failure(report) else ""
    return (f"apilab {command} {report.exercise} --url {report.url}{services} --seed {report.seed}"
            f"{every}{remote}")


def _ran_past_a_failure(report: Report) -> bool:
    """True when a stage after one with a failure ran: a run by stages stops there, so this run
    was of every stage (--all)."""
    failed = {check.id for check in report.failed}
    stopped = [n for n, stage in enumerate(report.stages) if failed.intersection(stage.checks)]
    return bool(stopped) and any(stage.ran for stage in report.stages[stopped[0] + 1:])


def summary(report: Report) -> str:
    if report.status == "error":
        return "Nothing was graded."
    failed = len(report.failed)
    hidden = " (hidden checks included)" if report.hidden_included else ""
    later = f", {report.waiting} in later stages not run yet" if report.waiting else ""
    return (f"{report.passed} passed, {failed} failed{later} · {report.score}/{report.max_score} "
            f"points · {report.duration_ms / 1000:.1f} s{hidden}")


def next_step(report: Report) -> str | None:
    """What to do next when a run by stages stopped: the stage to fix and the one after it."""
    if report.status != "fail" or not report.not_run:
        return None
    failed = {check.id for check in report.failed}
    stopped = next(stage for stage in report.stages if failed.intersection(stage.checks))
    number = report.stages.index(stopped) + 1
    after = report.not_run[0]
    return (f"Stage {number} of {len(report.stages)}, {stopped.title}, has failures: fix them and "
            f"check again to go on to stage {number + 1}, {after.title}. "
            f"(apilab check {report.exercise} --all runs every stage.)")


def explain(check: Outcome, *, verbose: bool = False, style: Styler | None = None) -> list[str]:
    """The lines that explain one check's (or setup's) result: what was sent and received, and why."""
    s = style or Styler(False)
    lines = []
    if check.message:
        lines.append(s.bold(check.message))
    if check.hidden:
        return lines  # the requests of hidden checks are never shown
    exchanges = check.exchanges
    if not verbose and len(exchanges) > MAX_CURLS:
        lines.append(s.dim(f"… {len(exchanges) - MAX_CURLS} earlier requests"))
        exchanges = exchanges[-MAX_CURLS:]
    for number, exchange in enumerate(exchanges, 1):
        last = number == len(exchanges)
        if last or verbose:
            lines += [""] + _exchange(exchange, verbose, s)
        else:
            lines.append(s.dim(f"{_exchange_line(exchange)}"))
    if check.expected is not None or check.received is not None:
        lines.append("")
    if check.expected is not None:
        lines += _labelled("Expected", check.expected, s.green)
    if check.received is not None:
        lines += _labelled("Received", check.received, s.red)
    if check.why:
        lines += _labelled("Why", check.why, s.plain)
    if check.hint:
        lines += _labelled("Hint", check.hint, s.yellow)
    if check.exchanges:
        lines.append(s.bold("Reproduce:"))
        shown = check.exchanges if verbose else check.exchanges[-MAX_CURLS:]
        if len(shown) < len(check.exchanges):
            lines.append(s.dim(f"  … {len(check.exchanges) - len(shown)} earlier requests "
                               "(--verbose or --format json shows them all)"))
        lines += ["  " + exchange.curl for exchange in shown]
    return lines


def render_text(report: Report, *, color: bool = False, verbose: bool = False) -> str:
    """The whole report as terminal text; ANSI colours only when `color` is true."""
    report = cleaned(report)
    s = Styler(color)
    lines = _header(report, s)
    if report.status == "error":
        lines += ["", s.red(report.message or "Nothing could be graded."), ""]
    else:
        lines += [""] + _setup_verdicts(report, s) + _verdicts(report, s)
        lines += _setup_explained(report, verbose, s)
        explained, briefly = 0, []
        for check in report.checks:
            # A check blocked by a failed setup has nothing to explain beyond its message.
            failed = not check.passed and not check.hidden and not check.blocked_by
            if check.blocked_by or (failed and not verbose and explained >= EXPLAINED_FAILURES):
                briefly.append(check)
            elif failed or (verbose and check.exchanges):
                explained += failed
                mark = s.green(PASS_MARK) if check.passed else s.red(FAIL_MARK)
                lines += ["", f"{mark} {s.bold(check.title)} {s.dim(f'({check.id})')}"]
                lines += _indent(explain(check, verbose=verbose, style=s), 2)
        if briefly:
            more = f"{len(briefly)} more failed check{'s' * (len(briefly) != 1)}"
            if all(check.blocked_by for check in briefly):
                lines += ["", s.bold(f"{more}, not run:")]
            else:
                lines += ["", s.bold(f"{more}, in short (--verbose explains each one):")]
            lines += [f"  {s.red(FAIL_MARK)} {c.id}: {c.message}" for c in briefly]
        lines.append("")
    if report.status != "error":  # nothing ran, so there is nothing to replay
        lines.append(f"Replay this run: {s.bold(replay_command(report))}")
    if step := next_step(report):
        lines.append(s.yellow(step))
    verdict = s.green if report.status == "pass" else s.red
    lines.append(verdict(summary(report)))
    return "\n".join(lines) + "\n"


class Styler:
    """click.style when colour is on, the text unchanged when it is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def _style(self, text: str, **options: Any) -> str:
        if not self.color:
            return text
        import click

        return click.style(text, **options)

    def plain(self, text: str) -> str:
        return text

    def bold(self, text: str) -> str:
        return self._style(text, bold=True)

    def dim(self, text: str) -> str:
        return self._style(text, dim=True)

    def green(self, text: str) -> str:
        return self._style(text, fg="green")

    def red(self, text: str) -> str:
        return self._style(text, fg="red")

    def yellow(self, text: str) -> str:
        return self._style(text, fg="yellow")


# --- pieces -------------------------------------------------------------------------------------


def _header(report: Report, s: Styler) -> list[str]:
    verdict = {"pass": s.green("PASS"), "fail": s.red("FAIL"), "error": s.red("ERROR")}
    title = f"{report.title} ({report.exercise})" if report.title else report.exercise
    return [
        s.bold(title),
        f"  Server  {report.url}",
        f"  Seed    {report.seed}",
        f"  Score   {report.score}/{report.max_score}  {verdict[report.status]}",
    ] + _limits(report) + _probe_time(report)


def _limits(report: Report) -> list[str]:
    # Only worth a line when a check runs under a limit of its own (a rate-limit window, say).
    limits = report.time_limits
    own = [c for c in report.checks if limits and c.time_limit_s not in (None, limits.check_s)]
    if limits is None or not own:
        return []
    special = ", ".join(f"{c.id}: {c.time_limit_s:g} s" for c in own)
    return [f"  Limits  {limits.check_s:g} s a check ({special}), {limits.run_s:g} s the run"]


def _probe_time(report: Report) -> list[str]:
    # What the contract probes reached depends on their budget: a kind cut short passed on less.
    probes = report.probes
    if probes is None:
        return []
    budget = f"of a {probes.budget_s:g} s budget" if probes.budget_s is not None else "(no budget)"
    cut = f"; cut short by it: {', '.join(probes.cut_short)}" if probes.cut_short else ""
    ready = f" (after {probes.ready_s:.1f} s getting ready)" if probes.ready_s >= 0.05 else ""
    return [f"  Probes  {probes.used_s:.1f} s used {budget}{ready}{cut}"]


def _setup_verdicts(report: Report, s: Styler) -> list[str]:
    lines = []
    for result in report.setup:
        mark = s.green(PASS_MARK) if result.passed else s.red(FAIL_MARK)
        lines.append(f"  {mark} {s.dim('setup:')} {result.title}")
    return lines


def _setup_explained(report: Report, verbose: bool, s: Styler) -> list[str]:
    lines = []
    for result in report.setup:
        if result.passed and not (verbose and result.exchanges):
            continue
        mark = s.green(PASS_MARK) if result.passed else s.red(FAIL_MARK)
        lines += ["", f"{mark} {s.bold('Setup: ' + result.title)} {s.dim(f'({result.name})')}"]
        lines += _indent(explain(result, verbose=verbose, style=s) + _blocked(result, report), 2)
    return lines


def _blocked(result: SetupResult, report: Report) -> list[str]:
    blocked = [c.id for c in report.checks if result.name in c.blocked_by]
    return [f"{'Not run:':<10}{', '.join(blocked)} (they need it)"] if blocked else []


def _verdicts(report: Report, s: Styler) -> list[str]:
    """A line per check; under a heading per stage when the exercise has several."""
    if len(report.stages) < 2:
        return _check_lines(report.checks, report.checks, s, 2)
    results = {check.id: check for check in report.checks}
    lines = []
    for number, stage in enumerate(report.stages, 1):
        ran = [results[check_id] for check_id in stage.checks if check_id in results]
        heading = f"Stage {number}/{len(report.stages)} · {stage.title}"
        if not stage.ran:
            count = len(stage.checks)
            lines.append(s.dim(f"  · {heading} (not run yet: {count} check{'s' * (count != 1)})"))
            continue
        mark = s.green(PASS_MARK) if all(c.passed for c in ran) else s.red(FAIL_MARK)
        lines += [f"  {mark} {s.bold(heading)}"] + _check_lines(ran, report.checks, s, 4)
    return lines


def _check_lines(checks: list[CheckResult], every: list[CheckResult], s: Styler, indent: int) -> list[str]:
    width = min(60, max(len(_check_label(c)) for c in every)) if every else 0
    lines = []
    for check in checks:
        mark = s.green(PASS_MARK) if check.passed else s.red(FAIL_MARK)
        points = f"{check.points}/{check.max_points}"
        lines.append(f"{' ' * indent}{mark} {_check_label(check):<{width}}  {points:>5}")
    return lines


def _check_label(check: CheckResult) -> str:
    return f"[hidden] {check.title}" if check.hidden else check.title


def _exchange_line(exchange: Exchange) -> str:
    outcome = exchange.response.line if exchange.response is not None else f"no response: {exchange.error}"
    return f"{exchange.request.line} → {outcome} ({exchange.elapsed_ms:g} ms)"


def _exchange(exchange: Exchange, verbose: bool, s: Styler) -> list[str]:
    request = exchange.request
    lines = [s.bold("Request:"), f"  {request.line}"]
    lines += _headers(request.headers, QUIET_REQUEST_HEADERS, verbose)
    lines += _body(request.body, request.body_truncated, None, verbose)
    response = exchange.response
    if response is None:
        lines += [s.bold("Response:"), "  " + s.red(f"no response: {exchange.error}")]
        return lines
    lines += [s.bold("Response:") + s.dim(f" ({exchange.elapsed_ms:g} ms)"), f"  {response.line}"]
    lines += _headers(response.headers, QUIET_RESPONSE_HEADERS, verbose)
    size = response.body_size if response.body_truncated else None
    lines += _body(response.body, response.body_truncated, size, verbose)
    if exchange.error:  # a response whose framing broke: what came, then what was wrong
        lines.append("  " + s.red(f"✗ {exchange.error}"))
    return lines


def _headers(headers: list[tuple[str, str]], quiet: set[str], verbose: bool) -> list[str]:
    shown = [(k, v) for k, v in headers if verbose or k.lower() not in quiet]
    lines = [f"  {name}: {value}" for name, value in shown[: None if verbose else MAX_HEADERS]]
    if len(shown) > len(lines):
        lines.append(f"  … {len(shown) - len(lines)} more headers")
    return lines


def _body(body: str, truncated: bool, size: int | None, verbose: bool) -> list[str]:
    if not body:
        return []
    text = clean(_pretty_json(body)) if not truncated else body
    lines = text.split("\n")
    cut = truncated
    if not verbose and (len(lines) > BODY_LINES or len(text) > BODY_CHARS):
        lines, cut = text[:BODY_CHARS].split("\n")[:BODY_LINES], True
    out = [""] + [f"  {line}" for line in lines]
    if cut:
        out.append("  … (body cut" + (f"; {size} bytes read" if size else "") + ")")
    return out


def _pretty_json(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _labelled(label: str, text: str, paint: Callable[[str], str]) -> list[str]:
    first, *rest = text.split("\n") or [""]
    return [f"{label + ':':<10}{paint(first)}"] + [" " * 10 + line for line in rest]


def _indent(lines: list[str], width: int) -> list[str]:
    return [(" " * width + line) if line else "" for line in lines]

