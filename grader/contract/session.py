"""What every probe check works with: the contract, the headers every probe sends, and a session
that sends requests, makes the resources to work on, and turns what it saw into a finding.

`Probing` is the value of the `contract` run fixture, prepared once per run; a `Session` is one
check's: it records where the check's exchanges begin so that, at the end, the report keeps
only the requests of the failure it shows (a probe check sends hundreds), and it cuts every
request at the end of the check's share of the probes' budget (see `grader.contract.budget`).
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any
from urllib.parse import quote, urljoin

from grader.context import NO_BODY, CheckContext, CheckFailed
from grader.contract.budget import OutOfBudget, Share
from grader.contract.document import Operation
from grader.contract.explore import Explorer, Finding
from grader.contract.probing import Probing, Resource
from grader.contract.values import ABSENT, valid
from grader.matchers import show
from grader.recorded import Recorded
from grader.wire import Received


class Session:
    """One probe check's requests, resources, and explorer."""

    def __init__(self, ctx: CheckContext, probing: Probing, share: Share) -> None:
        self.ctx, self.probing, self.contract = ctx, probing, probing.contract
        self.explorer = Explorer(ctx.rng, share)
        self.first = len(ctx.wire.exchanges)

    # --- requests -------------------------------------------------------------------------------

    def mark(self) -> int:
        return len(self.ctx.wire.exchanges)

    def since(self, mark: int) -> list[Recorded]:
        return list(self.ctx.wire.exchanges[mark:])

    async def send(self, method: str, url: str, *, json_body: Any = NO_BODY, body: bytes | None = None,
                   headers: dict[str, str] | None = None, credentials: bool = True) -> Received:
        """One request with the probes' headers (unless `credentials` is false); CheckFailed
        when the server gives no usable answer."""
        sent = {**(self.probing.headers if credentials else {}), **(headers or {})}
        if json_body is not NO_BODY:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            sent.setdefault("Content-Type", "application/json")
        left = self.explorer.share.left(self.explorer.bound)
        if left <= 0:
            raise OutOfBudget(f"{method} {url} not sent: the probes' time is up")
        limit = asyncio.timeout(None if math.isinf(left) else left)  # else its own timeouts
        try:
            async with limit:
                return await self.ctx.request(method, url, headers=sent, body=body)
        except TimeoutError:
            if not limit.expired():
                raise
            raise OutOfBudget(f"{method} {url} cut: the probes' time ended in flight") from None

    async def guarded(self, mark: int, work: Any) -> Finding | None:
        """`await work`, with a wire failure (no answer, a reset...) as a finding."""
        try:
            return await work
        except CheckFailed as failure:
            return Finding(failure.message, "an HTTP response", failure.received or "no response",
                           self.since(mark))

    def url(self, template: str, values: dict[str, str] | None = None) -> str:
        """`template` with its parameters filled (each percent-encoded): a path on the server."""
        path = template
        for name, value in (values or {}).items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        return path

    def rel(self, url: str) -> str:
        """`url` as a path, when it is on the learner's server (as the report shows requests)."""
        base = self.ctx.wire.base_url
        return url[len(base):] or "/" if url.startswith(base + "/") or url == base else url

    # --- resources ------------------------------------------------------------------------------

    async def create(self, item_path: str) -> Resource:
        """A new resource at `item_path`, made with a valid body: POSTed to its collection and
        found by its Location, or (when the exercise says so) PUT at a fresh URL of its own.
        A failure here is a preparation, not what the check tests."""
        if self.probing.create_method == "PUT":
            return await self._put_new(item_path)
        collection = self.contract.collection_path(item_path)
        operation = self.contract.operation("POST", collection) if collection else None
        if operation is None or operation.body is None:
            self.ctx.fail(f"the probes cannot make a resource at {item_path}: the contract has no "
                          f"POST to {collection or 'its collection'} with a JSON body")
        body = await self.explorer.draw(valid(operation.body))
        label = f"POST {collection}"
        with self.ctx.preparing(f"creating a resource to probe ({label})"):
            response = await self.send("POST", self.url(collection), json_body=body,
                                       headers=self.probing.create_headers)
            self._created(label, operation, response)
            location = response.headers.get("location")
            self.ctx.expect(bool(location), f"{label} answered without a Location header",
                            expected="a Location header naming the new resource", received="none")
            document = self.contract.as_read(item_path, self.ctx.json(response))
        return Resource(self.rel(urljoin(response.url, location)), item_path, document,
                        response.headers.get("etag"))

    async def _put_new(self, item_path: str) -> Resource:
        operation = self.contract.operation("PUT", item_path)
        if operation is None or operation.body is None:
            self.ctx.fail(f"the probes cannot make a resource at {item_path}: the contract has no "
                          "PUT with a JSON body there")
        names = {p.name: p.schema for p in operation.params("path")}
        label = f"PUT {item_path}"
        with self.ctx.preparing(f"creating a resource to probe ({label})"):
            for _attempt in range(5):  # a name drawn twice is taken: draw another
                values = {name: str(await self.explorer.draw(valid(schema), novel=True))
                          for name, schema in names.items()}
                url = self.url(item_path, values)
                body = await self.explorer.draw(valid(operation.body))
                response = await self.send("PUT", url, json_body=body,
                                           headers=self.probing.create_headers)
                if response.status not in (409, 412):
                    break
            self._created(label, operation, response)
            document = self.contract.as_read(item_path, self.ctx.json(response))
        return Resource(url, item_path, document, response.headers.get("etag"))

    def _created(self, label: str, operation: Operation, response: Received) -> None:
        created = [s for s in operation.statuses if 200 <= s < 300]
        self.ctx.expect(response.status in created, f"{label} with a valid body answered "
                        f"{response.status}", expected="status " + " or ".join(map(str, created)),
                        received=f"status {response.status} {response.reason}")

    async def write(self, method: str, resource: Resource, body: Any) -> Received:
        """A write to `resource`, with If-Match when the exercise's writes need it; the ETag of a
        successful answer is remembered for the next."""
        headers = {"If-Match": resource.etag} if self.probing.if_match and resource.etag else {}
        response = await self.send(method, resource.url, json_body=body, headers=headers)
        if 200 <= response.status < 300 and response.headers.get("etag"):
            resource.etag = response.headers["etag"]
        return response

    async def read(self, resource: Resource) -> tuple[Received, Any]:
        response = await self.send("GET", resource.url)
        if response.status == 200 and response.headers.get("etag"):
            resource.etag = response.headers["etag"]
        try:
            return response, response.json()
        except ValueError:
            return response, ABSENT

    def id_of(self, item: Any, item_path: str) -> str | None:
        """The value in `item` that its URL names: `id_field`, or the item path's parameter."""
        name = self.probing.id_field or item_path.rsplit("{", 1)[-1].rstrip("}")
        for candidate in (name, "id"):
            if isinstance(item, dict) and isinstance(item.get(candidate), str | int) and not (
                    isinstance(item.get(candidate), bool)):
                return str(item[candidate])
        return None

    # --- the end of a check ---------------------------------------------------------------------

    def conclude(self, finding: Finding | None, *, hint_examples: bool = True) -> None:
        """Fail with `finding` (keeping only its exchanges in the report), or pass keeping none."""
        exchanges = self.ctx.wire.exchanges
        del exchanges[self.first:]
        if finding is None:
            return
        exchanges.extend(finding.exchanges)
        found = f" (found among {self.explorer.examples} probes" + (
            f", shrunk over {self.explorer.shrinks} failing ones)" if self.explorer.shrinks > 1 else ")")
        raise CheckFailed(finding.message + (found if hint_examples else ""),
                          expected=finding.expected, received=finding.received)


def operation_label(operation: Operation, url: str) -> str:
    return f"{operation.method} {url}"


def shown(value: Any) -> str:
    """A value as JSON, for a message (absent shown as such)."""
    return "(left out)" if value is ABSENT else show(value)
