"""Carriers: the list (search, paging) and the create / edit form."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import or_, select

from portal import access
from portal.extensions import db
from portal.paging import paginate
from portal.views import PortalView

from ..models import Carrier
from ..services.carriers import create_carrier, update_carrier
from ..services.errors import LogisticsError
from .common import actor, sort_order

RESOURCE = "logistics.carrier"
PER_PAGE = 50
FIELDS = ("code", "name", "tracking_url", "tracking_pattern", "active")
SORTS = {"code": Carrier.code, "name": Carrier.name, "status": Carrier.active}


class CarriersView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """Every carrier, searchable by code or name, sorted by code or the column whose header was clicked."""
        q = (request.args.get("q") or "").strip()
        sort, order = sort_order(request.args.get("sort"), SORTS, "code", Carrier.id)
        query = select(Carrier)
        if q:
            query = query.where(or_(Carrier.code.ilike(f"%{q}%"), Carrier.name.ilike(f"%{q}%")))
        page = paginate(query.order_by(*order), request.args.get("page"), PER_PAGE)
        return self.render("logistics/carriers.html", page=page, q=q, can_write=self.can("write"), sort=sort)

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """A new carrier."""
        access.require(RESOURCE, "write")
        values, error = {"active": True}, None
        if request.method == "POST":
            values = {f: request.form.get(f, "") for f in FIELDS}
            saved, error = self._save(lambda: create_carrier(actor(), values))
            if saved:
                return redirect(url_for(".index"))
        return self.render("logistics/carrier_form.html", carrier=None, values=values, error=error, can_write=True)

    @expose("/<int:carrier_id>", methods=["GET", "POST"])
    def edit(self, carrier_id):
        """One carrier: read for everyone who may see carriers, saved with write access."""
        carrier = db.session.get(Carrier, carrier_id)
        if carrier is None:
            return self.render("errors/404.html"), 404
        values, error = {f: getattr(carrier, f) for f in FIELDS}, None
        if request.method == "POST":
            access.require(RESOURCE, "write")
            values = {f: request.form.get(f, "") for f in FIELDS}
            saved, error = self._save(lambda: update_carrier(actor(), carrier_id, values))
            if saved:
                return redirect(url_for(".index"))
        return self.render("logistics/carrier_form.html", carrier=carrier, values=values, error=error,
                           can_write=self.can("write"))

    @staticmethod
    def _save(action):
        try:
            action()
            db.session.commit()
        except LogisticsError as exc:
            db.session.rollback()
            return False, str(exc)
        flash(_("Saved."), "success")
        return True, None
