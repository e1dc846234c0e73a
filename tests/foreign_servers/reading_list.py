"""Exercise 1 (reading-list) without a web framework: asyncio streams and hand-written HTTP/1.1.

A stand-in for the servers learners write in other stacks, to prove the grader judges the wire
and not one framework's habits. Each `--variant` switches on one way of answering:

- correct but unusual on the wire, which must score full marks: bodies in small chunks, HTTP/1.0
  closing after every response, `charset` parameters, JSON with `\\u` escapes, a bare `rel=next`,
  string ids;
- a realistic mistake each, which the grader must catch and explain (see `MISTAKES`).

    python tests/foreign_servers/reading_list.py --listen chunked=8101 head-body=0 ...

prints `VARIANT PORT` for each (port 0 takes a free one), then `ready` once every variant
listens. It imports nothing of apilab's, on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from http import HTTPStatus
from urllib.parse import parse_qsl, urlencode, urlsplit

UNUSUAL = {"plain", "chunked", "http10", "charset", "ascii-json", "unquoted-rel", "string-ids"}
MISTAKES = {
    "head-body": "answers HEAD with GET's body",
    "length-in-characters": "Content-Length counts characters, not bytes",
    "length-too-long": "Content-Length counts a trailing newline it never sends",
    "body-after-204": "a 204 carries the body `null`",
    "latin1-bodies": "reads request bodies as Latin-1",
    "ascii-replace": "writes responses as ASCII, non-ASCII replaced by ?",
    "one-request-per-connection": "answers one request per connection without saying so",
    "patch-unchecked": "PATCH stores any status",
    "put-unchecked": "PUT accepts pages as a string",
    "ids-from-count": "a new id is the number of books plus one",
    "deleted-still-listed": "DELETE hides the book from GET but not from the list",
    "offset-cursor": "the cursor is a position",
    "last-page-links-empty": "a full page always links to a next one",
    "json-errors-only": "parses bytes with json.loads, catching only JSONDecodeError",
    "unread-refused-body": "answers 415 from the Content-Type without reading the body",
    "unread-refused-update": "answers a PUT or PATCH 415 from the Content-Type without reading the body",
}
STATUSES = ("to-read", "reading", "done")
ITEM = re.compile(r"/books/([^/]+)")


class Problem(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


class ReadingList:
    """The books and the HTTP semantics of exercise 1, answering (status, headers, document)."""

    def __init__(self, variant: str) -> None:
        self.variant = variant
        self.books: dict[str, dict] = {}  # id -> book, oldest first
        self.order: dict[str, int] = {}  # id -> creation sequence, the cursor's key
        self.hidden: set[str] = set()
        self.sequence = 0

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes,
               host: str) -> tuple[int, dict[str, str], object]:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        if parts.path == "/books":
            allowed = ["GET", "HEAD", "POST"]
            if method in ("GET", "HEAD"):
                return self.listing(query, host)
            if method == "POST":
                return self.create(self.parsed(headers, body), host)
        elif match := ITEM.fullmatch(parts.path):
            allowed = ["GET", "HEAD", "PUT", "PATCH", "DELETE"]
            book_id = match.group(1)
            if method in allowed:
                book = self.find(book_id)
            if method in ("GET", "HEAD"):
                return 200, {}, book
            if method == "PUT":
                return 200, {}, self.replace(book_id, self.parsed(headers, body))
            if method == "PATCH":
                return 200, {}, self.update(book, self.parsed(headers, body))
            if method == "DELETE":
                self.delete(book_id)
                return 204, {}, None
        else:
            raise Problem(404, f"there is nothing at {parts.path}")
        raise Problem(405, f"{method} is not supported here", {"Allow": ", ".join(allowed)})

    def find(self, book_id: str) -> dict:
        if book_id not in self.books or book_id in self.hidden:
            raise Problem(404, f"there is no book with id {book_id}")
        return self.books[book_id]

    def parsed(self, headers: dict[str, str], body: bytes) -> object:
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            raise Problem(415, "send the body as JSON, with Content-Type: application/json")
        if self.variant == "json-errors-only":
            try:
                return json.loads(body)
            except json.JSONDecodeError:
                raise Problem(400, "the body is not valid JSON") from None
        charset = "latin-1" if self.variant == "latin1-bodies" else "utf-8"
        try:
            data = json.loads(body.decode(charset))
            json.dumps(data, ensure_ascii=False).encode("utf-8")  # "\ud800" parses, but is no text
        except ValueError:
            raise Problem(400, "the body is not valid JSON text in UTF-8") from None
        return data

    def validated(self, data: object, partial: bool = False, lax_pages: bool = False) -> dict:
        if not isinstance(data, dict):
            raise Problem(422, "the body must be a JSON object")
        checked = {}
        for name in ("title", "author"):
            if name in data or not partial:
                value = data.get(name)
                if not isinstance(value, str) or not 1 <= len(value) <= 500:
                    raise Problem(422, f"{name} must be a string of 1 to 500 characters")
                checked[name] = value
        if "pages" in data or not partial:
            pages = data.get("pages")
            if lax_pages and isinstance(pages, str) and pages.isdigit():
                pages = int(pages)
            if pages is not None and (type(pages) is not int or not 1 <= pages <= 100_000):
                raise Problem(422, "pages must be an integer from 1 to 100,000, or null")
            checked["pages"] = pages
        if "status" in data or not partial:
            status = data.get("status", "to-read")
            if status not in STATUSES and not (partial and self.variant == "patch-unchecked"):
                raise Problem(422, f"status must be one of {', '.join(STATUSES)}")
            checked["status"] = status
        if "notes" in data or not partial:
            notes = data.get("notes")
            if notes is not None and (not isinstance(notes, str) or len(notes) > 5000):
                raise Problem(422, "notes must be a string of at most 5,000 characters, or null")
            checked["notes"] = notes
        return checked

    def create(self, data: object, host: str) -> tuple[int, dict[str, str], object]:
        fields = self.validated(data)
        self.sequence += 1
        number = len(self.books) + 1 if self.variant == "ids-from-count" else self.sequence
        book_id = f"b-{number}" if self.variant == "string-ids" else str(number)
        book = {"id": book_id if self.variant == "string-ids" else number, **fields}
        self.books[book_id], self.order[book_id] = book, self.sequence
        self.hidden.discard(book_id)
        return 201, {"Location": f"http://{host}/books/{book_id}"}, book

    def replace(self, book_id: str, data: object) -> dict:
        fields = self.validated(data, lax_pages=self.variant == "put-unchecked")
        self.books[book_id] = {"id": self.books[book_id]["id"], **fields}
        return self.books[book_id]

    def update(self, book: dict, data: object) -> dict:
        book.update(self.validated(data, partial=True))
        return book

    def delete(self, book_id: str) -> None:
        if self.variant == "deleted-still-listed":
            self.hidden.add(book_id)
        else:
            del self.books[book_id]

    def listing(self, query: dict[str, str], host: str) -> tuple[int, dict[str, str], object]:
        try:
            limit = int(query.get("limit", "10"))
        except ValueError:
            raise Problem(422, "limit must be a whole number from 1 to 100") from None
        if not 1 <= limit <= 100:
            raise Problem(422, "limit must be a whole number from 1 to 100")
        status = query.get("status")
        if status is not None and status not in STATUSES:
            raise Problem(422, f"status must be one of {', '.join(STATUSES)}")
        cursor = query.get("cursor", "0")
        if not cursor.isdigit():
            raise Problem(400, "this cursor was not issued by this server")
        after = int(cursor)
        matching = [book_id for book_id, book in self.books.items()
                    if status is None or book["status"] == status]
        if self.variant == "offset-cursor":
            page_ids, more = matching[after:after + limit], len(matching) > after + limit
            next_cursor = after + limit
        else:
            later = [book_id for book_id in matching if self.order[book_id] > after]
            page_ids = later[:limit]
            more = (len(page_ids) == limit if self.variant == "last-page-links-empty"
                    else len(later) > limit)
            next_cursor = self.order[page_ids[-1]] if page_ids else after
        headers = {}
        if more:
            kept = {**({"status": status} if status else {}), "limit": limit, "cursor": next_cursor}
            rel = "rel=next" if self.variant == "unquoted-rel" else 'rel="next"'
            headers["Link"] = f"<http://{host}/books?{urlencode(kept)}>; {rel}"
        return 200, headers, {"items": [self.books[book_id] for book_id in page_ids]}


class Connection:
    """One client connection: requests in, responses out, framed the variant's way."""

    def __init__(self, app: ReadingList, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.app, self.reader, self.writer, self.variant = app, reader, writer, app.variant

    async def serve(self) -> None:
        while True:
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            line, *lines = head.decode("latin-1").split("\r\n")
            method, target, _version = line.split(" ", 2)
            headers = {k.strip().lower(): v.strip()
                       for k, _, v in (h.partition(":") for h in lines if h)}
            length = int(headers.get("content-length", "0") or 0)
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            unread = (self.variant == "unread-refused-body"
                      or (self.variant == "unread-refused-update" and method in ("PUT", "PATCH")))
            if unread and "json" not in media:
                body = b""  # refused for its Content-Type: its bytes stay in the stream
            else:
                body = await self.reader.readexactly(length)
            await self.answer(method, target, headers, body)
            if self.variant == "http10" or headers.get("connection", "").lower() == "close":
                return
            if self.variant == "one-request-per-connection":
                await self.reader.read()  # never reads the next request; waits for the client
                return

    async def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        host = headers.get("host", "127.0.0.1")
        try:
            status, extra, document = self.app.handle(method, target, headers, body, host)
            media = "application/json"
        except Problem as problem:
            status, extra, media = problem.status, problem.headers, "application/problem+json"
            document = {"type": "about:blank", "title": HTTPStatus(status).phrase,
                        "status": status, "detail": problem.detail}
        except Exception:  # what a framework does with an error the code did not expect
            status, extra, media = 500, {}, "application/problem+json"
            document = {"type": "about:blank", "title": "Internal Server Error", "status": 500,
                        "detail": "something went wrong"}
        payload = self.encode(document) if document is not None else b""
        if status == 204:
            payload = b"null" if self.variant == "body-after-204" else b""
        if self.variant == "charset":
            media += "; charset=utf-8"
        fields = {"Content-Type": media, **extra} if status != 204 else dict(extra)
        self.writer.write(self.head(status, fields, payload, method))
        if method != "HEAD" or self.variant == "head-body":
            self.writer.write(self.framed(payload, status))
        await self.writer.drain()

    def encode(self, document: object) -> bytes:
        text = json.dumps(document, ensure_ascii=self.variant == "ascii-json")
        if self.variant == "ascii-replace":
            return text.encode("ascii", errors="replace")
        return text.encode("utf-8")

    def head(self, status: int, fields: dict[str, str], payload: bytes, method: str) -> bytes:
        version = "HTTP/1.0" if self.variant == "http10" else "HTTP/1.1"
        if status == 204:
            pass
        elif self.variant == "chunked":
            fields["Transfer-Encoding"] = "chunked"
        elif self.variant == "length-in-characters":
            fields["Content-Length"] = str(len(payload.decode("utf-8")))
        elif self.variant == "length-too-long":
            fields["Content-Length"] = str(len(payload) + 1)
        else:
            fields["Content-Length"] = str(len(payload))
        lines = [f"{version} {status} {HTTPStatus(status).phrase}",
                 *(f"{name}: {value}" for name, value in fields.items()), "", ""]
        return "\r\n".join(lines).encode("utf-8")

    def framed(self, payload: bytes, status: int) -> bytes:
        if self.variant != "chunked" or status == 204:
            return payload
        pieces = [payload[i:i + 7] for i in range(0, len(payload), 7)]
        return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


async def main(listen: dict[str, int]) -> None:
    servers = []
    for variant, port in listen.items():
        app = ReadingList(variant)

        async def handle(reader, writer, app=app):
            try:
                await Connection(app, reader, writer).serve()
            except (ConnectionError, ValueError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", port)
        servers.append(server)
        print(variant, server.sockets[0].getsockname()[1])
    print("ready", flush=True)
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", nargs="+", required=True, metavar="VARIANT=PORT")
    pairs = dict(item.split("=") for item in parser.parse_args().listen)
    unknown = set(pairs) - UNUSUAL - set(MISTAKES)
    if unknown:
        sys.exit(f"unknown variants: {', '.join(sorted(unknown))}")
    asyncio.run(main({variant: int(port) for variant, port in pairs.items()}))
