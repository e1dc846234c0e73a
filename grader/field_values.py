"""Strict readers of the values a server writes in header fields and JSON, for checks that judge
the exact format: a value a lenient parser would accept is still wrong on the wire.

Each returns the parsed value, or None when the text is not in the required form:

- `sf_date`: an RFC 9651 structured-field date (§3.3.7), `@` and whole seconds since 1970, as
  RFC 9745 requires of `Deprecation`;
- `imf_fixdate`: the one HTTP-date form a sender may generate (RFC 9110 §5.6.7), as RFC 8594
  requires of `Sunset`: `Sun, 06 Nov 1994 08:49:37 GMT`, the day name matching the date;
- `rfc3339_utc`: an RFC 3339 date-time in UTC (`Z` or `+00:00`, upper-case `T` and `Z`);
- `rfc3339`: an RFC 3339 date-time with any offset, as JSON Schema's `date-time` format is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

_SF_DATE = re.compile(r"@(-?\d{1,15})")  # sf-integer: at most 15 digits
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IMF_FIXDATE = re.compile(rf"({'|'.join(_DAYS)}), (\d\d) ({'|'.join(_MONTHS)}) (\d{{4}}) "
                          r"(\d\d):(\d\d):(\d\d) GMT")
_RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|\+00:00)")
# RFC 3339 §5.6 date-time: "T" and "Z" in either case (its note); the offset is required.
_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?"
                      r"(?:([Zz])|([+-])(\d\d):(\d\d))")


def sf_date(value: str) -> datetime | None:
    """The moment an sf-date such as `@1782864000` names, in UTC."""
    found = _SF_DATE.fullmatch(value.strip())
    if found is None:
        return None
    try:
        return datetime.fromtimestamp(int(found.group(1)), UTC)
    except (OverflowError, OSError, ValueError):
        return None


def imf_fixdate(value: str) -> datetime | None:
    """The moment an IMF-fixdate such as `Fri, 31 Dec 2027 23:59:59 GMT` names, in UTC."""
    found = _IMF_FIXDATE.fullmatch(value.strip())
    if found is None:
        return None
    day_name, day, month, year, hour, minute, second = found.groups()
    try:
        moment = datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute),
                          int(second), tzinfo=UTC)
    except ValueError:  # 31 Feb, 25:00...
        return None
    return moment if _DAYS[moment.weekday()] == day_name else None


def rfc3339_utc(value: object) -> datetime | None:
    """The moment an RFC 3339 UTC date-time such as `2026-12-02T05:28:07Z` names, written in the
    one form a README may ask for: upper-case `T`, and `Z` or `+00:00`."""
    if not isinstance(value, str) or _RFC3339_UTC.fullmatch(value) is None:
        return None
    return rfc3339(value)


def rfc3339(value: object) -> datetime | None:
    """The moment an RFC 3339 date-time such as `2026-12-02T06:28:07+01:00` names: the offset
    (`Z` or `±hh:mm`) is required, since a time without one names no moment."""
    if not isinstance(value, str):
        return None
    found = _RFC3339.fullmatch(value)
    if found is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = found.groups()
    try:
        zone = UTC if zulu else timezone((1 if sign == "+" else -1)
                                         * timedelta(hours=int(off_h), minutes=int(off_m)))
        # A leap second (:60) is a valid time-second; datetime cannot hold it, so read it as :59.
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                          min(int(second), 59), tzinfo=zone)
    except ValueError:  # month 13, offset hour 24...
        return None
    return moment.replace(microsecond=int(((fraction or ".0")[1:] + "000000")[:6]))
