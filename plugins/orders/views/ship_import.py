"""Batch shipping: upload a file of tracking numbers, see every row's order,
state, outcome and problem, confirm (all rows or none)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _

from portal.sheet_import import SheetImportView

from ..services import ship_import
from ..services.errors import OrdersError


class ShipImportView(SheetImportView):
    """Upload, preview and confirm a batch of shipments (merchant staff: their own orders)."""

    resource = "orders.order"
    service = ship_import
    error, failed = OrdersError, ship_import.ImportFailed
    upload_template, preview_template = "orders/ship_import.html", "orders/ship_import_preview.html"

    def store(self, actor, file_storage, merchant_id):
        return ship_import.store_ship_file(actor, file_storage, merchant_id)

    def load(self, actor, file_id):
        return ship_import.ship_file(actor, file_id)

    def check(self, actor, stored):
        return ship_import.check_shipments(actor, stored)

    def apply(self, actor, stored, form):
        return ship_import.apply_shipments(actor, stored)

    def done(self, stored, plan):
        flash(_("Shipped from %(name)s: %(rows)s row(s), %(shipments)s shipment(s); %(completed)s order(s) now "
                "pending receipt.", name=stored.original_name, rows=len(plan.rows), shipments=plan.shipment_count,
                completed=plan.completed), "success")
        return redirect(url_for("orders_orders.index"))
