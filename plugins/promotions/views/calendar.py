"""The calendar: which of the user's rules run on each of the next four weeks' days."""
from datetime import date, timedelta

from flask import request
from flask_admin import expose

from portal.models import utcnow
from portal.views import PortalView

from ..services.reports import calendar

DAYS = 28


class CalendarView(PortalView):
    resource = "promotions.rule"

    @expose("/")
    def index(self):
        """Four weeks from ``start`` (a date, default today), one row per rule."""
        try:
            start = date.fromisoformat((request.args.get("start") or "").strip())
        except ValueError:
            start = utcnow().date()
        days, rows = calendar(start, DAYS)
        return self.render("promotions/calendar.html", days=days, rows=rows, start=start,
                           previous=start - timedelta(days=DAYS), following=start + timedelta(days=DAYS))
