"""How long `apilab verify` takes for the whole course, and for a course five times its size.

Method, in one run:
1. Server start: start `--servers` copies of exercise 1's solution at once, as verify does (each
   forked from the fork server that has imported FastAPI and uvicorn), and, as the baseline, as
   separate `python -m uvicorn app:app` processes (how verify started them before, and how a
   learner runs one); wall time until all listen, and CPU seconds per server.
2. The course: verify it (every exercise's solution, starter and mutants, and every notebook)
   with the default number of jobs at once and, as baselines, one at a time and with no bound.
3. Five lessons: verify a course of `--scale` copies of every lesson (each with its own exercise
   slugs and ids), standing in for a course with that many lessons: the target is five lessons
   under 90 s on two cores.

Each figure is wall seconds and CPU seconds (this process, its children, and the servers the
fork server forked; Linux only for the last); `ok` says whether every verdict held, since a fast
run that fails proves nothing. Other programs on the machine stretch wall times, not CPU times:
when the machine is busy, read the CPU seconds (divided by the cores, the wall time an idle
machine would need at best) and the ratios within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from apilab.app_servers import serve_apps
from apilab.catalog.loader import load_course
from apilab.catalog.models import Course
from apilab.ports import free_ports
from apilab.verify import default_jobs, verify_course

UNBOUNDED = 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", type=int, default=3,
                        help="rounds of the course's settings, in rotating order (default 3)")
    parser.add_argument("--scale", type=int, default=5,
                        help="lessons copies in the scaled course (default 5; 0 skips it)")
    parser.add_argument("--no-baselines", action="store_true",
                        help="skip the one-at-a-time and unbounded runs")
    parser.add_argument("--servers", type=int, default=8,
                        help="servers started at once in the start-up comparison (default 8)")


def run(runs: int = 3, scale: int = 5, no_baselines: bool = False, servers: int = 8) -> dict:
    """Time server start-up, then verify at the default bound (and the baselines) on the course
    and a scaled copy."""
    from apilab.paths import course_root

    course = load_course(course_root())
    settings = {"default": default_jobs()}
    if not no_baselines:
        settings |= {"one_at_a_time": 1, "unbounded": UNBOUNDED}
    result: dict = {"cpus": os.cpu_count(), "default_jobs": default_jobs(),
                    "servers": _servers(course), "notebooks": _notebooks(course),
                    "server_start": server_start(course.ordered_exercises()[0].solution_dir, servers)}
    # Each round runs every setting, in a rotating order, so that load from other programs that
    # comes and goes weighs on all of them alike.
    rounds: dict[str, list[tuple[float, float, bool]]] = {name: [] for name in settings}
    names = list(settings)
    for index in range(runs):
        for name in names[index % len(names):] + names[:index % len(names)]:
            rounds[name].append(_measured(course, settings[name]))
    for name, measured in rounds.items():
        result[name] = _figures(settings[name], measured)
    if not no_baselines:
        default = result["default"]["median_s"]
        result["default_vs_one_at_a_time"] = round(default / result["one_at_a_time"]["median_s"], 3)
        result["default_vs_unbounded"] = round(default / result["unbounded"]["median_s"], 3)
    if scale:
        with tempfile.TemporaryDirectory(prefix="apilab-bench-course-") as tmp:
            scaled = load_course(scaled_course(course, Path(tmp), scale))
            result["scaled"] = {"lessons": len(scaled.lessons), "servers": _servers(scaled),
                                "notebooks": _notebooks(scaled),
                                **_figures(default_jobs(), [_measured(scaled, default_jobs())])}
    return result


def server_start(folder: Path, count: int) -> dict:
    """Start `count` copies of the app in `folder` at once, forked and as plain processes."""
    figures = {}
    for name, start in [("forked", _forked), ("processes", _processes)]:
        cpu, started = cpu_seconds(), time.perf_counter()
        start(folder, count)
        figures[name] = {"wall_s": round(time.perf_counter() - started, 2),
                         "cpu_s_per_server": round((cpu_seconds() - cpu) / count, 3)}
    figures["cpu_ratio"] = round(figures["forked"]["cpu_s_per_server"]
                                 / figures["processes"]["cpu_s_per_server"], 3)
    return {"count": count, **figures}


def _forked(folder: Path, count: int) -> None:
    with serve_apps([folder] * count):
        pass


def _processes(folder: Path, count: int) -> None:
    ports = free_ports(count)
    servers = [subprocess.Popen([sys.executable, "-m", "uvicorn", "app:app", "--port", str(port),
                                 "--log-level", "warning"], cwd=folder, stderr=subprocess.DEVNULL)
               for port in ports]
    while not all(_listening(port) for port in ports):
        time.sleep(0.02)
    for server in servers:
        server.terminate()
    for server in servers:
        server.wait()


def _listening(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def cpu_seconds() -> float:
    """CPU used so far by this process, its reaped children, and the fork server and its children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    return total + _fork_server_children_cpu()


