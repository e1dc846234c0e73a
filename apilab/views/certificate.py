"""A certificate as plain text for the terminal, and as a standalone HTML page that prints on
one sheet. Every value in it came from a file or a hub, so the text is cleaned of terminal
controls and the HTML escapes everything it shows."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from apilab.untrusted import clean
from hub.protocol import Certificate, CertificateExercise

if TYPE_CHECKING:
    from apilab.certificate.issue import Saved


# A flag is checked against a secret of the learner's own installation, which no hub holds:
# the certificate says where it was checked rather than implying more.
FLAGS_NOTE = "each flag checked by the learner's own apilab when captured"


def issuer_line(certificate: Certificate) -> str:
    issuer = certificate.issuer
    if issuer.kind == "self":
        return ("Course taken alone: the learner's own grader runs. No hub vouches for it, so "
                "it is not signed.")
    return f"Issued by the hub at {issuer.name}, signed with its key {issuer.key_id}."


def _result(exercise: CertificateExercise) -> str:
    verdict = f", {exercise.verdict.replace('_', ' ')}" if exercise.verdict else ""
    return f"{exercise.score}/{exercise.max_score}{verdict}, {exercise.completed_at[:10]}"


def certificate_as_text(certificate: Certificate) -> str:
    """The certificate for the terminal: who, which course, each lesson's exercises with
    score, verdict and date, the flags captured, and who issued it."""
    lines = ["Certificate of completion", "", f"  {certificate.course}",
             f"  awarded to {certificate.learner}", f"  on {certificate.issued_at[:10]}", ""]
    for number, lesson in enumerate(certificate.lessons, start=1):
        lines.append(f"{number}. {lesson.title}")
        for exercise in lesson.exercises:
            lines.append(f"   {exercise.title:<40} {_result(exercise)}")
    lines += ["", "Security flags captured: " + (", ".join(
        f"{flag.name} ({flag.lesson}, {flag.captured_at[:10]})" for flag in certificate.flags)
        or "none")]
    lines += [f"  ({FLAGS_NOTE})"] if certificate.flags else []
    lines += ["", issuer_line(certificate), f"Certificate {certificate.id}"]
    return "\n".join(clean(line) for line in lines)


def saved_line(saved: Saved) -> str:
    """Where the certificate was written, and what each file is for."""
    kept = "signed, to verify" if saved.signed else "unsigned"
    return clean(f"Saved {saved.json} ({kept}) and {saved.html} (to print).")


# On screen, a centred page; on paper, A4 with the page's margins, black on white, and never a
# lesson, an exercise's row or the issuer's note cut across two sheets.
_STYLE = """
@page { size: A4; margin: 16mm 18mm; }
body { font-family: Georgia, 'Times New Roman', serif; color: #111; background: #fff;
       max-width: 46em; margin: 2em auto; padding: 0 1em; line-height: 1.4; }
h1 { text-align: center; font-size: 2em; margin-bottom: 0; }
h2 { font-size: 1.1em; margin: 1.2em 0 .3em; break-after: avoid; page-break-after: avoid; }
.course, .learner { text-align: center; margin: .3em 0; }
.learner { font-size: 1.6em; }
section { break-inside: avoid; page-break-inside: avoid; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { text-align: left; padding: .25em .5em; border-bottom: 1px solid #999; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { font-size: .85em; color: #333; }
.issuer { font-size: .85em; color: #333; margin-top: 2em; break-inside: avoid;
          page-break-inside: avoid; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 11pt; color: #000; }
  h1 { margin-top: 0; }
  th, td { border-bottom-color: #555; }
  .issuer, .note { color: #000; }
}
"""


def certificate_as_html(certificate: Certificate) -> str:
    """A standalone page (no scripts, no remote resources) that prints well: a section per
    lesson, each kept on one sheet."""

    def e(value: str) -> str:  # controls made visible, then escaped: inert in any viewer
        return html.escape(clean(value))

    verdicts = certificate.issuer.kind == "hub"  # a course taken alone has no mentor
    head = "<th>Exercise</th><th>Score</th>" + ("<th>Mentor</th>" if verdicts else "") + \
        "<th>Completed</th>"
    sections = []
    for number, lesson in enumerate(certificate.lessons, start=1):
        rows = "".join(
            f"<tr><td>{e(exercise.title)}</td>"
            f'<td class="num">{exercise.score}/{exercise.max_score}</td>'
            + (f"<td>{e((exercise.verdict or '').replace('_', ' '))}</td>" if verdicts else "")
            + f"<td>{e(exercise.completed_at[:10])}</td></tr>" for exercise in lesson.exercises)
        sections.append(f"<section><h2>{number}. {e(lesson.title)}</h2>\n<table><thead><tr>"
                        f"{head}</tr></thead><tbody>{rows}</tbody></table></section>")
    flags = "".join(f"<li>{e(flag.name)} ({e(flag.lesson)}, {e(flag.captured_at[:10])})</li>"
                    for flag in certificate.flags) or "<li>none</li>"
    note = f'<p class="note">{e(FLAGS_NOTE)}.</p>' if certificate.flags else ""
    body = "\n".join(sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Certificate: {e(certificate.course)}, {e(certificate.learner)}</title>
<style>{_STYLE}</style></head>
<body>
<h1>Certificate of completion</h1>
<p class="course">{e(certificate.course)}</p>
<p class="learner">{e(certificate.learner)}</p>
<p class="course">{e(certificate.issued_at[:10])}</p>
{body}
<section><h2>Security flags captured</h2><ul>{flags}</ul>{note}</section>
<p class="issuer">{e(issuer_line(certificate))}<br>Certificate {e(certificate.id)}.
Check it: <code>apilab certificate verify FILE</code></p>
</body></html>
"""
