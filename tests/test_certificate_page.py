"""The certificate's printable page: standalone (no scripts, nothing fetched), well formed, a
section per lesson that the print stylesheet keeps on one sheet, and a mentor's column only on
a hub's certificate."""

from __future__ import annotations

from html.parser import HTMLParser

from apilab.catalog.loader import load_course
from apilab.certificate.content import SELF, Result, certificate, hub_issuer
from apilab.certificate.flags import certificate_flags
from apilab.views.certificate import certificate_as_html
from hub.protocol import Certificate
from tests.helpers import FIXTURE_COURSE

VOID = {"meta", "br", "link", "img", "hr", "input"}


class Page(HTMLParser):
    """What a browser would build from the page: sections, headings, header cells, what it
    would fetch or run, and whether every element closes where it should."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.open: list[str] = []
        self.misnested: list[str] = []
        self.sections = 0
        self.fetches: list[str] = []
        self.headings: list[str] = []
        self.header_cells: list[str] = []
        self.styles = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.fetches.append("script")
        self.fetches += [f"{name}={value}" for name, value in attrs if name in ("src", "href")]
        self.sections += tag == "section"
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.misnested.append(tag)

    def handle_data(self, data: str) -> None:
        where = self.open[-1] if self.open else ""
        if where == "h2":
            self.headings.append(data)
        elif where == "th" and "thead" in self.open:
            self.header_cells.append(data)
        elif where == "style":
            self.styles += data


def sample(issuer=None) -> Certificate:
    course = load_course(FIXTURE_COURSE)
    results = {slug: Result("run", 2, 2, "approved" if issuer else None,
                            "2026-11-30T10:00:00+00:00") for slug in ("hello-api", "whoami")}
    flags = certificate_flags(course, [{"challenge": "bola", "category": "API1",
                                        "captured_at": "2026-11-29T10:00:00+00:00"}])
    return Certificate.model_validate(certificate(
        course, "Ada <b>", issuer or SELF, results, "2026-12-01T10:00:00+00:00", flags))


def test_the_page_is_standalone_and_well_formed():
    page = Page(certificate_as_html(sample(hub_issuer("https://hub.example.org", "k"))))
    assert page.fetches == [] and page.misnested == [] and page.open == []
    assert page.headings == ["1. HTTP basics", "2. Auth basics", "Security flags captured"]
    assert page.sections == 3


def test_on_paper_no_lesson_or_row_is_cut_across_two_sheets():
    styles = Page(certificate_as_html(sample())).styles
    assert "@page" in styles and "@media print" in styles
    for kept_whole in ("section {", "tr {"):
        rule = styles.split(kept_whole, 1)[1].split("}", 1)[0]
        assert "break-inside: avoid" in rule, kept_whole
    assert "thead { display: table-header-group; }" in styles  # repeated on each sheet


def test_a_mentors_column_only_where_a_mentor_reviewed():
    hub = Page(certificate_as_html(sample(hub_issuer("https://hub.example.org", "k"))))
    alone = Page(certificate_as_html(sample()))
    assert hub.header_cells[:4] == ["Exercise", "Score", "Mentor", "Completed"]
    assert alone.header_cells[:3] == ["Exercise", "Score", "Completed"]
    assert "Mentor" not in alone.header_cells
