"""What the apps say about untrusted text, without Textual: Markdown that shows where its links
go, a plain preview of a note, literal names in a feedback thread, unreadable hub items."""

from __future__ import annotations

from markdown_it import MarkdownIt

from apilab.views.markdown import escape, parser, preview
from apilab.views.mentor import (
    feedback_markdown,
    queue_row,
    review_conflict,
    submission_heading,
)
from grader.report import SCHEMA_VERSION
from hub.protocol import Feedback, Review, SubmissionSummary, Unreadable
from tests.helpers import HOSTILE, MARKUP_ATTACKS, make_report

SUBMISSION = {"id": "s-1", "url": "/v1/submissions/s-1", "learner": "ada",
              "exercise": "hello-api", "exercise_id": "e-1", "kind": "submit", "status": "fail",
              "score": 1, "max_score": 3, "effective_score": 1,
              "created_at": "2025-03-14T09:30:00+00:00", "review_state": "awaiting",
              "review": None}


def feedback(**fields: object) -> Feedback:
    """A note by mia, "Well done", with `fields` changed."""
    return Feedback.model_validate({
        "id": "f-1", "seq": 1, "url": "/v1/feedback/f-1", "submission_id": "s-1",
        "exercise": "hello-api", "learner": "ada", "author": "mia", "kind": "note",
        "check_id": None, "body": "Well done", "verdict": None, "score_override": None,
        "reason": None, "created_at": "2025-03-14T10:00:00+00:00", **fields})


def inline(markdown: str, md: MarkdownIt | None = None) -> list[tuple[str, str]]:
    """(type, content) of the inline tokens of `markdown`'s first paragraph."""
    tokens = (md or parser()).parse(markdown)
    children = next(token.children for token in tokens if token.type == "inline")
    return [(child.type, child.content) for child in children or []]


def hidden_links(document: str) -> list[str]:
    """The targets of links in `document` whose visible text is not the target itself (a
    bare URL is made a link, which hides nothing)."""
    found = []
    for token in MarkdownIt("gfm-like").parse(document):
        for child in token.children or []:
            if child.type == "link_open" and child.markup != "linkify":
                found.append(str(child.attrGet("href")))
    return found


def test_a_link_shows_its_target_after_its_text():
    assert inline("See [the docs](https://evil.example/steal) now") == [
        ("text", "See "), ("link_open", ""), ("text", "the docs"), ("link_close", ""),
        ("text", " <https://evil.example/steal>"), ("text", " now")]


def test_an_autolink_already_shows_its_target_and_an_image_shows_its_source():
    assert inline("<https://a.example>") == [
        ("link_open", ""), ("text", "https://a.example"), ("link_close", "")]
    assert ("text", " <https://i.example/p.png>") in inline("![diagram](https://i.example/p.png)")


def test_links_a_parser_would_refuse_stay_text():
    # markdown-it refuses javascript: and friends; the words stay, nothing is clickable
    assert [kind for kind, _ in inline("[x](javascript:alert(1))")] == ["text"]


def test_preview_is_the_first_block_as_plain_text():
    note = "**Close!** Your `POST` [answers](https://x.example) 500.\n\nSecond paragraph."
    assert preview(note) == "Close! Your POST answers 500."
    assert preview("# Heading *one*\n\nbody") == "Heading one"
    assert preview("```\ncurl -i http://x\n```") == "curl -i http://x"
    assert preview("- first item\n- second") == "first item"
    assert preview("") == preview("\n\n") == ""
    assert preview("word " * 40, width=20) == "word word word word…"


def test_escape_keeps_untrusted_words_literal_in_markdown():
    for attack in [*MARKUP_ATTACKS.values(), "[x](https://evil.example)", "**bold**",
                   "# heading\n- item", "<https://evil.example>", "`code`", "&amp;"]:
        document = f"by {escape(attack)}"
        tokens = inline(document, MarkdownIt("gfm-like"))
        assert {kind for kind, _ in tokens} <= {"text", "link_open", "link_close"}, attack
        assert hidden_links(document) == [], attack
        assert "".join(text for _, text in tokens) == "by " + " ".join(attack.splitlines())


def test_a_feedback_thread_is_markdown_only_in_its_bodies():
    items = [feedback(author=f"[max](https://evil.example) {HOSTILE}", kind="review",
                      check_id="c-1", verdict="approved", score_override=2,
                      reason="[why](https://evil.example)", body="Fine **work**\x1b[2J")]
    document = feedback_markdown(items, {"c-1": "*Lists* [books](https://evil.example)"})
    tokens = MarkdownIt("gfm-like").parse(document)
    kinds = [child.type for token in tokens if token.children for child in token.children]
    assert hidden_links(document) == []  # from names, titles and reasons: none
    assert kinds.count("strong_open") == 4  # author, verdict, score, and the body's own
    assert "\x1b" not in document and "\\x1b[2J" in document


def test_an_unreadable_feedback_item_says_so_and_why_and_the_rest_shows():
    document = feedback_markdown([Unreadable("author: Field required"), feedback()], {})
    assert "unreadable feedback item" in document and "author: Field required" in document
    assert "Well done" in document


def test_a_queue_row_is_literal_text_and_an_unreadable_one_says_so():
    row = queue_row(SubmissionSummary(**{**SUBMISSION, "learner": HOSTILE,
                                         "exercise": "reading-list[/]"}))
    assert row[1].plain == "reading-list[/]" and not row[1].spans
    assert "\x1b" not in row[0].plain and "OWNED" in row[0].plain
    assert [cell.plain for cell in queue_row(Unreadable("learner: Field required"))] == [
        "unreadable", "", "", "", "", ""]


def test_a_heading_is_literal_and_says_when_a_newer_apilab_wrote_the_report():
    summary = SubmissionSummary(**{**SUBMISSION, "learner": HOSTILE})
    heading = submission_heading(summary).plain
    assert "\x1b" not in heading and "ada" not in heading and "OWNED" in heading
    assert "newer apilab" not in heading
    newer = make_report().model_copy(update={"schema_version": SCHEMA_VERSION + 1})
    assert f"Written by a newer apilab (report schema {SCHEMA_VERSION + 1})" in submission_heading(
        summary, newer).plain


def test_the_question_after_a_crossed_review_quotes_the_other_mentor_literally():
    review = Review(verdict="approved", reviewed_by=f"max {HOSTILE}",
                    reviewed_at="2025-03-14T10:00:00+00:00", score_override=2, reason=HOSTILE)
    current = SubmissionSummary(**{**SUBMISSION, "review_state": "approved", "review": review})
    question = review_conflict(current, "changes_requested")
    assert "\x1b" not in question.plain and "\u202e" not in question.plain
    assert question.plain.count("OWNED") >= 2 and "[/]" in question.plain
    assert "score set to 2/3" in question.plain and "(changes requested)?" in question.plain
