"""How one hub is configured, declared as data: each setting has a name, a default and a help
line. The defaults suit a cohort; tests and benchmarks change the limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

MEMORY = ":memory:"  # db_path for a hub whose data lives only as long as the process


def default_db_path() -> Path:
    from apilab.paths import data_home

    return data_home() / "hub.db"


@dataclass(frozen=True)
class HubSettings:
    db_path: Path | str = field(
        default_factory=default_db_path,
        metadata={"help": "SQLite file of the hub, or ':memory:' (gone when the process ends)."})
    rate_limit: int = field(
        default=600, metadata={"help": "Requests each token may make per rate window."})
    rate_window_s: float = field(
        default=60.0, metadata={"help": "The rate window in seconds; the bucket refills over it."})
    page_size: int = field(default=20, metadata={"help": "Items per page when `limit` is absent."})
    max_page_size: int = field(default=100, metadata={"help": "The largest `limit` accepted."})
    max_body_bytes: int = field(
        default=4_000_000, metadata={"help": "Largest request body accepted, as sent (413 "
                                             "beyond)."})
    max_report_bytes: int = field(
        default=4_000_000, metadata={"help": "Largest report accepted once decompressed (413 "
                                             "beyond)."})
    max_checks: int = field(default=500, metadata={"help": "Most checks one report may hold."})
    quota_bytes: int = field(
        default=200_000_000, metadata={"help": "Report bytes each learner may store in all "
                                               "(413 beyond, until a mentor makes room)."})
    quota_hour_bytes: int = field(
        default=25_000_000, metadata={"help": "Report bytes each learner may send per hour "
                                              "(429 beyond, with Retry-After)."})
    course_root: Path | None = field(
        default=None, metadata={"help": "The course whose exercises certificates and the "
                                        "gradebook cover (default: APILAB_COURSE, or this "
                                        "checkout's)."})
    public_url: str | None = field(
        default=None, metadata={"help": "The address people reach the hub at (behind a reverse "
                                        "proxy, the proxy's), named on its certificates as "
                                        "where to verify them (default: the address each "
                                        "request came to)."})
    trusted_proxies: tuple[str, ...] = field(
        default=(), metadata={"help": "Addresses of reverse proxies whose X-Forwarded-For is "
                                      "believed; nobody's by default."})

    def __post_init__(self) -> None:
        if self.rate_limit < 1 or self.rate_window_s <= 0:
            raise ValueError("rate_limit must be at least 1 and rate_window_s positive")
        if not 1 <= self.page_size <= self.max_page_size:
            raise ValueError("page_size must be between 1 and max_page_size")
        if self.public_url is not None:
            object.__setattr__(self, "public_url", public_address(self.public_url))


def public_address(url: str) -> str:
    """`url` as a hub's public address (no trailing slash); ValueError naming what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the public URL {url!r} is not an http:// or https:// address with a "
                         "host, such as https://hub.example.org")
    if parts.query or parts.fragment:
        raise ValueError(f"the public URL {url!r} has a query or fragment; give the address "
                         "the hub's API is under, such as https://example.org/hub")
    return url.strip().rstrip("/")

