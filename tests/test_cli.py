"""The `apilab` command as a learner uses it, on the fixture course with real servers.

Each test gets its own APILAB_HOME (a fresh progress store) and, where it writes, its own copy of
the fixture course.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

from apilab.app_servers import serve_app
from apilab.ports import free_port
from apilab.store import Store
from grader.report import SCHEMA_VERSION
from tests.helpers import FIXED_TIME, FIXTURE_COURSE, make_report


def test_lessons_shows_the_course_and_the_next_step(cli):
    result = cli("lessons")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "Fixture course"
    assert "1. HTTP basics" in lines and "2. Auth basics" in lines
    assert "Next: apilab start hello-api, then apilab check hello-api" in lines


def test_once_started_the_next_step_is_to_serve_it(cli, course_copy):
    assert cli("start", "hello-api").exit_code == 0
    assert "Next: apilab serve hello-api, then apilab check hello-api" in cli("lessons").output.splitlines()


def test_a_passing_check_exits_0_and_counts_as_progress(cli, hello_solution_url):
    result = cli("check", "hello-api", "--url", hello_solution_url, "--seed", "7")
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output
    lessons = cli("lessons").output
    assert "✓ 1. " in lessons
    assert "Next: apilab start whoami" in lessons


def test_a_failing_check_exits_1_and_explains(cli, hello_starter_url):
    result = cli("check", "hello-api", "--url", hello_starter_url, "--seed", "7")
    assert result.exit_code == 1
    assert "Reproduce:" in result.output and "curl" in result.output
    assert f"apilab check hello-api --url {hello_starter_url} --seed 7" in result.output
    assert "✗ 1. " in cli("lessons").output


def test_nothing_listening_exits_2_and_says_how_to_start(cli, monkeypatch):
    import apilab.commands.grading

    port = free_port()
    monkeypatch.setattr(apilab.commands.grading, "SERVER_PORT", port)
    result = cli("check", "hello-api")  # the default address, where apilab serve runs it
    assert result.exit_code == 2
    assert f"nothing is listening on 127.0.0.1:{port}" in result.output
    assert "Start your server first: apilab serve hello-api" in result.output


def test_nothing_listening_at_a_given_url_does_not_suggest_the_python_starter(cli):
    port = free_port()
    result = cli("check", "hello-api", "--url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 2
    assert "Start your server so that it listens there" in result.output
    assert "apilab serve" not in result.output


def test_a_url_without_a_scheme_gets_the_right_suggestion(cli):
    result = cli("check", "hello-api", "--url", "127.0.0.1:8002")
    assert result.exit_code == 2 and "try --url http://127.0.0.1:8002" in result.output


def test_serve_on_a_busy_port_says_what_to_do(cli, course_copy):
    import socket

    assert cli("start", "hello-api").exit_code == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("serve", "hello-api", "--port", str(port))
    assert result.exit_code == 1
    assert f"port {port} is already in use" in result.output and f"--port {port + 1}" in result.output


def test_a_remote_url_is_refused_without_allow_remote(cli):
    result = cli("check", "hello-api", "--url", "http://192.0.2.10:8001")
    assert result.exit_code == 2
    assert "not this machine" in result.output and "--allow-remote" in result.output


def test_an_unknown_exercise_lists_the_known_ones(cli):
    result = cli("check", "nope")
    assert result.exit_code == 2
    assert "no exercise 'nope'" in result.output and "1 (hello-api)" in result.output


def test_exercises_are_named_by_number_too(cli, hello_solution_url):
    assert cli("check", "1", "--url", hello_solution_url).exit_code == 0


def test_json_and_junit_formats(cli, hello_starter_url):
    as_json = cli("check", "hello-api", "--url", hello_starter_url, "--format", "json", "--seed", "3")
    report = json.loads(as_json.output)
    assert report["schema"] == SCHEMA_VERSION and report["seed"] == 3 and report["status"] == "fail"
    as_junit = cli("check", "hello-api", "--url", hello_starter_url, "--format", "junit")
    suite = ET.fromstring(as_junit.output).find("testsuite")
    assert int(suite.get("failures")) >= 1


def test_submit_is_recorded_as_a_submission(cli, hello_solution_url, tmp_path):
    result = cli("submit", "hello-api", "--url", hello_solution_url)
    assert result.exit_code == 0, result.output
    with Store(tmp_path / "home" / "progress.db") as store:
        [run] = store.runs("hello-api")
    assert run.kind == "submit" and run.status == "pass"


def test_submit_speaks_json_and_junit_with_checks_exit_codes(cli, hello_solution_url,
                                                           hello_starter_url):
    passed = cli("submit", "hello-api", "--url", hello_solution_url, "--format", "json")
    assert passed.exit_code == 0
    report = json.loads(passed.stdout)  # the report alone: the submission's fate is on stderr
    assert report["hidden_included"] is True and report["status"] == "pass"
    assert "Recorded as a submission" in passed.stderr
    failed = cli("submit", "hello-api", "--url", hello_starter_url, "--format", "junit")
    assert failed.exit_code == 1
    assert int(ET.fromstring(failed.stdout).find("testsuite").get("failures")) >= 1
    nothing = cli("submit", "hello-api", "--url", f"http://127.0.0.1:{free_port()}",
                  "--format", "json")
    assert nothing.exit_code == 2
    assert json.loads(nothing.stdout)["status"] == "error"


def test_start_copies_the_starter_and_never_overwrites_work(cli, course_copy):
    result = cli("start", "hello-api")
    assert result.exit_code == 0, result.output
    work = course_copy / "work" / "hello-api"
    assert (work / "app.py").read_text() == (course_copy / "exercises/hello-api/starter/app.py").read_text()
    (work / "app.py").write_text("# my work\n")

    again = cli("start", "hello-api")
    assert "already exists" in again.output
    assert (work / "app.py").read_text() == "# my work\n"

    reset = cli("start", "hello-api", "--reset")
    assert "previous work is kept in" in reset.output
    backups = list((course_copy / "work").glob("hello-api.backup-*"))
    assert len(backups) == 1 and (backups[0] / "app.py").read_text() == "# my work\n"

    assert cli("start", "hello-api", "--reset").exit_code == 0  # twice within a second
    assert len(list((course_copy / "work").glob("hello-api.backup-*"))) == 2


def test_serve_without_a_workspace_says_to_start_first(cli, course_copy):
    result = cli("serve", "hello-api")
    assert result.exit_code == 1
    assert "apilab start hello-api" in result.output


def test_a_broken_course_file_is_named(cli, course_copy):
    toml = course_copy / "exercises/hello-api/exercise.toml"
    toml.write_text(toml.read_text().replace("title =", "titel =", 1))
    result = cli("lessons")
    assert result.exit_code == 1
    assert "exercise.toml: titel: unknown key; did you mean 'title'?" in result.output


def test_a_check_reads_the_course_kept_by_the_one_before(cli, hello_solution_url, monkeypatch):
    import apilab.catalog.loader

    assert cli("check", "hello-api", "--url", hello_solution_url).exit_code == 0

    def no_loading(*_args, **_kwargs):
        raise AssertionError("the course was loaded again, not read back")

    monkeypatch.setattr(apilab.catalog.loader, "load_course", no_loading)
    monkeypatch.setattr(apilab.catalog.loader, "load_course_exercise", no_loading)
    result = cli("check", "hello-api", "--url", hello_solution_url)
    assert result.exit_code == 0, result.output


def test_a_problem_elsewhere_in_the_course_does_not_stop_a_check(cli, course_copy,
                                                                 hello_solution_url):
    toml = course_copy / "exercises/whoami/exercise.toml"
    toml.write_text(toml.read_text().replace("title =", "titel =", 1))
    assert cli("check", "hello-api", "--url", hello_solution_url).exit_code == 0
    result = cli("check", "whoami", "--url", hello_solution_url)
    assert result.exit_code == 1
    assert "whoami/exercise.toml: titel: unknown key; did you mean 'title'?" in result.output
    assert "Traceback" not in result.output


def test_lessons_shows_a_mentors_review(cli, tmp_path):
    with Store(tmp_path / "home" / "progress.db") as store:
        run_id = store.record_run(make_report(passed=(True, False)), "submit")
        store.add_feedback(run_id, "grace", "Fine by me.", verdict="approved", score_override=2,
                           reason="the failure was ours")
    lines = cli("lessons").output.splitlines()
    hello = next(line for line in lines if "1. Hello" in line)
    assert "2*/" in hello and "approved by your mentor" in hello


def test_lessons_shows_the_best_run_with_the_verdict_on_that_run(cli, tmp_path):
    later = FIXED_TIME + timedelta(hours=1)
    with Store(tmp_path / "home" / "progress.db") as store:
        old = store.record_run(make_report(passed=(True, False)), "submit")
        store.add_feedback(old, "grace", "Fine by me.", verdict="approved", score_override=1,
                           reason="partly")
        store.record_run(make_report(passed=(True, True), started_at=later), "submit")
        whoami = store.record_run(make_report("whoami", passed=(True,)), "submit")
        store.add_feedback(whoami, "grace", "Passing, but check the realm.",
                           verdict="changes_requested")
    lines = cli("lessons").output.splitlines()
    hello = next(line for line in lines if "1. Hello" in line)
    assert "2/2" in hello and "*" not in hello  # not the old attempt's "1*/2 approved"
    assert "passed, submitted, not yet reviewed (an earlier attempt was approved)" in hello
    who = next(line for line in lines if "2. Who am I?" in line)
    assert "1/1" in who and "passed, changes requested by your mentor" in who
    assert "Every exercise passed" not in "\n".join(lines)
    assert lines[-1] == ("Next: your mentor asked for changes to 2. Who am I?: read them in the "
                         "app (apilab), then apilab submit whoami")


def test_history_says_which_server_and_url_each_run_graded(cli, tmp_path):
    assert "No runs of hello-api yet" in cli("history", "hello-api").output
    with Store(tmp_path / "home" / "progress.db") as store:
        store.record_run(make_report(passed=(True, False)), server="node server.js")
        store.record_run(make_report(passed=(True, True), started_at=FIXED_TIME + timedelta(1)),
                         "submit")
    lines = cli("history", "hello-api").output.splitlines()
    assert lines[0] == "1. Hello, API: 2 runs, newest first"
    newest, oldest = lines[2:]
    assert "submit" in newest and "passed" in newest and "2/2" in newest
    assert newest.endswith("http://127.0.0.1:8001  (yours)")
    assert "check" in oldest and "failed" in oldest
    assert oldest.endswith("http://127.0.0.1:8001  node server.js")
    assert len(cli("history", "hello-api", "--limit", "1").output.splitlines()) == 3
    assert cli("history", "nope").exit_code == 2


def test_the_sandbox_is_recognised_and_another_program_is_not(sandbox_url):
    from apilab.commands.notebooks import _is_sandbox

    assert _is_sandbox(sandbox_url)
    assert not _is_sandbox(f"http://127.0.0.1:{free_port()}")  # nothing there
    with serve_app(FIXTURE_COURSE / "exercises/hello-api/solution") as other:
        assert not _is_sandbox(other)  # something, but not the sandbox


def test_ctrl_c_a_command_does_not_handle_exits_130(cli, monkeypatch):
    from apilab.commands import resources

    def interrupted():
        raise KeyboardInterrupt  # Ctrl-C while the course loads

    monkeypatch.setattr(resources, "course", interrupted)
    result = cli("lessons")
    assert result.exit_code == 130
    assert "apilab: stopped." in result.output and "Aborted!" not in result.output

