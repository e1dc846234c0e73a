"""Reason phrases as RFC 9110 names them.

Python before 3.13 (and so uvicorn, which reads `http.HTTPStatus`) still uses the names of
RFC 7231 for a few statuses, such as "Unprocessable Entity" where RFC 9110 section 15.5.21 says
"Unprocessable Content". The course teaches RFC 9110, so its servers say what it says.
"""

from __future__ import annotations

from http import HTTPStatus

RFC9110_PHRASES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}


def reason_phrase(status: int) -> str:
    """The reason phrase RFC 9110 gives `status` ("" for a status it does not name)."""
    if status in RFC9110_PHRASES:
        return RFC9110_PHRASES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def use_rfc9110_reason_phrases() -> None:
    """Make uvicorn's status lines use RFC 9110's phrases (`HTTP/1.1 422 Unprocessable Content`).

    uvicorn builds its status lines once, from `http.HTTPStatus`, into a table per protocol
    implementation; this rewrites the entries whose name changed. Call it before serving.
    """
    from uvicorn.protocols.http import h11_impl

    for status, phrase in RFC9110_PHRASES.items():
        h11_impl.STATUS_PHRASES[status] = phrase.encode()
    try:
        from uvicorn.protocols.http import httptools_impl
    except ImportError:  # httptools is optional; h11 is then the only implementation
        return
    for status, phrase in RFC9110_PHRASES.items():
        httptools_impl.STATUS_LINE[status] = f"HTTP/1.1 {status} {phrase}\r\n".encode()
