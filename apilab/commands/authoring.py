"""For course authors: `apilab verify` checks the course, `apilab publish-notebooks` writes the
learners' notebooks from their solutions."""

from __future__ import annotations

import sys

import click

from apilab.commands import resources


@click.command()
@click.argument("exercise", required=False)
@click.option("--no-notebooks", is_flag=True, help="Skip running the notebooks.")
@click.option("--jobs", "-j", type=click.IntRange(min=1),
              help="Servers or notebooks at once [default: four per core].")
def verify(exercise: str | None, no_notebooks: bool, jobs: int | None) -> None:
    """Check the course itself: solutions pass, starters fail, mutants are caught, notebooks run."""
    from apilab.verify import verify_course

    course = resources.course()
    only = [resources.exercise_in(course, exercise)] if exercise else None
    if any(not ex.solution_dir.is_dir() for ex in only or course.ordered_exercises()):
        raise click.ClickException(resources.NO_REFERENCES)
    ok = verify_course(course, exercises=only, notebooks=not no_notebooks and not exercise,
                       echo=click.echo, jobs=jobs)
    sys.exit(0 if ok else 1)


@click.command("publish-notebooks")
@click.argument("lesson", required=False)
def publish_notebooks(lesson: str | None) -> None:
    """For course authors: write each lesson's notebook from its solution, answers made blanks."""
    from apilab.blanks import publish, solution_path

    course = resources.course()
    try:
        lessons = [course.lesson(lesson)] if lesson else course.lessons
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="LESSON") from None
    for chosen in lessons:
        published = course.notebook_path(chosen)
        if published is None:
            if lesson:
                click.echo(f"Lesson {chosen.number} ({chosen.slug}) has no notebook.")
            continue
        solution = solution_path(published)
        if not solution.is_file():
            raise click.ClickException(
                f"{solution} is missing. The solution notebook is the one you edit: put the "
                "answers in it, mark each with `# blank`, and run this again.")
        try:
            written, blanks = publish(solution, published)
        except (OSError, ValueError) as exc:  # BlankError is a ValueError, as are unreadable notebooks
            raise click.ClickException(f"{solution}: {exc}") from None
        state = f"Wrote {published} from its solution" if written else f"{published} is up to date"
        click.echo(f"{state} ({blanks} blanks)")
