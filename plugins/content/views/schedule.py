"""The campaign schedule: which campaign pages run when."""
from flask import request
from flask_admin import expose
from portal import access
from portal.models import utcnow
from portal.paging import paginate
from portal.views import PortalView

from ..models import Page
from ..services import PAGE
from ..services.pages import schedule_query

STATES = ("running", "upcoming", "ended", "all")


class ScheduleView(PortalView):
    resource = PAGE

    @expose("/")
    def index(self):
        """Campaign pages in start order, filtered by running, upcoming or ended."""
        state = request.args.get("state") if request.args.get("state") in STATES else "all"
        now = utcnow()
        page = paginate(access.scoped(schedule_query(state, now), Page), request.args.get("page"))
        return self.render("content/schedule.html", page=page, state=state, now=now, states=STATES,
                           partial="content/_schedule_rows.html")
