"""Warehouses: the list (search, paging) and the create / edit form; the
services do the checks and the audit, this page names the field at fault."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal import access
from portal.extensions import db
from portal.models import Merchant
from portal.paging import paginate
from portal.views import PortalView

from ..models import Warehouse
from ..services import (DuplicateWarehouse, InvalidQuantity, InvalidRegion, InventoryError, UnknownWarehouse,
                        create_warehouse, update_warehouse)

RESOURCE = "inventory.warehouse"
PER_PAGE = 50


def field_error(exc):
    """``(field, message)`` for a refused warehouse form."""
    if isinstance(exc, InvalidQuantity):
        messages = {"code": _("Enter a code of up to 32 characters."), "name": _("Enter a name."),
                    "priority": _("Enter the priority as a whole number (smaller is tried first).")}
        return exc.field, messages.get(exc.field, str(exc))
    if isinstance(exc, (InvalidRegion, DuplicateWarehouse)):
        return ("regions" if isinstance(exc, InvalidRegion) else "code"), str(exc)
    if isinstance(exc, UnknownWarehouse):
        return "merchant", str(exc)
    return "form", str(exc)


def form_data(form):
    """The service's input from the posted form (an unchecked box is not sent)."""
    return {"code": form.get("code", ""), "name": form.get("name", ""), "address": form.get("address", ""),
            "regions": form.get("regions", ""), "priority": form.get("priority", "100"),
            "active": form.get("active") == "1"}


class WarehousesView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """The user's warehouses, searchable by code or name."""
        q = (request.args.get("q") or "").strip()
        query = access.scoped(select(Warehouse), Warehouse, "read")
        if q:
            pattern = f"%{q}%"
            query = query.where(or_(Warehouse.code.ilike(pattern), Warehouse.name.ilike(pattern)))
        page = paginate(query.order_by(Warehouse.priority, Warehouse.code), request.args.get("page"), PER_PAGE)
        return self.render("inventory/warehouses.html", page=page, q=q, can_write=self.can("write"))

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """A new warehouse: platform staff choose its merchant (or none: platform-run)."""
        access.require(RESOURCE, "write")
        errors, values = {}, {"priority": "100", "active": True}
        if request.method == "POST":
            values = form_data(request.form)
            merchant_id, errors = self._merchant(request.form.get("merchant_id", ""))
            if not errors:
                warehouse, errors = self._save(lambda: create_warehouse(self._user(), merchant_id, values))
                if warehouse is not None:
                    return redirect(url_for(".index"))
            values["merchant_id"] = request.form.get("merchant_id", "")
        return self.render("inventory/warehouse_form.html", warehouse=None, values=values, errors=errors,
                           merchants=self._merchants(), can_write=True)

    @expose("/<int:warehouse_id>", methods=["GET", "POST"])
    def edit(self, warehouse_id):
        """One warehouse: read for everyone who reaches it, saved with write access."""
        warehouse = access.get_or_404(Warehouse, warehouse_id, RESOURCE, "read")
        errors = {}
        values = {"code": warehouse.code, "name": warehouse.name, "address": warehouse.address,
                  "regions": ", ".join(warehouse.region_codes), "priority": warehouse.priority,
                  "active": warehouse.active}
        if request.method == "POST":
            warehouse = access.get_or_404(Warehouse, warehouse_id, RESOURCE, "write")
            values = {**form_data(request.form), "code": warehouse.code}
            saved, errors = self._save(lambda: update_warehouse(self._user(), warehouse_id, values))
            if saved is not None:
                return redirect(url_for(".index"))
            warehouse = db.session.get(Warehouse, warehouse_id)
        return self.render("inventory/warehouse_form.html", warehouse=warehouse, values=values, errors=errors,
                           merchants=[], can_write=access.record_level(RESOURCE, warehouse) >= access.WRITE)

    @staticmethod
    def _user():
        return current_user._get_current_object()

    @staticmethod
    def _save(action):
        """Run the service and commit, or roll back and return the field errors."""
        try:
            result = action()
            db.session.commit()
        except InventoryError as exc:
            db.session.rollback()
            field, message = field_error(exc)
            return None, {field: message}
        flash(_("Saved."), "success")
        return result, {}

    @staticmethod
    def _merchant(raw):
        """Merchant staff always create for their own merchant; platform staff
        pick one, or none for a platform-run warehouse."""
        if current_user.merchant_id is not None:
            return current_user.merchant_id, {}
        if not raw:
            return None, {}
        try:
            return int(raw), {}
        except ValueError:
            return None, {"merchant": _("Choose a merchant from the list.")}

    @staticmethod
    def _merchants():
        if current_user.merchant_id is not None:
            return []
        return db.session.execute(select(Merchant).order_by(Merchant.code)).scalars().all()
