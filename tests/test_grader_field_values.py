"""The strict readers of dates in header fields and JSON: what the standards allow, and the near
misses that servers really send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from grader.field_values import imf_fixdate, rfc3339, rfc3339_utc, sf_date


def test_an_sf_date_is_an_at_sign_and_whole_seconds():
    assert sf_date("@1782864000") == datetime(2026, 7, 1, tzinfo=UTC)
    assert sf_date(" @0 ") == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("value", ["true", "1782864000", "@1782864000.5", "@", "@1234567890123456",
                                   "Wed, 01 Jul 2026 00:00:00 GMT", "2026-07-01T00:00:00Z",
                                   "@1782864000;x=1", '"@1782864000"'])
def test_what_is_not_an_sf_date(value):
    assert sf_date(value) is None


def test_an_imf_fixdate_is_read_when_the_day_matches():
    assert imf_fixdate("Fri, 31 Dec 2027 23:59:59 GMT") == datetime(2027, 12, 31, 23, 59, 59,
                                                                    tzinfo=UTC)


@pytest.mark.parametrize("value", [
    "Thu, 31 Dec 2027 23:59:59 GMT",     # 31 Dec 2027 is a Friday
    "Fri, 31 Dec 2027 23:59:59 +0000",   # a numeric zone (email.utils without usegmt)
    "Fri, 31 Dec 2027 23:59:59 UTC",
    "Friday, 31-Dec-27 23:59:59 GMT",    # RFC 850: obsolete, recipients only
    "Fri Dec 31 23:59:59 2027",          # asctime: obsolete, recipients only
    "Fri, 31 Dec 2027 23:59 GMT",
    "Fri,  1 Dec 2027 23:59:59 GMT",
    "2027-12-31T23:59:59Z",
    "Fri, 30 Feb 2027 23:59:59 GMT",
])
def test_what_is_not_an_imf_fixdate(value):
    assert imf_fixdate(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-12-02T05:28:07Z", datetime(2026, 12, 2, 5, 28, 7, tzinfo=UTC)),
    ("2026-12-02T05:28:07+00:00", datetime(2026, 12, 2, 5, 28, 7, tzinfo=UTC)),
    ("2026-12-02T05:28:07.123Z", datetime(2026, 12, 2, 5, 28, 7, 123000, tzinfo=UTC)),
    ("2026-12-02T05:28:07.123456789Z", datetime(2026, 12, 2, 5, 28, 7, 123456, tzinfo=UTC)),
])
def test_rfc3339_in_utc(value, expected):
    assert rfc3339_utc(value) == expected


@pytest.mark.parametrize("value", ["2026-12-02T05:28:07", "2026-12-02 05:28:07Z",
                                   "2026-12-02t05:28:07z", "2026-12-02T05:28:07+01:00",
                                   "2026-12-02T05:28:07-00:00", "2026-13-02T05:28:07Z",
                                   "1796189287", 1796189287, None, "Wed, 02 Dec 2026 05:28:07 GMT"])
def test_what_is_not_rfc3339_in_utc(value):
    assert rfc3339_utc(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-12-02T05:28:07Z", datetime(2026, 12, 2, 5, 28, 7, tzinfo=UTC)),
    ("2026-12-02t05:28:07.5z", datetime(2026, 12, 2, 5, 28, 7, 500000, tzinfo=UTC)),
    ("2026-12-02T06:28:07+01:00", datetime(2026, 12, 2, 5, 28, 7, tzinfo=UTC)),
    ("2026-12-01T23:58:07-05:30", datetime(2026, 12, 2, 5, 28, 7, tzinfo=UTC)),
    ("2026-12-02T05:28:07.224+00:00", datetime(2026, 12, 2, 5, 28, 7, 224000, tzinfo=UTC)),
    ("2026-12-31T23:59:60Z", datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)),  # a leap second
])
def test_rfc3339_with_any_offset(value, expected):
    assert rfc3339(value) == expected
    assert rfc3339(value).utcoffset() is not None


def test_rfc3339_keeps_the_offset_it_was_given():
    assert rfc3339("2026-12-02T06:28:07+01:00").tzinfo == timezone(timedelta(hours=1))


@pytest.mark.parametrize("value", [
    "2026-12-02T05:28:07",          # no offset: datetime.utcnow().isoformat()
    "2026-12-02T05:28:07.224000",
    "2026-12-02 05:28:07+00:00",    # str(datetime): a space, not T
    "2026-12-02T05:28:07+0100",     # ISO 8601 basic offset, not RFC 3339
    "2026-12-02T05:28Z", "2026-12-02", "2026-13-02T05:28:07Z", "2026-12-02T05:28:07+24:00",
    "1796189287", 1796189287, None, "Wed, 02 Dec 2026 05:28:07 GMT",
])
def test_what_is_not_rfc3339(value):
    assert rfc3339(value) is None
