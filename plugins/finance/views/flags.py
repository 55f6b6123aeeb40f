"""Mismatch flags: the list (status, kind, text filters) and a status change with a reason (HTMX)."""
from flask import abort, request
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.paging import paginate

from ..models import FLAG_KINDS, FLAG_STATUSES, OPEN, Flag
from ..services import set_status
from .common import PER_PAGE, FinanceView, actor, text_arg


class FlagsView(FinanceView):

    @expose("/")
    def index(self):
        """Flags, newest first; open ones unless another status is chosen."""
        status = request.args.get("status", OPEN)
        status = status if status in FLAG_STATUSES or status == "all" else OPEN
        kind = request.args.get("kind") if request.args.get("kind") in FLAG_KINDS else ""
        q = text_arg("q")
        query = select(Flag).order_by(Flag.created_at.desc(), Flag.id.desc())
        if status != "all":
            query = query.where(Flag.status == status)
        if kind:
            query = query.where(Flag.kind == kind)
        if q:
            query = query.where(Flag.order_number.startswith(q.upper(), autoescape=True)
                                | Flag.detail.contains(q, autoescape=True))
        page = paginate(query, request.args.get("page"), PER_PAGE)
        return self.render("finance/flags.html", page=page, status=status, kind=kind, q=q, kinds=FLAG_KINDS,
                           statuses=FLAG_STATUSES, can_write=self.can("write"))

    @expose("/<int:flag_id>/status", methods=["POST"])
    def status(self, flag_id):
        """Explain, resolve or reopen a flag; answers with its row."""
        if not self.can("write"):
            abort(403)
        flag = db.session.get(Flag, flag_id)
        if flag is None:
            abort(404)
        error = self.attempt(lambda: set_status(actor(), flag, request.form.get("status", ""),
                                                request.form.get("reason", "")), _("Flag updated."))
        flag = db.session.get(Flag, flag_id)
        if request.headers.get("HX-Request") != "true":
            from flask import flash, redirect, url_for
            if error:
                flash(error, "error")
            return redirect(url_for(".index", status="all"))
        return self.render("finance/flags.html", partial="finance/_flag_row.html", flag=flag, error=error,
                           kinds=FLAG_KINDS, statuses=FLAG_STATUSES, can_write=True)
