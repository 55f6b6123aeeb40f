"""Batch shipping: upload a file of tracking numbers, see every row's order,
state, outcome and problem, confirm (all rows or none)."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.views import PortalView

from ..services import ship_import
from ..services.errors import OrdersError

RESOURCE = "orders.order"
# multipart framing and the other fields around the file
FORM_OVERHEAD = 64 * 1024
SHOWN_ROWS = 500


def _actor():
    return current_user._get_current_object()


class ShipImportView(PortalView):
    """Upload, preview and confirm a batch of shipments (merchant staff: their own orders)."""

    resource = RESOURCE
    level = "write"

    def _upload_page(self, error=None, status=200):
        merchants = ship_import.merchants_for(_actor()) if current_user.merchant_id is None else []
        body = self.render("orders/ship_import.html", error=error, columns=ship_import.COLUMNS, merchants=merchants,
                           form=request.form, max_size=ship_import.size_label(), max_rows=ship_import.MAX_ROWS)
        body.status_code = status
        return body

    def _preview_page(self, stored, plan, status=200):
        body = self.render("orders/ship_import_preview.html", stored=stored, plan=plan, shown=SHOWN_ROWS)
        body.status_code = status
        return body

    def _stored(self, file_id):
        stored = ship_import.ship_file(_actor(), file_id)
        if stored is None:
            abort(404)
        return stored

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """The upload form and the columns; a posted file is stored and its preview shown."""
        if request.method == "GET":
            return self._upload_page()
        # refuse an oversized body by its declared length, before reading it
        if (request.content_length or 0) > ship_import.MAX_BYTES + FORM_OVERHEAD:
            return self._upload_page(ship_import.too_large_message(""), 413)
        try:
            stored = ship_import.store_ship_file(_actor(), request.files.get("file"), request.form.get("merchant_id"))
        except OrdersError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        db.session.commit()
        return redirect(url_for(".preview", file_id=stored.id))

    @expose("/<int:file_id>", methods=["GET"])
    def preview(self, file_id):
        """What the import would ship, and every row's problems; nothing is written."""
        stored = self._stored(file_id)
        try:
            plan = ship_import.check_shipments(_actor(), stored)
        except OrdersError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        return self._preview_page(stored, plan)

    @expose("/<int:file_id>", methods=["POST"])
    def confirm(self, file_id):
        """Ship every row of the checked file, or none when a problem is found."""
        stored = self._stored(file_id)
        try:
            plan = ship_import.apply_shipments(_actor(), stored)
        except ship_import.ImportFailed as exc:
            db.session.rollback()
            return self._preview_page(stored, exc.plan, 400)
        except OrdersError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        db.session.commit()
        flash(_("Shipped from %(name)s: %(rows)s row(s), %(shipments)s shipment(s); %(completed)s order(s) now "
                "pending receipt.", name=stored.original_name, rows=len(plan.rows), shipments=plan.shipment_count,
                completed=plan.completed), "success")
        return redirect(url_for("orders_orders.index"))
