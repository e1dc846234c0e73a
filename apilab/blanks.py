"""Published notebooks are made from solution notebooks: each marked answer becomes a blank.

A course author writes one notebook, the solution (`notebooks/solutions/<name>.ipynb`), and marks
each answer the learner should find with a trailing comment on an assignment:

    created = api.post("/books", json=new_book)  # blank: the request that adds new_book

The published notebook (`notebooks/<name>.ipynb`) is generated from it: the assigned value
becomes `...` and the comment becomes the learner's prompt (`created = ...  # the request that
adds new_book`). A cell with blanks is an *answer cell*; the next code cell must be its
*self-check* (a cell that uses `with self_check(...)`), which fails while a blank is left.
Self-check cells are locked in the published notebook, so a learner edits answers, not checks,
and their code starts folded, so that the explanations in it do not give the answers away.
Generating the published notebook, rather than keeping two by hand, means they cannot drift:
the tests and `apilab verify` fail when the committed one differs from what this module makes.
"""

from __future__ import annotations

import ast
import copy
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

MARK = re.compile(r"#\s*blank\b:?\s*(?P<prompt>.*)$")
SELF_CHECK_CALL = re.compile(r"^\s*with\s+self_check\(", re.MULTILINE)
SELF_CHECK_TAG = "self-check"


class BlankError(ValueError):
    """A solution notebook breaks the authoring convention; the message names the cell and line."""


@dataclass(frozen=True)
class Blank:
    """One marked answer: where it is (0-based cell index, 1-based line) and what it assigns."""

    cell: int
    line: int
    target: str  # the assigned name(s), as written
    prompt: str


def solution_path(published: Path) -> Path:
    """Where the solution of a published notebook lives: `solutions/` beside it, same name."""
    return published.parent / "solutions" / published.name


