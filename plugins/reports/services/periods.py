"""Periods of local days: a day, a week (Monday first), a month, a year or
any range, each with the period before it to compare with."""
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

KINDS = ("day", "week", "month", "year", "range")
MAX_DAYS = 3 * 366


class PeriodError(ValueError):
    """A period the user asked for cannot be read; the message says why."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def previous(self):
        """The period just before, of the same kind (for a range: as long)."""
        if self.kind == "month":
            end = self.start - timedelta(days=1)
            return Period("month", end.replace(day=1), end)
        if self.kind == "year":
            return Period("year", date(self.start.year - 1, 1, 1), date(self.start.year - 1, 12, 31))
        return Period(self.kind, self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def dates(self):
        return [self.start + timedelta(days=i) for i in range(self.days)]


def period_for(kind, anchor, start=None, end=None):
    """The period of ``kind`` containing ``anchor`` (for ``range``: ``start``
    to ``end``)."""
    if kind == "day":
        return Period(kind, anchor, anchor)
    if kind == "week":
        first = anchor - timedelta(days=anchor.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period(kind, first, following - timedelta(days=1))
    if kind == "year":
        return Period(kind, date(anchor.year, 1, 1), date(anchor.year, 12, 31))
    if start is None or end is None:
        raise PeriodError(_("A date range needs both a start and an end date."))
    if end < start:
        raise PeriodError(_("The range ends (%(end)s) before it starts (%(start)s).", start=start, end=end))
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(_("A range may cover at most %(days)s days.", days=MAX_DAYS))
    return Period(kind, start, end)


def _date(raw, field):
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(_("%(field)s: %(value)r is not a date (YYYY-MM-DD).", field=field, value=raw)) from None


def parse_period(args, today):
    """The period a page's query arguments ask for (default: this month)."""
    kind = args.get("period") or "month"
    if kind not in KINDS:
        raise PeriodError(_("period: %(value)r is not one of day, week, month, year, range.", value=kind))
    anchor = _date(args["date"], "date") if args.get("date") else today
    start = _date(args["start"], "start") if args.get("start") else None
    end = _date(args["end"], "end") if args.get("end") else None
    return period_for(kind, anchor, start, end)
