"""The HTTP rules the course teaches, written once and used by the sandbox and the hub.

Both servers are read by learners as worked examples, so they must answer alike:

- `problems`: RFC 9457 problem details, a registry of problem types that document themselves at
  `/problems/<slug>`, and the exception handlers that turn every error into one;
- `methods`: HEAD answered as GET, and the `Allow` header of 405 and OPTIONS;
- `bodies`: a route that takes JSON refuses any other `Content-Type` with 415;
- `conditional`: ETags and the If-* preconditions of RFC 9110 section 13;
- `cursors`: opaque pagination cursors and the RFC 8288 `Link: rel="next"`;
- `ratelimit`: a token bucket per key, announced in `RateLimit-Policy`/`RateLimit`;
- `openapi`: error answers documented as `application/problem+json`;
- `status`: RFC 9110's current reason phrases.

It imports neither the sandbox nor the hub: they import it.
"""
