"""/permissions/audit: the audit log, filtered and paged, and its CSV export."""
from flask import Response, request, stream_with_context
from flask_admin import expose
from flask_babel import gettext as _

from portal import access
from portal.access import MANAGE
from portal.extensions import db
from portal.models import utcnow
from portal.paging import paginate
from portal.plugins import kernel
from portal.views import PortalView, render_page

from .. import forms
from ..services import PermissionsError, audit_log
from . import actor


class AuditView(PortalView):
    """/permissions/audit: the audit log, scoped to the user's merchants."""

    resource = "permissions.audit"

    def _filters(self):
        return forms.audit_filters(request.args, _("From"), _("To"))

    @expose("/")
    def index(self):
        """Filtered, newest first, paged without a total; HTMX gets only the rows."""
        me = actor()
        error = None
        try:
            filters = self._filters()
        except PermissionsError as exc:
            error, filters = exc.translated(), audit_log.AuditFilters()
        # the log only grows: paging without a total keeps every page one indexed read
        page = paginate(audit_log.audit_query(me, filters), request.args.get("page"), count=False)
        export_args = {k: v for k, v in request.args.items() if k != "page"}
        return self.render("permissions/audit.html", page=page, error=error, args=request.args,
                           export_args=export_args, merchants=audit_log.merchant_codes(page.items),
                           plugins=["core"] + kernel().names, can_export=access.has_level(self.resource, MANAGE, me),
                           partial="permissions/_audit_rows.html")

    @expose("/export.csv")
    def export(self):
        """The filtered log as CSV (manage level), streamed, cells safe for spreadsheets."""
        me = actor()
        try:
            filters = self._filters()
        except PermissionsError as exc:
            return render_page("errors/message.html", message=exc.translated()), 400
        query = audit_log.start_export(me, filters)
        db.session.commit()
        name = f"audit-{utcnow():%Y%m%d-%H%M%S}.csv"
        return Response(stream_with_context(audit_log.csv_lines(query)), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