def _fork_server_children_cpu() -> float:
    # The fork server's own CPU (its imports, once) and its children's, the servers it reaped:
    # /proc/PID/stat fields 14 to 17 (utime, stime, cutime, cstime).
    from multiprocessing import forkserver

    pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def scaled_course(course: Course, into: Path, copies: int) -> Path:
    """A course of `copies` copies of every lesson of `course`, each with its own exercises."""
    for part in ("lessons", "exercises", "notebooks"):
        shutil.copytree(course.root / part, into / part, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = (course.root / "lessons" / "course.toml").read_text(encoding="utf-8")
    head, *lessons = re.split(r"(?m)^\[\[lessons\]\]\n", manifest)
    copied = []
    for copy in range(2, copies + 1):
        for lesson in course.lessons:
            for slug in lesson.exercises:
                _copy_exercise(into / "exercises", slug, f"{slug}-{copy}", f"{lesson.slug}-{copy}")
        for text in lessons:
            renamed = re.sub(r'(?m)^slug = "([^"]+)"', rf'slug = "\1-{copy}"', text)
            copied.append(re.sub(r'"([a-z0-9-]+)"', lambda m, copy=copy: _renamed(m, course, copy), renamed))
    (into / "lessons" / "course.toml").write_text(
        head + "".join("[[lessons]]\n" + text for text in [*lessons, *copied]), encoding="utf-8")
    return into


def _renamed(match: re.Match[str], course: Course, copy: int) -> str:
    name = match.group(1)
    return f'"{name}-{copy}"' if name in course.exercises else match.group(0)


def _copy_exercise(root: Path, slug: str, new_slug: str, new_lesson: str) -> None:
    shutil.copytree(root / slug, root / new_slug, ignore=shutil.ignore_patterns("__pycache__"))
    path = root / new_slug / "exercise.toml"
    text = path.read_text(encoding="utf-8")
    # The first of each is the exercise's own (check ids come later, under [[checks]]).
    text = re.sub(r'(?m)^id = "[^"]+"', f'id = "{uuid.uuid4()}"', text, count=1)
    text = re.sub(r'(?m)^slug = "[^"]+"', f'slug = "{new_slug}"', text, count=1)
    text = re.sub(r'(?m)^lesson = "[^"]+"', f'lesson = "{new_lesson}"', text, count=1)
    path.write_text(text, encoding="utf-8")


def _measured(course: Course, jobs: int) -> tuple[float, float, bool]:
    """(wall seconds, CPU seconds, every verdict held) of one verification of `course`."""
    cpu, started = cpu_seconds(), time.perf_counter()
    ok = verify_course(course, echo=lambda line: None, jobs=jobs)
    return time.perf_counter() - started, cpu_seconds() - cpu, ok


def _figures(jobs: int, measured: list[tuple[float, float, bool]]) -> dict:
    walls, cpus = [wall for wall, _, _ in measured], [cpu for _, cpu, _ in measured]
    return {"jobs": jobs, "ok": all(ok for _, _, ok in measured),
            "seconds": [round(wall, 2) for wall in walls], "median_s": round(statistics.median(walls), 2),
            "cpu_s": round(statistics.median(cpus), 1)}


def _servers(course: Course) -> int:
    return sum(2 + len(exercise.mutants) for exercise in course.exercises.values())


def _notebooks(course: Course) -> int:
    return sum(1 for lesson in course.lessons if lesson.notebook)


def summarize(result: dict) -> str:
    start = result["server_start"]
    lines = [f"verify_course: {result['servers']} servers and {result['notebooks']} notebooks, "
             f"{result['cpus']} cores, default bound {result['default_jobs']} jobs at once", "",
             f"starting {start['count']} servers at once: forked {start['forked']['wall_s']:.1f} s, "
             f"{start['forked']['cpu_s_per_server']:.2f} CPU s each; plain processes "
             f"{start['processes']['wall_s']:.1f} s, {start['processes']['cpu_s_per_server']:.2f} "
             f"CPU s each ({start['cpu_ratio']:.2f}x the CPU)", ""]
    for name in ("default", "one_at_a_time", "unbounded"):
        if name in result:
            figures = result[name]
            bound = "no bound" if figures["jobs"] == UNBOUNDED else f"{figures['jobs']} at once"
            lines.append(f"{name:<16}{figures['median_s']:>8.1f} s, {figures['cpu_s']:>6.1f} CPU s  "
                         f"({bound}; "
                         f"{'all verdicts held' if figures['ok'] else 'SOME VERDICTS FAILED'})")
    if "default_vs_one_at_a_time" in result:
        lines += ["", f"default / one at a time: {result['default_vs_one_at_a_time']:.2f}x; "
                      f"default / unbounded: {result['default_vs_unbounded']:.2f}x"]
    if "scaled" in result:
        scaled = result["scaled"]
        lines += ["", f"scaled course: {scaled['lessons']} lessons, {scaled['servers']} servers, "
                      f"{scaled['notebooks']} notebooks: {scaled['median_s']:.1f} s, "
                      f"{scaled['cpu_s']:.1f} CPU s "
                      f"({'all verdicts held' if scaled['ok'] else 'SOME VERDICTS FAILED'}; "
                      "target: under 90 s on 2 cores)"]
    return "\n".join(lines)
