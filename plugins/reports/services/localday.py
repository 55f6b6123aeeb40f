"""Days in the platform's time zone (``PORTAL_TIMEZONE``): every rollup row
belongs to one local day, whether written by an event (Python) or by a
rebuild (SQL, which must put each order on the very same day)."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Date, DateTime, Interval, case, cast, func, literal_column

from portal.extensions import db


def platform_zone():
    """The platform's time zone."""
    return ZoneInfo(current_app.config.get("PORTAL_TIMEZONE") or "UTC")


def local_day(moment):
    """The local date of a naive UTC datetime."""
    return moment.replace(tzinfo=timezone.utc).astimezone(platform_zone()).date()


def local_today(now=None):
    """Today in the platform's time zone."""
    return local_day(now or datetime.now(timezone.utc).replace(tzinfo=None))


def utc_start(day):
    """The naive UTC instant a local day starts."""
    start = datetime(day.year, day.month, day.day, tzinfo=platform_zone())
    return start.astimezone(timezone.utc).replace(tzinfo=None)


def _offset(zone, moment):
    return int(moment.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset().total_seconds())


def offset_spans(first, last):
    """``[(from_utc, offset_seconds)]`` covering ``first``..``last`` (naive
    UTC): the zone's offset changes (daylight saving) found day by day, each
    pinned to its minute by halving."""
    zone = platform_zone()
    moment = datetime(first.year, first.month, first.day) - timedelta(days=1)
    spans = [(None, _offset(zone, moment))]
    while moment <= last:
        following = moment + timedelta(days=1)
        if _offset(zone, following) != spans[-1][1]:
            low, high = 0, 24 * 60  # minutes: zones change their offset on a whole minute
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(zone, moment + timedelta(minutes=middle)) == spans[-1][1]:
                    low = middle
                else:
                    high = middle
            changed = moment + timedelta(minutes=high)
            spans.append((changed, _offset(zone, changed)))
        moment = following
    return spans


# Constants are written into the SQL, not bound: PostgreSQL matches a GROUP BY
# expression with its SELECT twin only when they are the same text.
def _sqlite():
    return db.session.get_bind().dialect.name == "sqlite"


def _shifted_date(column, seconds):
    if _sqlite():
        return func.date(column, literal_column(f"'{int(seconds):+d} seconds'"))
    return cast(column + literal_column(f"interval '{int(seconds)} seconds'", Interval), Date)


def _instant(moment):
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return literal_column(f"'{text}'" if _sqlite() else f"timestamp '{text}'", DateTime)


def day_expr(column, first, last):
    """SQL for the local date of ``column`` (naive UTC) for rows between
    ``first`` and ``last``."""
    spans = offset_spans(first, last)
    if len(spans) == 1:
        return _shifted_date(column, spans[0][1])
    whens = [(column < _instant(spans[i + 1][0]), _shifted_date(column, spans[i][1])) for i in range(len(spans) - 1)]
    return case(*whens, else_=_shifted_date(column, spans[-1][1]))