def is_self_check(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and bool(SELF_CHECK_CALL.search(cell.source))


def find_blanks(solution: nbformat.NotebookNode) -> list[Blank]:
    """Every marked answer of a solution notebook, in order; `BlankError` if the marks are wrong."""
    blanks: list[Blank] = []
    for index, cell in enumerate(solution.cells):
        if cell.cell_type == "code":
            blanks += [Blank(index, line, target, prompt)
                       for line, target, prompt, _ in _marked_answers(cell.source, _where(solution, index))]
    _check_layout(solution, blanks)
    return blanks


def published_from_solution(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook a learner gets: every marked answer blanked, self-checks locked, no outputs."""
    find_blanks(solution)  # refuse a solution that breaks the convention before writing anything
    published = copy.deepcopy(solution)
    for index, cell in enumerate(published.cells):
        if cell.cell_type != "code":
            continue
        cell.source = blank_out(cell.source, index)
        cell.outputs, cell.execution_count = [], None
        cell.metadata = _locked(cell.metadata) if is_self_check(cell) else _unlocked(cell.metadata)
    return published


def published_text(solution: Path) -> str:
    """The published notebook made from the solution notebook file `solution`, as file text."""
    text = nbformat.writes(published_from_solution(nbformat.read(solution, as_version=4)))
    return text if text.endswith("\n") else text + "\n"


def publish(solution: Path, published: Path) -> tuple[bool, int]:
    """Write `published` from `solution` unless it is already what the solution generates.
    Returns whether it was written, and how many blanks it has."""
    text = published_text(solution)
    blanks = len(find_blanks(nbformat.read(solution, as_version=4)))
    if published.is_file() and published.read_text(encoding="utf-8") == text:
        return False, blanks
    published.write_text(text, encoding="utf-8")
    return True, blanks


def blank_out(source: str, cell: int = 0, only: int | None = None) -> str:
    """`source` with its marked answers replaced by `...` (only the `only`-th one, when given)."""
    lines = source.splitlines(keepends=True)
    answers = _marked_answers(source, f"cell {cell + 1}")
    for number, (_, _, prompt, node) in reversed(list(enumerate(answers))):
        if only is not None and number != only:
            continue
        value = node.value
        assert value is not None  # _marked_answers keeps assignments with a value only
        first, last = lines[value.lineno - 1], lines[value.end_lineno - 1]  # type: ignore[index]
        head = _char_prefix(first, value.col_offset)
        tail = _strip_mark(_char_suffix(last, value.end_col_offset))  # type: ignore[arg-type]
        comment = f"  # {prompt}" if prompt else ""
        ending = "\n" if last.endswith("\n") else ""
        lines[value.lineno - 1: value.end_lineno] = [f"{head}...{tail.rstrip()}{comment}{ending}"]
    return "".join(lines)


def remaining_blanks(notebook: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """The blanks a learner has not filled in yet: (cell index, the line), in order.

    A blank is an assignment of `...`, as the published notebook has them. Cells that do not
    parse are skipped: running them reports the syntax error.
    """
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        lines = cell.source.splitlines()
        found += [(index, lines[node.lineno - 1].strip()) for node in ast.walk(tree)
                  if isinstance(node, ast.Assign | ast.AnnAssign)
                  and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis]
    return sorted(found)


def self_check_after(notebook: nbformat.NotebookNode, cell: int) -> int:
    """The index of the self-check cell that checks the answers of cell `cell`."""
    return next(index for index in range(cell + 1, len(notebook.cells))
                if notebook.cells[index].cell_type == "code")


def heading_above(notebook: nbformat.NotebookNode, index: int) -> str:
    """The last Markdown heading before cell `index`, to name a cell the way a reader finds it."""
    for cell in reversed(notebook.cells[:index]):
        if cell.cell_type == "markdown":
            headings = [line.lstrip("#").strip() for line in cell.source.splitlines()
                        if line.startswith("#")]
            if headings:
                return headings[-1]
    return ""


def _marked_answers(source: str, where: str) -> list[tuple[int, str, str, ast.Assign | ast.AnnAssign]]:
    """(line, target, prompt, assignment) for each `# blank` comment in a code cell's source;
    `where` names the cell in error messages."""
    marks = _mark_comments(source, where)
    if not marks:
        return []
    tree = ast.parse(source)
    statements = [node for node in ast.walk(tree)
                  if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None]
    found = []
    for line, prompt in marks:
        owner = [node for node in statements if node.lineno <= line <= node.end_lineno]  # type: ignore[operator]
        if not owner:
            raise BlankError(f"{where}, line {line}: `# blank` must end an assignment "
                             "(name = answer), so that the learner's blank is `name = ...`")
        node = min(owner, key=lambda n: n.end_lineno - n.lineno)  # type: ignore[operator]
        if isinstance(node.value, ast.Constant) and node.value.value is Ellipsis:
            raise BlankError(f"{where}, line {line}: the solution leaves this answer blank; "
                             "write the answer, the published notebook gets the blank")
        if any(node is other for *_, other in found):
            raise BlankError(f"{where}, line {line}: one assignment has two `# blank` marks; "
                             "a blank is a whole assigned value, marked once")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        found.append((line, ", ".join(ast.unparse(t) for t in targets), prompt, node))
    return found


def _mark_comments(source: str, where: str) -> list[tuple[int, str]]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise BlankError(f"{where} is not valid Python: {exc}") from None
    return [(token.start[0], match["prompt"].strip()) for token in tokens
            if token.type == tokenize.COMMENT and (match := MARK.match(token.string))]


def _check_layout(solution: nbformat.NotebookNode, blanks: list[Blank]) -> None:
    """Each answer cell is followed by its self-check; a self-check cell holds no answers."""
    for cell in sorted({blank.cell for blank in blanks}):
        if is_self_check(solution.cells[cell]):
            raise BlankError(f"{_where(solution, cell)} is a self-check and has a `# blank`: put "
                             "answers in their own cell, before the self-check")
        following = [c for c in solution.cells[cell + 1:] if c.cell_type == "code"][:1]
        if not following or not is_self_check(following[0]):
            raise BlankError(f"{_where(solution, cell)} has answers to fill in, but the next code cell "
                             "is not a self-check (`with self_check(...):`) that checks them")


def _where(notebook: nbformat.NotebookNode, index: int) -> str:
    """A cell as an author finds it in Jupyter: its number and the heading above it."""
    heading = heading_above(notebook, index)
    return f"cell {index + 1} (under “{heading}”)" if heading else f"cell {index + 1}"


def _char_prefix(line: str, utf8_offset: int) -> str:
    # ast column offsets count UTF-8 bytes; prompts and strings may hold non-ASCII characters.
    return line.encode()[:utf8_offset].decode()


def _char_suffix(line: str, utf8_offset: int) -> str:
    return line.encode()[utf8_offset:].decode()


def _strip_mark(text: str) -> str:
    """`text` without its `# blank...` comment (a code line's tail after the answer)."""
    match = re.search(r"#\s*blank\b.*$", text)
    return text[: match.start()] if match else text


def _locked(metadata: dict) -> dict:
    """A self-check's metadata: it cannot be edited or deleted, and its code starts folded, since
    its messages explain the answers (JupyterLab honours all three; a click unfolds the code)."""
    tags = [*metadata.get("tags", [])]
    tags += [SELF_CHECK_TAG] if SELF_CHECK_TAG not in tags else []
    jupyter = {**metadata.get("jupyter", {}), "source_hidden": True}
    return {**metadata, "editable": False, "deletable": False, "jupyter": jupyter, "tags": tags}


def _unlocked(metadata: dict) -> dict:
    kept = {k: v for k, v in metadata.items() if k not in ("editable", "deletable")}
    jupyter = {k: v for k, v in kept.pop("jupyter", {}).items() if k != "source_hidden"}
    tags = [tag for tag in kept.pop("tags", []) if tag != SELF_CHECK_TAG]
    return {**kept, **({"jupyter": jupyter} if jupyter else {}), **({"tags": tags} if tags else {})}
